"""Visitors in the admin: their chats, and their data exported or erased."""

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.core.handlers.asgi import ASGIRequest
from django.db.models import Q
from django.http import HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from .. import services
from ..models import Visitor
from ..services import privacy
from .paging import EstimatedCountPaginator


class _LanguageFilter(admin.SimpleListFilter):
    """The site's languages (``LANGUAGES``): choices that need no query, where
    listing the locales stored would read every visitor. A visitor's browser
    locale matches by its language ("es-MX" under Spanish)."""

    title = _("language")
    parameter_name = "language"

    def lookups(self, request, model_admin):
        choices = {}
        for code, name in settings.LANGUAGES:
            choices.setdefault(code.split("-")[0].lower(), name)
        return list(choices.items())

    def queryset(self, request, queryset):
        language = self.value()
        if not language:
            return queryset
        return queryset.filter(
            Q(locale__iexact=language) | Q(locale__istartswith=f"{language}-")
        )


@admin.register(Visitor)
class VisitorAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "email",
        "user",
        "locale",
        "current_page",
        "last_seen_at",
    )
    list_filter = (_LanguageFilter, "last_seen_at")
    list_select_related = ("user",)
    search_fields = ("name", "email", "key", "user__username", "user__email")
    raw_id_fields = ("user",)
    # Where the shopper is and what they browse with are reported by the widget.
    readonly_fields = (
        "key",
        "current_page",
        "user_agent",
        "created_at",
        "last_seen_at",
        "conversations_link",
    )
    fields = (
        "key",
        "name",
        "email",
        "user",
        "locale",
        "current_page",
        "user_agent",
        "created_at",
        "last_seen_at",
        "conversations_link",
    )
    # No date_hierarchy: its bar sorts every visitor's month; the "last seen"
    # filter's ranges are read from the index.
    show_full_result_count = False
    # Rendering a row costs more than reading it (about 2 ms each in
    # Django's change list): 50 a page keeps a page well under 300 ms.
    list_per_page = 50
    paginator = EstimatedCountPaginator
    actions = ("export_selected", "erase_selected")

    def get_search_results(self, request, queryset, search_term):
        """Runs on a search: the search service's indexed match, no join."""
        return services.matching_visitors(search_term, queryset), False

    def get_actions(self, request):
        actions = super().get_actions(request)
        # Erasure (erase_selected) closes open chats and shows its counts first;
        # Django's delete would leave consoles with chats that no longer exist.
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None):
        # Deleting a visitor erases their conversations with them.
        return super().has_delete_permission(request, obj) and request.user.has_perm(
            "livechat.delete_conversation"
        )

    def has_export_permission(self, request):
        # The export holds the visitor and their transcripts: no more than
        # these admin pages show to someone who may view both.
        return self.has_view_permission(request) and request.user.has_perm(
            "livechat.view_conversation"
        )

    @admin.action(
        description=_("Export selected visitors' data (JSON)"),
        permissions=["export"],
    )
    def export_selected(self, request, queryset):
        # Streamed as it is read: a shopper's long history is never held whole.
        # Under ASGI (daphne) Django streams only an asynchronous iterator;
        # it would read a synchronous one whole first.
        pieces = privacy.export_visitors_json(queryset)
        if isinstance(request, ASGIRequest):
            pieces = _read_on_database_thread(pieces)
        response = StreamingHttpResponse(pieces, content_type="application/json")
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        response["Content-Disposition"] = (
            f'attachment; filename="livechat-visitors-{stamp}.json"'
        )
        return response

    @admin.action(
        description=_("Erase selected visitors and all their data"),
        permissions=["delete"],
    )
    def erase_selected(self, request, queryset):
        if request.POST.get("post") == "yes":
            self._erase(request, queryset)
            return None
        return self._erase_confirmation(request, queryset, action="erase_selected")

    def delete_view(self, request, object_id, extra_context=None):
        """Runs on a visitor's Delete button: the erasure, counts shown first."""
        visitor = self.get_object(request, unquote(object_id))
        if visitor is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_delete_permission(request, visitor):
            raise PermissionDenied
        queryset = Visitor.objects.filter(pk=visitor.pk)
        if request.method == "POST" and request.POST.get("post") == "yes":
            self._erase(request, queryset)
            return HttpResponseRedirect(reverse("admin:livechat_visitor_changelist"))
        return self._erase_confirmation(request, queryset, visitor=visitor)

    def _erase(self, request, queryset):
        counts = privacy.erase_visitors(queryset, erased_by=request.user)
        self.message_user(
            request,
            ngettext(
                "Erased %(count)d visitor and everything stored about them.",
                "Erased %(count)d visitors and everything stored about them.",
                counts["visitors"],
            )
            % {"count": counts["visitors"]},
            messages.SUCCESS,
        )

    def _erase_confirmation(self, request, queryset, action=None, visitor=None):
        request.current_app = self.admin_site.name
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Erase visitors and their data"),
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "media": self.media,
            "visitors": queryset.select_related("user"),
            "visitor": visitor,
            "counts": privacy.erasure_counts(queryset),
            "action": action,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(
            request, "admin/livechat/visitor/erase_confirmation.html", context
        )

    @admin.display(description=_("conversations"))
    def conversations_link(self, visitor):
        if visitor.pk is None:
            return "-"
        count = visitor.conversations.count()
        url = reverse("admin:livechat_conversation_changelist")
        return format_html(
            '<a href="{}?visitor__id__exact={}">{}</a>',
            url,
            visitor.pk,
            ngettext("%(count)d conversation", "%(count)d conversations", count)
            % {"count": count},
        )


async def _read_on_database_thread(pieces, size=64 * 1024):
    """The text ``pieces`` as an asynchronous iterator, about ``size``
    characters at a time, each read in Django's thread for database work."""
    iterator = iter(pieces)

    def read():
        chunk, length = [], 0
        for piece in iterator:
            chunk.append(piece)
            length += len(piece)
            if length >= size:
                break
        return "".join(chunk)

    while chunk := await sync_to_async(read, thread_sensitive=True)():
        yield chunk
