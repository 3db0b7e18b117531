import signal
import threading

from django.core.management.base import BaseCommand

from livechat.services import webhooks


class Command(BaseCommand):
    help = (
        "Send the webhook deliveries: runs until stopped (SIGTERM or Ctrl-C "
        "finish the requests under way first). Run one or more beside daphne."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--once",
            action="store_true",
            help="Send what is due now, then exit (for cron).",
        )
        parser.add_argument(
            "--concurrency",
            type=int,
            default=None,
            help="Receivers talked to at once (LIVECHAT_WEBHOOK_CONCURRENCY).",
        )

    def handle(self, *args, once=False, concurrency=None, **options):
        stop = threading.Event()

        def _stop(signum, frame):
            stop.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        if not once:
            self.stdout.write("livechat webhooks: sending; SIGTERM stops")
            self.stdout.flush()
        made = webhooks.run(stop, concurrency=concurrency, once=once)
        self.stdout.write(f"livechat webhooks: {made} attempts made, stopped")
