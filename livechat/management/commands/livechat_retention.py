from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from livechat.services import retention


class Command(BaseCommand):
    help = (
        "Delete (or anonymise) closed conversations older than N days, with their "
        "messages, notes and attachment files, and the visitors left with nothing. "
        "Open conversations and their visitors are never touched. Prints what "
        "would change; changes it only with --apply. "
        "Defaults: LIVECHAT_RETENTION_DAYS, LIVECHAT_RETENTION_MODE."
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

    def handle(self, *args, days=None, anonymise=None, apply=False, **options):
        if days is not None and days < 0:
            raise CommandError(
                f"--days must be 0 or more (got {days}); 0 removes every closed "
                "conversation, whatever its age."
            )
        try:
            days, anonymise = retention.retention_policy(days, anonymise)
        except retention.RetentionRefused as exc:
            raise CommandError(str(exc)) from exc
        if days is None:
            self.stdout.write(
                "No retention period set (LIVECHAT_RETENTION_DAYS or --days): "
                "nothing to do."
            )
            return
        # One cutoff for the count and the change, so both speak of the same rows.
        now = timezone.now()
        cutoff = timezone.localtime(retention.retention_cutoff(days, now))
        verb = "anonymise" if anonymise else "delete"
        if apply:
            counts = retention.apply_retention(days, anonymise, now=now)
            heading = f"{verb.capitalize()}d"
        else:
            counts = retention.count_retention(days, anonymise, now=now)
            heading = f"Dry run, nothing changed. Would {verb}"
        self.stdout.write(
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
            self.stdout.write(f"  {line}")
        if not apply:
            self.stdout.write("Run again with --apply to make these changes.")
