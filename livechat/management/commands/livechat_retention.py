from django.core.management.base import BaseCommand

from livechat import privacy
from livechat.conf import app_settings


class Command(BaseCommand):
    help = (
        "Delete (or anonymise) closed conversations older than N days, with their "
        "attachments. Defaults: LIVECHAT_RETENTION_DAYS, LIVECHAT_RETENTION_MODE."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None)
        parser.add_argument(
            "--anonymise",
            action="store_true",
            default=None,
            help="Remove texts and personal fields instead of deleting.",
        )

    def handle(self, *args, days=None, anonymise=None, **options):
        days = app_settings.RETENTION_DAYS if days is None else days
        if not days:
            self.stdout.write(
                "No retention period set (LIVECHAT_RETENTION_DAYS or --days)."
            )
            return
        count = privacy.apply_retention(days=days, anonymise=anonymise)
        verb = (
            "anonymised"
            if (anonymise or app_settings.RETENTION_MODE == "anonymise")
            else "deleted"
        )
        self.stdout.write(f"{count} conversations older than {days} days {verb}.")
