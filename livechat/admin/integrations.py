"""Admin pages for what connects other systems: API tokens (the key shown
once, revocation) and webhooks (endpoints with their secret, each delivery
with its attempts, redelivery).
"""

import json

import django
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from ..errors import ServiceError
from ..models import APIToken, Scope, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from ..services import api_tokens, webhooks


class _TokenForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("scopes"), choices=Scope.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = APIToken
        fields = ("name", "user", "scopes", "expires_at")

    def clean(self):
        cleaned = super().clean()
        user = cleaned.get("user") or getattr(self.instance, "user", None)
        if user is not None and "scopes" in cleaned:
            try:
                api_tokens.check_token_fields(
                    self.request.user, user, cleaned["scopes"]
                )
            except ServiceError as exc:
                raise ValidationError(exc.message) from exc
        return cleaned


@admin.register(APIToken)
class APITokenAdmin(admin.ModelAdmin):
    form = _TokenForm
    list_display = (
        "name",
        "prefix",
        "user",
        "scope_list",
        "created_at",
        "expires_at",
        "revoked",
        "last_used_at",
    )
    list_filter = ("revoked",)
    search_fields = ("name", "prefix", "user__username")
    raw_id_fields = ("user",)
    actions = ["revoke"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.request = request
        return form

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ("prefix",)
        # The key is gone; who it acts as is fixed with it.
        return ("prefix", "user", "created_at", "last_used_at", "revoked")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("name", "user", "scopes", "expires_at")
        return (
            "name",
            "prefix",
            "user",
            "scopes",
            "expires_at",
            "created_at",
            "last_used_at",
            "revoked",
        )

    @admin.display(description=_("scopes"))
    def scope_list(self, token):
        return ", ".join(token.scopes)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        token, key = api_tokens.create_token(
            request.user,
            name=obj.name,
            user=obj.user,
            scopes=form.cleaned_data["scopes"],
            expires_at=obj.expires_at,
        )
        # The admin logs and links the object it saved: make it the new row.
        obj.__dict__.update(token.__dict__)
        messages.warning(
            request,
            format_html(
                "{} <code>{}</code>",
                gettext(
                    "The token's key, shown this once (it is stored hashed): copy "
                    "it now and send it as 'Authorization: Bearer <key>'."
                ),
                key,
            ),
        )

    @admin.action(description=_("Revoke the selected tokens"), permissions=["change"])
    def revoke(self, request, queryset):
        count = api_tokens.revoke_tokens(queryset)
        self.message_user(
            request,
            ngettext("%d token revoked.", "%d tokens revoked.", count) % count,
        )


# Django 5.0 asks which scheme a URL typed without one gets (4.2: http).
_SCHEME = {"assume_scheme": "https"} if django.VERSION >= (5, 0) else {}


class _EndpointForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=500, **_SCHEME)
    events = forms.MultipleChoiceField(
        label=_("events"),
        choices=WebhookEndpoint.Event.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = WebhookEndpoint
        fields = ("url", "description", "events", "is_active")

    def clean_url(self):
        url = self.cleaned_data["url"]
        try:
            webhooks.check_url(url)
        except webhooks.DeliveryError as exc:
            raise ValidationError(str(exc)) from exc
        return url


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = _EndpointForm
    list_display = (
        "url",
        "description",
        "event_list",
        "is_active",
        "disabled_reason",
        "deliveries_link",
    )
    list_filter = ("is_active",)
    search_fields = ("url", "description")

    def get_fields(self, request, obj=None):
        fields = ["url", "description", "events", "is_active"]
        if obj is not None:
            # Whoever knows the secret can sign as the store: shown to those
            # who may change the endpoint, not to every viewer.
            if self.has_change_permission(request, obj):
                fields.append("secret")
            fields += ["disabled_reason", "failing_since", "deliveries_link"]
        return fields

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("secret", "disabled_reason", "failing_since", "deliveries_link")

    @admin.display(description=_("events"))
    def event_list(self, endpoint):
        return ", ".join(endpoint.events)

    @admin.display(description=_("deliveries"))
    def deliveries_link(self, endpoint):
        url = reverse("admin:livechat_webhookdelivery_changelist")
        return format_html(
            '<a href="{}?endpoint__id__exact={}">{}</a>',
            url,
            endpoint.pk,
            gettext("Deliveries"),
        )

    def save_model(self, request, obj, form, change):
        was_active = (
            WebhookEndpoint.objects.filter(pk=obj.pk, is_active=True).exists()
            if change
            else True
        )
        super().save_model(request, obj, form, change)
        if change and obj.is_active and not was_active:
            webhooks.activate_endpoint(obj)

    def get_changeform_initial_data(self, request):
        return {"events": [e.value for e in WebhookEndpoint.Event]}

    def changelist_view(self, request, extra_context=None):
        disabled = WebhookEndpoint.objects.filter(is_active=False).exclude(
            disabled_reason=""
        )
        for endpoint in disabled:
            messages.warning(
                request,
                gettext("Webhooks to %(url)s are switched off: %(why)s")
                % {"url": endpoint.url, "why": endpoint.disabled_reason},
            )
        return super().changelist_view(request, extra_context)


class _AttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ("started_at", "status_code", "duration_ms", "error", "response_excerpt")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "event",
        "event_id",
        "endpoint",
        "state",
        "attempts",
        "created_at",
        "next_attempt_at",
        "delivered_at",
    )
    list_filter = ("state", "event", "endpoint")
    search_fields = ("event_id", "ordering_key")
    list_select_related = ("endpoint",)
    inlines = [_AttemptInline]
    actions = ["redeliver"]
    fields = (
        "endpoint",
        "event",
        "event_id",
        "ordering_key",
        "state",
        "attempts",
        "occurred_at",
        "created_at",
        "next_attempt_at",
        "delivered_at",
        "body",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("body"))
    def body(self, delivery):
        return format_html(
            "<pre>{}</pre>", json.dumps(delivery.payload, indent=2, ensure_ascii=False)
        )

    def has_redeliver_permission(self, request):
        """Sending data out again is for who may edit the endpoints."""
        return request.user.has_perm("livechat.change_webhookendpoint")

    @admin.action(
        description=_("Send the selected deliveries again"), permissions=["redeliver"]
    )
    def redeliver(self, request, queryset):
        count = webhooks.redeliver(queryset.select_related("endpoint"))
        self.message_user(
            request,
            ngettext("%d delivery queued again.", "%d deliveries queued again.", count)
            % count,
        )
