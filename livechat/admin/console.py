"""The live console: a single page (``admin/livechat/console.html``) that
talks to the agent WebSocket endpoint described in docs/protocol.md."""

from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import PermissionDenied
from django.middleware.csrf import get_token
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext

from ..access import staff_role
from ..adapter import get_adapter
from ..branding import widget_face
from ..conf import app_settings
from ..models import AgentProfile, LiveConsole
from ..services.canned import may_manage as may_manage_canned


def _may_use_console(user):
    """Agents answer in the console; supervisors who are not agents watch."""
    return staff_role(user) is not None


def console_link_context(request):
    if not _may_use_console(request.user):
        return {}
    return {"livechat_console_url": reverse("admin:livechat_console")}


@admin.register(LiveConsole)
class LiveConsoleAdmin(admin.ModelAdmin):
    """The agents' console, listed as "Live console" in the admin index.

    Agents and supervisors (the adapter's ``is_agent``, ``is_supervisor``)
    may view it; nobody adds, changes or deletes anything through it: it has
    one URL, the console page.
    """

    def has_module_permission(self, request):
        return _may_use_console(request.user)

    def has_view_permission(self, request, obj=None):
        return _may_use_console(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        view = self.admin_site.admin_view(self.changelist_view)
        opts = self.opts
        return [
            path("", view, name=f"{opts.app_label}_{opts.model_name}_changelist"),
            path("", view, name="livechat_console"),
        ]

    def changelist_view(self, request, extra_context=None):
        """Runs on GET /admin/livechat/liveconsole/: renders the console page."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        user = request.user
        adapter = get_adapter()
        request.current_app = self.admin_site.name
        conversation_url = ""
        if request.user.has_perm("livechat.view_conversation") or request.user.has_perm(
            "livechat.change_conversation"
        ):
            conversation_url = reverse(
                "admin:livechat_conversation_change", args=[0]
            ).replace("/0/", "/{id}/")
        try:
            upload_url = reverse("livechat:attachment-upload")
        except NoReverseMatch:
            # The host did not include livechat.urls: no file sending.
            upload_url = ""
        presence = (
            AgentProfile.objects.filter(user=user)
            .values_list("presence", flat=True)
            .first()
        ) or AgentProfile.Presence.ONLINE
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Live console"),
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "websocket_path": app_settings.WEBSOCKET_PATH.rstrip("/") + "/agent/",
            "agent_id": user.pk,
            "agent_name": adapter.agent_public_name(user),
            "max_message_length": app_settings.MAX_MESSAGE_LENGTH,
            "recent_closed": app_settings.CONSOLE_RECENT_CLOSED,
            "conversation_admin_url": conversation_url,
            "upload_url": upload_url,
            # Passed explicitly: the CSRF cookie may be HttpOnly or session-held.
            "upload_csrf_token": get_token(request) if upload_url else "",
            "max_upload_bytes": app_settings.MAX_UPLOAD_BYTES,
            "presence": presence,
            "presence_choices": AgentProfile.Presence.choices,
            # Shared saved replies are offered for editing only to who may change them.
            "manage_shared_replies": may_manage_canned(user, None, "change"),
            # Fills {store_name} in canned replies: the name shoppers see.
            "store_name": widget_face()["title"],
            # Where a console whose session ended sends the agent, and back.
            "login_url": reverse("admin:login", current_app=self.admin_site.name)
            + "?"
            + urlencode({REDIRECT_FIELD_NAME: request.get_full_path()}),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/livechat/console.html", context)
