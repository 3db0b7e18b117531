"""Visitors, conversations, messages and agent profiles.

Models know no transport and no workflow: every state change goes through
``livechat.services``. One module per subject; everything is importable from
``livechat.models``, where the migrations look for ``_attachment_path``,
``_thumbnail_path`` and ``_CHECK_KW``.
"""

from ._compat import _CHECK_KW
from .agents import AgentConnection, AgentProfile, CannedReply, Department
from .attachments import Attachment, _attachment_path, _thumbnail_path
from .conversations import (
    Conversation,
    ConversationTag,
    InternalNote,
    LiveConsole,
    Message,
)
from .integrations import (
    APIToken,
    Scope,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from .reports import (
    LATENCY_EDGES,
    AgentHour,
    AgentOnlineSpan,
    CannedUse,
    ConversationFact,
    InvitationDay,
    OfferSent,
    OrderRecord,
    ReportHour,
    ReportLatency,
    ReportSettings,
    TermDay,
)
from .visitors import Visitor
from .widget import BusinessHours, HolidayException, InvitationRule, WidgetProfile

__all__ = [
    "_CHECK_KW",
    "APIToken",
    "Scope",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "LATENCY_EDGES",
    "AgentHour",
    "AgentOnlineSpan",
    "CannedUse",
    "ConversationFact",
    "InvitationDay",
    "OfferSent",
    "OrderRecord",
    "ReportHour",
    "ReportLatency",
    "ReportSettings",
    "TermDay",
    "AgentConnection",
    "AgentProfile",
    "Attachment",
    "BusinessHours",
    "CannedReply",
    "Conversation",
    "ConversationTag",
    "Department",
    "HolidayException",
    "InternalNote",
    "InvitationRule",
    "LiveConsole",
    "Message",
    "Visitor",
    "WidgetProfile",
    "_attachment_path",
    "_thumbnail_path",
]
