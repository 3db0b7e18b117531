import sys
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from livechat.services import reports


class Command(BaseCommand):
    help = (
        "Rebuild the chat reports from the stored conversations: after "
        "installing or upgrading, or changing the store's time zone or targets."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--rebuild",
            action="store_true",
            help="Recompute the conversations' facts and every rollup.",
        )
        parser.add_argument(
            "--since",
            metavar="YYYY-MM-DD",
            help="Only conversations begun on or after this day (store's time).",
        )
        parser.add_argument(
            "--orders",
            action="store_true",
            help="First read past orders from the adapter's orders_between().",
        )

    def handle(self, *args, **options):
        if not options["rebuild"]:
            raise CommandError("Say what to do: --rebuild.")
        since = None
        if options["since"]:
            try:
                since = date.fromisoformat(options["since"])
            except ValueError:
                raise CommandError("--since takes a day as YYYY-MM-DD.") from None
        bar = _ProgressBar(self.stdout, self.stdout.isatty())
        counts = reports.rebuild(
            since=since, progress=bar.update, orders=options["orders"]
        )
        bar.finish()
        self.stdout.write(
            self.style.SUCCESS(
                "Rebuilt: {facts} conversations, {report_hours} hourly rows, "
                "{latencies} latency buckets, {terms} words by day, "
                "{agent_hours} agent hours.".format(**counts)
            )
        )


class _ProgressBar:
    """One line per stage, redrawn in place on a terminal."""

    WIDTH = 30

    def __init__(self, out, interactive):
        self.out, self.interactive, self.stage = out, interactive, None

    def update(self, stage, done, total):
        if stage != self.stage:
            if self.stage is not None:
                self.out.write("")
            self.stage = stage
        if total:
            filled = int(self.WIDTH * done / total) if total else 0
            line = f"{stage:<14} [{'#' * filled}{'.' * (self.WIDTH - filled)}] "
            line += f"{done}/{total}"
        else:
            line = f"{stage:<14} {done}"
        if self.interactive:
            self.out.write("\r" + line, ending="")
            sys.stdout.flush()
        elif total is None or done == total:
            self.out.write(line)

    def finish(self):
        if self.interactive and self.stage is not None:
            self.out.write("")
