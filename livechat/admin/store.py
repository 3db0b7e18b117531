"""Admin pages for what the store edits: widget, hours, invitations, canned
replies, departments; and the attachments record.

Registered when Django autodiscovers ``livechat.admin``.
"""

from django.contrib import admin
from django.db.models import Count
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ..models import (
    Attachment,
    BusinessHours,
    CannedReply,
    Department,
    HolidayException,
    InvitationRule,
    WidgetProfile,
)


@admin.register(WidgetProfile)
class WidgetProfileAdmin(admin.ModelAdmin):
    """One row: the list page goes straight to it."""

    fieldsets = (
        (None, {"fields": ("title", "greeting", "color", "logo", "position")}),
        (_("Availability"), {"fields": ("timezone", "offline_note")}),
        (
            _("Other ways to reach the store"),
            {
                "fields": ("contact_phone", "contact_email", "contact_note"),
                "description": _(
                    "Shown in the widget when nobody can chat, and beside the "
                    "form for leaving a message."
                ),
            },
        ),
    )

    def has_add_permission(self, request):
        return not WidgetProfile.objects.exists() and super().has_add_permission(
            request
        )

    def changelist_view(self, request, extra_context=None):
        profile = WidgetProfile.objects.first()
        if profile is None:
            if self.has_add_permission(request):
                return redirect("admin:livechat_widgetprofile_add")
        elif self.has_view_or_change_permission(request, profile):
            return redirect("admin:livechat_widgetprofile_change", profile.pk)
        return super().changelist_view(request, extra_context)


@admin.register(BusinessHours)
class BusinessHoursAdmin(admin.ModelAdmin):
    list_display = ("weekday", "opens", "closes")
    list_editable = ("opens", "closes")
    list_display_links = ("weekday",)
    ordering = ("weekday", "opens")


@admin.register(HolidayException)
class HolidayExceptionAdmin(admin.ModelAdmin):
    list_display = ("date", "note", "closed", "opens", "closes")
    list_filter = ("closed",)
    date_hierarchy = "date"


@admin.register(InvitationRule)
class InvitationRuleAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "url_pattern",
        "seconds_on_page",
        "min_cart_value",
        "offer_code",
        "is_active",
        "priority",
    )
    list_editable = ("is_active", "priority")
    list_filter = ("is_active",)
    search_fields = ("name", "message", "url_pattern")


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    """Files are a record of the conversation: viewable, never edited."""

    list_display = (
        "original_name",
        "content_type",
        "size",
        "conversation",
        "created_at",
    )
    list_filter = ("content_type",)
    search_fields = ("original_name", "=conversation__id")
    # The conversation's name is its visitor's, which may be their user's.
    list_select_related = ("conversation__visitor__user",)
    fields = (
        "original_name",
        "content_type",
        "size",
        "width",
        "height",
        "conversation",
        "created_at",
        "download",
    )
    readonly_fields = fields

    @admin.display(description=_("file"))
    def download(self, obj):
        url = reverse("livechat:attachment-download", kwargs={"key": obj.key})
        return format_html('<a href="{}">{}</a>', url, obj.original_name)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    # Agents' own replies (an owner) sit beside the shared ones; a reply
    # added here is shared.
    list_display = ("shortcut", "title", "language", "department", "owner")
    list_filter = ("language", "department", ("owner", admin.EmptyFieldListFilter))
    list_select_related = ("department", "owner")
    search_fields = ("shortcut", "title", "body")
    fields = ("title", "shortcut", "language", "department", "body")


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "topics", "agent_count")
    search_fields = ("name", "topics")
    filter_horizontal = ("agents",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(agents_count=Count("agents"))

    @admin.display(description=_("agents"), ordering="agents_count")
    def agent_count(self, obj):
        return obj.agents_count

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "agents":
            # Only staff can be agents.
            kwargs["queryset"] = db_field.remote_field.model.objects.filter(
                is_staff=True, is_active=True
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)
