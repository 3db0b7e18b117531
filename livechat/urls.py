"""HTTP URLs of livechat; include them under any prefix, e.g. ``livechat/``."""

from django.urls import include, path

from . import attachment_views, views

app_name = "livechat"

urlpatterns = [
    path("status/", views.status, name="status"),
    path("attachments/", attachment_views.upload, name="attachment-upload"),
    path(
        "attachments/<uuid:key>/",
        attachment_views.download,
        name="attachment-download",
    ),
    path("api/", include("livechat.api.urls")),
]
