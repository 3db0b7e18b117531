from django.core.management.base import BaseCommand, CommandError

from livechat import privacy

from .livechat_export import _account


class Command(BaseCommand):
    help = "Erase a shopper's conversations, messages and files (right to erasure)."

    def add_arguments(self, parser):
        parser.add_argument("--email")
        parser.add_argument("--user", help="username of the customer's account")
        parser.add_argument("--yes", action="store_true", help="Do not ask.")

    def handle(self, *args, email=None, user=None, yes=False, **options):
        account = _account(user)
        if not email and account is None:
            raise CommandError("Give --email or --user.")
        if not yes and options.get("interactive", True):
            answer = input("Erase everything livechat stores about them? [y/N] ")
            if answer.strip().lower() != "y":
                raise CommandError("Nothing erased.")
        count = privacy.erase_visitor_data(email=email, user=account)
        self.stdout.write(f"{count} visitor records erased.")
