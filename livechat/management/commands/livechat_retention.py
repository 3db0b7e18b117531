import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from livechat.services import retention


class Command(BaseCommand):
    help = (
        "Delete (or anonymise) closed conversations older than N days, with their "
        "messages, notes and attachment files, and the visitors left with nothing. "
        "Open conversations and their visitors are never touched. Prints what "
        "would change; changes it only with --apply, in batches, each committed "
        "on its own (an interrupted run continues when run again). "
        "Defaults: LIVECHAT_RETENTION_DAYS, LIVECHAT_RETENTION_MODE, "
        "LIVECHAT_RETENTION_BATCH_SIZE."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Keep closed conversations this many days (0: none is kept).",
        )
        parser.add_argument(
            "--anonymise",
            "--anonymize",
            action="store_true",
            default=None,
            help="Remove texts and personal fields instead of deleting.",
        )
        parser.add_argument(
            "--apply",
            action="store_true",
            help="Make the changes; without it nothing is changed (a dry run).",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=None,
            help="Conversations (then visitors) changed per transaction.",
        )
        parser.add_argument(
            "--quiet",
            action="store_true",
            help="Print nothing unless something fails (for cron); as -v 0.",
        )
        parser.add_argument(
            "--verbose",
            action="store_true",
            help="Also say the oldest and newest conversation concerned; as -v 2.",
        )

    def handle(self, *args, days=None, anonymise=None, apply=False, **options):
        verbosity = options.get("verbosity", 1)
        if options.get("quiet"):
            verbosity = 0
        elif options.get("verbose"):
            verbosity = max(verbosity, 2)
        self.verbosity = verbosity
        if days is not None and days < 0:
            raise CommandError(
                f"--days must be 0 or more (got {days}); 0 removes every closed "
                "conversation, whatever its age."
            )
        try:
            days, anonymise = retention.retention_policy(days, anonymise)
            batch_size = retention.retention_batch_size(options.get("batch_size"))
        except retention.RetentionRefused as exc:
            raise CommandError(str(exc)) from exc
        if days is None:
            self._say(
                "No retention period set (LIVECHAT_RETENTION_DAYS or --days): "
                "nothing to do."
            )
            return
        # One cutoff for the count and the change, so both speak of the same rows.
        now = timezone.now()
        cutoff = timezone.localtime(retention.retention_cutoff(days, now))
        verb = "anonymise" if anonymise else "delete"
        if verbosity >= 2:
            self._describe_span(retention.retention_span(days, anonymise, now), verb)
        if apply:
            counts = self._apply(days, anonymise, now, batch_size, verb)
            heading = f"{verb.capitalize()}d"
        else:
            counts = retention.count_retention(days, anonymise, now=now)
            heading = f"Dry run, nothing changed. Would {verb}"
        self._say(
            f"{heading}: closed conversations older than {days} days "
            f"(created before {cutoff:%Y-%m-%d %H:%M %Z}), open ones left alone."
        )
        for line in (
            f"conversations: {counts['conversations']}",
            f"messages: {counts['messages']}",
            f"internal notes: {counts['notes']}",
            f"attachments: {counts['attachments']} (and their files)",
            f"visitors: {counts['visitors']} (not seen since, with no open or newer "
            "conversation)",
        ):
            self._say(f"  {line}")
        if not apply:
            self._say("Run again with --apply to make these changes.")

    def _apply(self, days, anonymise, now, batch_size, verb):
        bar = None
        committed = []  # the progress after the last committed batch

        def track(progress):
            committed[:] = [progress]
            if bar is not None:
                bar(progress)

        try:
            if self.verbosity >= 1 and self.stderr.isatty():
                totals = retention.count_retention(
                    days, anonymise, now=now, kinds=("conversations", "visitors")
                )
                bar = _ProgressBar(self.stderr, totals)
            counts = retention.apply_retention(
                days, anonymise, now=now, batch_size=batch_size, progress=track
            )
        except KeyboardInterrupt:
            if bar is not None:
                bar.end_line()
            done = committed[0] if committed else None
            raise CommandError(
                f"Interrupted. {done.batches if done else 0} batches of at most "
                f"{batch_size} were committed "
                f"({done.counts['conversations'] if done else 0} conversations and "
                f"{done.counts['visitors'] if done else 0} visitors {verb}d); the "
                "batch under way was rolled back. Run the command again to continue.",
                returncode=130,
            ) from None
        if bar is not None:
            bar.end_line()
        return counts

    def _describe_span(self, span, verb):
        if span is None:
            self._say(f"No conversation to {verb}.")
            return
        for end in ("oldest", "newest"):
            created = timezone.localtime(span[end]["created"])
            self._say(
                f"{end.capitalize()} conversation to {verb}: #{span[end]['id']}, "
                f"created {created:%Y-%m-%d %H:%M %Z}"
            )

    def _say(self, line):
        if self.verbosity >= 1:
            self.stdout.write(line)


class _ProgressBar:
    """Done / total, rate and time left of each stage, redrawn on one line of
    a terminal (never written when the output is not one)."""

    WIDTH = 24
    EVERY = 0.2  # seconds between redraws

    def __init__(self, out, totals):
        self.out = out
        self.totals = totals
        self.stage = None
        # A stage's first batch began when the previous batch ended.
        self.started = self.last = time.monotonic()
        self.drawn = 0.0

    def __call__(self, progress):
        now = time.monotonic()
        if progress.stage != self.stage:
            self.end_line()
            self.stage, self.started = progress.stage, self.last
        self.last = now
        total = max(self.totals.get(progress.stage, 0), progress.done)
        if now - self.drawn < self.EVERY and progress.done < total:
            return
        self.drawn = now
        elapsed = now - self.started
        rate = progress.done / elapsed if elapsed > 0 else 0.0
        left = (total - progress.done) / rate if rate else 0.0
        filled = self.WIDTH * progress.done // total if total else self.WIDTH
        self.out.write(
            f"\r{progress.stage:<13} [{'#' * filled}{'.' * (self.WIDTH - filled)}] "
            f"{progress.done}/{total}  {rate:,.0f}/s  ETA {_duration(left)} ",
            style_func=str,
            ending="",
        )
        self.out.flush()

    def end_line(self):
        """Leaves the bar's line as it is, so what follows starts below it."""
        if self.stage is not None:
            self.out.write("", style_func=str)
            self.stage = None


def _duration(seconds):
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}"
