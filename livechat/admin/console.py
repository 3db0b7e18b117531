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


def _may_use_console(user):
    """Agents answer in the console; supervisors who are not agents watch."""
    return staff_role(user) is not None


def console_link_context(request):
    if not _may_use_console(request.user):
        return {}
    return {"livechat_console_url": reverse("admin:livechat_console")}


def _console_strings():
    """The console's UI text, translated on the server for console.js."""
    return {
        "connecting": gettext("Connecting…"),
        "reconnecting": gettext("Reconnecting…"),
        "connected": gettext("Connected"),
        "forbidden": gettext(
            "You are not allowed to answer chats. Log in again as an agent."
        ),
        "session_ended": gettext("Your session has ended."),
        "log_in_again": gettext("Log in again."),
        "unsupported": gettext("This console is out of date. Reload the page."),
        "load_failed": gettext("The console could not load. Trying again…"),
        "show_more": gettext("Show more"),
        "loading_more": gettext("Loading…"),
        "inbox": gettext("Inbox"),
        "waiting": gettext("Waiting"),
        "active": gettext("Active"),
        "closed": gettext("Recently closed"),
        "no_waiting": gettext("No one is waiting."),
        "no_active": gettext("No active chats."),
        "no_closed": gettext("No recently closed chats."),
        "waited": gettext("waiting %(time)s"),
        "unread_one": gettext("%(count)s unread message"),
        "unread_other": gettext("%(count)s unread messages"),
        "mine": gettext("Yours"),
        "assigned_to": gettext("With %(name)s"),
        "unassigned": gettext("Unassigned"),
        "on_page": gettext("On %(page)s"),
        "status_waiting": gettext("Waiting"),
        "status_active": gettext("Active"),
        "status_closed": gettext("Closed"),
        "status_missed": gettext("Missed"),
        "empty_console": gettext(
            "Pick a conversation from the inbox to answer it. "
            "Several can be open at once, as tabs."
        ),
        "conversations": gettext("Open conversations"),
        "close_tab": gettext("Close tab %(name)s"),
        "transcript": gettext("Messages with %(name)s"),
        "details": gettext("Visitor"),
        "context": gettext("About this shopper"),
        "no_context": gettext("Nothing more is known about this shopper."),
        "name": gettext("Name"),
        "email": gettext("Email"),
        "page": gettext("Current page"),
        "locale": gettext("Language"),
        "topic": gettext("Topic"),
        "status": gettext("Status"),
        "agent": gettext("Agent"),
        "started": gettext("Started"),
        "yes": gettext("Yes"),
        "no": gettext("No"),
        "none": gettext("—"),
        "reply": gettext("Reply"),
        "reply_hint": gettext("Enter sends, Shift+Enter adds a new line."),
        "send": gettext("Send"),
        "claim": gettext("Claim"),
        "claim_anyway_question": gettext("Take it anyway?"),
        "claim_anyway": gettext("Take it anyway"),
        "close": gettext("Close conversation"),
        "closed_note": gettext("This conversation is closed."),
        "visitor_typing": gettext("Visitor is typing…"),
        "visitor_draft": gettext("Visitor has written something but not sent it yet."),
        "system": gettext("System"),
        "you": gettext("You"),
        "sending": gettext("Sending…"),
        "queued": gettext("Waiting for the connection…"),
        "sent": gettext("Sent"),
        "seen": gettext("Seen"),
        "failed": gettext("Not sent: %(error)s"),
        "will_retry": gettext("Not sent yet (%(error)s); will retry."),
        "dismiss": gettext("Dismiss"),
        "too_long": gettext("The message is longer than %(limit)s characters."),
        "loading": gettext("Loading…"),
        "error": gettext("Error: %(message)s"),
        "open_in_admin": gettext("Open the record in the admin"),
        "presence_saving": gettext("Saving…"),
        "presence_is_online": gettext("You are online."),
        "presence_is_away": gettext("You are away."),
        "presence_is_offline": gettext("You are offline."),
        "presence_not_saved": gettext("Your status was not changed. Try again."),
        "offline_message": gettext("Offline message"),
        "offline_hint": gettext(
            "They may have left — replies are also emailed to them."
        ),
        "phone": gettext("Phone"),
        "rating": gettext("Rating"),
        "rating_title": gettext("The shopper's rating"),
        "rating_good": gettext("Good"),
        "rating_bad": gettext("Bad"),
        "rating_comment": gettext("“%(comment)s”"),
        "attach": gettext("Attach a file"),
        "attach_hint": gettext("Images (PNG, JPEG, GIF, WebP) or PDF, up to %(size)s."),
        "uploading": gettext("Uploading…"),
        "uploaded": gettext("Uploaded"),
        "upload_failed": gettext("Not sent: %(error)s"),
        "upload_too_big": gettext("The file is larger than %(size)s."),
        "upload_bad_type": gettext("Only images (PNG, JPEG, GIF, WebP) and PDF files."),
        "upload_http_error": gettext("the server answered %(status)s"),
        "upload_network": gettext("the connection failed"),
        "retry": gettext("Retry"),
        "size_b": gettext("%(n)s bytes"),
        "size_kb": gettext("%(n)s KB"),
        "size_mb": gettext("%(n)s MB"),
        # Agent workspace: inbox sections and queue.
        "missed": gettext("Missed"),
        "no_missed": gettext("No missed chats."),
        "mine_section": gettext("Mine"),
        "no_mine": gettext("You have no active chats."),
        "others": gettext("Other active chats"),
        "no_others": gettext("No other agent has an active chat."),
        "waiting_long": gettext("waiting long"),
        "missed_since": gettext("missed, waiting %(time)s"),
        "routing_auto": gettext("New chats are assigned automatically."),
        "new_waiting": gettext("New chat waiting: %(name)s"),
        "new_assigned": gettext("New chat assigned to you: %(name)s"),
        "new_message": gettext("New message from %(name)s"),
        "unread_total": gettext("%(count)s unread"),
        # Transfers.
        "transfer": gettext("Transfer"),
        "transfer_title": gettext("Transfer the chat with %(name)s"),
        "transfer_agents": gettext("To an agent"),
        "transfer_departments": gettext("Or to a department"),
        "transfer_no_agents": gettext("No other agent is available right now."),
        "transfer_no_departments": gettext("No departments are set up."),
        "transfer_load": gettext("%(open)s/%(max)s chats"),
        "transfer_full": gettext("full"),
        "transfer_note": gettext("Note for the next agent (optional)"),
        "transfer_note_hint": gettext(
            "Only agents see this note; it is kept with the conversation."
        ),
        "transfer_submit": gettext("Transfer"),
        "transfer_sending": gettext("Transferring…"),
        "transfer_choose": gettext("Choose an agent or a department."),
        "transfer_done": gettext("The chat with %(name)s was transferred to %(to)s."),
        "transfer_agent_unavailable": gettext(
            "%(to)s is not available any more. Choose someone else."
        ),
        "transfer_agent_full": gettext(
            "%(to)s has no room for another chat. Choose someone else."
        ),
        "transfer_forbidden": gettext(
            "Only the agent handling this chat (or a supervisor) can transfer it."
        ),
        "transfer_closed": gettext("This conversation is closed."),
        "transfer_lost": gettext(
            "The connection was lost. Check the inbox to see whether the chat "
            "was transferred."
        ),
        "transfer_timeout": gettext("The server did not answer. Try again."),
        "transferred_to_you": gettext(
            "%(from)s transferred a chat with %(name)s to you."
        ),
        "transferred_to_department": gettext(
            "%(from)s passed a chat with %(name)s to a department."
        ),
        "transferred_note": gettext("Note: “%(note)s”"),
        "transferred_tag": gettext("Transferred to you"),
        "show_chat": gettext("Show the chat"),
        "cancel": gettext("Cancel"),
        # Closing.
        "close_title": gettext("Close the chat with %(name)s"),
        "close_tag": gettext("What was it about? (optional)"),
        "close_no_tag": gettext("No tag"),
        "close_confirm": gettext("Close conversation"),
        # Internal notes.
        "note_mode": gettext("Internal note"),
        "note_label": gettext("Internal note — only agents see this"),
        "note_send": gettext("Add note"),
        "note_hint": gettext(
            "Enter adds the note, Shift+Enter adds a new line. "
            "The shopper never sees notes."
        ),
        "note_saving": gettext("Saving…"),
        "read_only": gettext("Read-only: %(name)s is handling this chat."),
        "read_only_note": gettext("You can still add an internal note."),
        "read_only_supervisor": gettext(
            "Read-only: you supervise; only agents answer chats."
        ),
        # Canned replies.
        "canned_hint": gettext("Type / for saved replies."),
        "canned_label": gettext("Saved replies"),
        "canned_count_one": gettext(
            "%(count)s saved reply. Up and down arrows to choose, Enter to insert."
        ),
        "canned_count_other": gettext(
            "%(count)s saved replies. Up and down arrows to choose, Enter to insert."
        ),
        "canned_none": gettext("No saved reply matches."),
        "canned_inserted": gettext("Saved reply inserted; edit it before sending."),
        # The visit.
        "visit": gettext("This visit"),
        "pages_seen": gettext("Pages seen"),
        "browser": gettext("Browser"),
        "system_os": gettext("System"),
        "device": gettext("Device"),
        "mobile": gettext("Mobile"),
        "desktop": gettext("Desktop"),
        "past_conversations": gettext("Past conversations"),
        "no_past": gettext("None."),
        "tag": gettext("Tag"),
        "open_past": gettext("Open"),
        # Alerts.
        "alerts": gettext("Alerts"),
        "sound": gettext("Sound"),
        "desktop_notifications": gettext("Desktop notifications"),
        "enable_notifications": gettext("Enable notifications"),
        "notifications_denied": gettext(
            "The browser blocks notifications for this site; allow them in its "
            "site settings."
        ),
        "notifications_unsupported": gettext(
            "This browser cannot show desktop notifications."
        ),
        "notifications_on": gettext("Desktop notifications are on."),
        "notifications_ask": gettext(
            "Allow notifications to hear about shoppers while this tab is hidden."
        ),
        # Supervisors.
        "agents": gettext("Agents"),
        "agents_name": gettext("Agent"),
        "agents_status": gettext("Status"),
        "agents_load": gettext("Chats"),
        "agents_over_limit": gettext("over limit"),
        "agent_connected": gettext("at the console"),
        "not_connected": gettext("not at the console"),
        "presence_online": gettext("Online"),
        "presence_away": gettext("Away"),
        "presence_offline": gettext("Offline"),
    }


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
            # Fills {store_name} in canned replies: the name shoppers see.
            "store_name": widget_face()["title"],
            "console_strings": _console_strings(),
            # Where a console whose session ended sends the agent, and back.
            "login_url": reverse("admin:login", current_app=self.admin_site.name)
            + "?"
            + urlencode({REDIRECT_FIELD_NAME: request.get_full_path()}),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/livechat/console.html", context)
