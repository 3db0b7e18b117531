"""The reports' CSV files: a report's table, and every conversation of a
range one row each."""

import csv

from django.db.models import Prefetch
from django.http import HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ...models import Conversation, ConversationFact, ConversationTag
from ...protocol import visitor_emails
from ...services.reports.figures import Filters, reports_database
from .display import csv_cell

EXPORT_CHUNK = 2000


class _Echo:
    """A file whose write returns the line, for csv.writer to stream."""

    def write(self, value):
        return value


def _attachment(response, name):
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


def error_response(message):
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


def table_csv(table, name):
    """A report's table: its column labels, then its rows."""
    writer = csv.writer(_Echo())
    lines = [writer.writerow([str(c.label) for c in table.columns])]
    lines += [writer.writerow([csv_cell(v) for v in row]) for row in table.rows]
    response = HttpResponse("".join(lines), content_type="text/csv; charset=utf-8")
    return _attachment(response, name)


EXPORT_COLUMNS = (
    _("id"),
    _("link"),
    _("visitor"),
    _("email"),
    _("department"),
    _("agent"),
    _("status"),
    _("tags"),
    _("created"),
    _("first response"),
    _("closed"),
    _("handling seconds"),
    _("rating"),
)


def _agent_name(user):
    return (user.get_full_name() or user.get_username()) if user else ""


def _rows(request, filters):
    database = reports_database()
    facts = ConversationFact.objects.using(database).filter(**filters.hour_lookups())
    conversations = (
        Conversation.objects.using(database)
        .filter(pk__in=facts.values("pk"))
        .select_related("visitor__user", "department", "assigned_agent", "fact")
        .prefetch_related(
            Prefetch(
                "tags",
                queryset=ConversationTag.objects.using(database).order_by("tag"),
            )
        )
        .order_by("created_at", "pk")
    )
    # One reverse for every row: the change URL with a placeholder id.
    change_url = request.build_absolute_uri(
        reverse("admin:livechat_conversation_change", args=[0])
    ).replace("/0/", "/{id}/")
    for conversation in conversations.iterator(chunk_size=EXPORT_CHUNK):
        fact = conversation.fact
        email, _other = visitor_emails(conversation.visitor)
        tags = [t.tag for t in conversation.tags.all()]
        if conversation.close_tag and conversation.close_tag not in tags:
            tags.insert(0, conversation.close_tag)
        yield [
            conversation.pk,
            change_url.format(id=conversation.pk),
            conversation.visitor.display_name,
            email,
            conversation.department.name if conversation.department else "",
            _agent_name(conversation.assigned_agent),
            conversation.get_status_display(),
            " ".join(tags),
            conversation.created_at.isoformat(),
            fact.first_response_at.isoformat() if fact.first_response_at else "",
            conversation.closed_at.isoformat() if conversation.closed_at else "",
            fact.handling_seconds if fact.closed_at else "",
            conversation.rating,
        ]


def conversations_csv(request, filters: Filters):
    """Every conversation the filters cover, one row each, streamed."""
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow([str(c) for c in EXPORT_COLUMNS])
        for row in _rows(request, filters):
            yield writer.writerow([csv_cell(v) for v in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    return _attachment(response, f"conversations-{filters.start}-{filters.end}")
