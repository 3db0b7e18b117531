from django.core.management.base import BaseCommand, CommandError

from livechat.services import privacy

from .livechat_export import _account


class Command(BaseCommand):
    help = (
        "Erase a shopper's conversations, messages, notes and files (right to "
        "erasure). Open conversations are closed first, and consoles told."
    )

    def add_arguments(self, parser):
        parser.add_argument("--email")
        parser.add_argument("--user", help="username of the customer's account")
        parser.add_argument("--yes", action="store_true", help="Do not ask.")

    def handle(self, *args, email=None, user=None, yes=False, **options):
        account = _account(user)
        if not email and account is None:
            raise CommandError("Give --email or --user.")
        visitors = privacy.find_visitors(email, account)
        self._describe("To erase", privacy.erasure_counts(visitors))
        if not yes and options.get("interactive", True):
            answer = input("Erase everything livechat stores about them? [y/N] ")
            if answer.strip().lower() != "y":
                raise CommandError("Nothing erased.")
        self._describe("Erased", privacy.erase_visitors(visitors))

    def _describe(self, heading, counts):
        self.stdout.write(f"{heading}:")
        for line in (
            f"visitors: {counts['visitors']}",
            f"conversations: {counts['conversations']} "
            f"({counts['open_conversations']} open, closed first)",
            f"messages: {counts['messages']}",
            f"internal notes: {counts['notes']}",
            f"attachments: {counts['attachments']} (and their files)",
        ):
            self.stdout.write(f"  {line}")
