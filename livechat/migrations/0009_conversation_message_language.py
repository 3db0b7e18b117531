from django.db import migrations, models


class Migration(migrations.Migration):
    """The language a conversation's messages are indexed for search in.

    Adding a column with a constant default rewrites no row on PostgreSQL 11+;
    existing rows keep "" (indexed in the "simple" configuration).
    """

    dependencies = [
        ("livechat", "0008_followup_absence"),
    ]

    operations = [
        migrations.AddField(
            model_name="conversation",
            name="language",
            field=models.CharField(blank=True, default="", max_length=8, verbose_name="language"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="message",
            name="language",
            field=models.CharField(blank=True, default="", editable=False, max_length=8),
            preserve_default=False,
        ),
    ]
