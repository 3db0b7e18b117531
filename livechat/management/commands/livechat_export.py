from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from livechat.services import privacy


class Command(BaseCommand):
    help = "Print, as JSON, everything livechat stores about a shopper."

    def add_arguments(self, parser):
        parser.add_argument("--email")
        parser.add_argument("--user", help="username of the customer's account")

    def handle(self, *args, email=None, user=None, **options):
        account = _account(user)
        if not email and account is None:
            raise CommandError("Give --email or --user.")
        visitors = privacy.find_visitors(email, account)
        # Written as it is read, a conversation at a time: memory stays the
        # same however long the shopper's history.
        for piece in privacy.export_visitors_json(visitors):
            self.stdout.write(piece, ending="")
        self.stdout.write("")


def _account(username):
    if not username:
        return None
    model = get_user_model()
    try:
        return model.objects.get(**{model.USERNAME_FIELD: username})
    except model.DoesNotExist as exc:
        raise CommandError(f"No user {username!r}.") from exc
