from django.core.management.base import BaseCommand

from livechat.services import housekeeping


class Command(BaseCommand):
    help = (
        "Mark unanswered chats missed, close inactive ones and email replies to "
        "shoppers who left (run from cron)."
    )

    def handle(self, *args, **options):
        counts = housekeeping.run()
        self.stdout.write(
            f"{counts['missed']} marked missed, {counts['closed']} closed as "
            f"inactive, {counts['followups']} follow-up emails to absent shoppers"
        )
