import json

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
        data = privacy.export_visitors(privacy.find_visitors(email, account))
        self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False))


def _account(username):
    if not username:
        return None
    model = get_user_model()
    try:
        return model.objects.get(**{model.USERNAME_FIELD: username})
    except model.DoesNotExist as exc:
        raise CommandError(f"No user {username!r}.") from exc
