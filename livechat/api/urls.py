"""The REST API's URLs: everything under ``v1/`` (``/livechat/api/v1/``)."""

from django.urls import include, path, re_path

from . import schema  # noqa: F401  (registers the schema's extensions)
from .views import conversations, replies, reports, team, visitors
from .views.docs import DocsView, SchemaView

v1 = [
    path("", team.Root.as_view(), name="api-root"),
    path(
        "conversations/",
        conversations.ConversationList.as_view(),
        name="api-conversations",
    ),
    path(
        "conversations/<int:pk>/",
        conversations.ConversationDetail.as_view(),
        name="api-conversation",
    ),
    path(
        "conversations/<int:pk>/messages/",
        conversations.ConversationMessages.as_view(),
        name="api-conversation-messages",
    ),
    path(
        "conversations/<int:pk>/notes/",
        conversations.ConversationNotes.as_view(),
        name="api-conversation-notes",
    ),
    path(
        "conversations/<int:pk>/transfer/",
        conversations.ConversationTransfer.as_view(),
        name="api-conversation-transfer",
    ),
    path(
        "conversations/<int:pk>/close/",
        conversations.ConversationClose.as_view(),
        name="api-conversation-close",
    ),
    path(
        "conversations/<int:pk>/reopen/",
        conversations.ConversationReopen.as_view(),
        name="api-conversation-reopen",
    ),
    path(
        "conversations/<int:pk>/tags/",
        conversations.ConversationTags.as_view(),
        name="api-conversation-tags",
    ),
    path(
        "conversations/<int:pk>/tags/<str:tag>/",
        conversations.ConversationTagRemove.as_view(),
        name="api-conversation-tag",
    ),
    path("visitors/", visitors.VisitorList.as_view(), name="api-visitors"),
    path("visitors/<int:pk>/", visitors.VisitorDetail.as_view(), name="api-visitor"),
    path(
        "visitors/<int:pk>/export/",
        visitors.VisitorExport.as_view(),
        name="api-visitor-export",
    ),
    path(
        "visitors/<int:pk>/erase/",
        visitors.VisitorErase.as_view(),
        name="api-visitor-erase",
    ),
    path("replies/", replies.SavedReplyList.as_view(), name="api-replies"),
    path("replies/<int:pk>/", replies.SavedReplyDetail.as_view(), name="api-reply"),
    path("departments/", team.DepartmentList.as_view(), name="api-departments"),
    path("agents/", team.AgentList.as_view(), name="api-agents"),
    path("reports/", reports.ReportList.as_view(), name="api-reports"),
    path("reports/<slug:name>/", reports.ReportDetail.as_view(), name="api-report"),
    path("schema/", SchemaView.as_view(), name="api-schema"),
    path("docs/", DocsView.as_view(), name="api-docs"),
    # Last: any other path under v1/ is a 404 in the API's error shape.
    re_path(r"^.*$", team.Unknown.as_view()),
]

urlpatterns = [path("v1/", include(v1))]
