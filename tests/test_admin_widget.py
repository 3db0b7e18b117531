import pytest
from django.urls import reverse

from livechat.models import BusinessHours, InvitationRule, WidgetProfile

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(client, django_user_model):
    user = django_user_model.objects.create_superuser("boss", "b@example.com", "pw")
    client.force_login(user)
    return client


def test_widget_profile_is_a_single_row(admin_client_):
    response = admin_client_.get(reverse("admin:livechat_widgetprofile_changelist"))
    assert response.status_code == 302
    assert response.url == reverse("admin:livechat_widgetprofile_add")
    response = admin_client_.post(
        reverse("admin:livechat_widgetprofile_add"),
        {"title": "Corner help", "color": "#123456", "position": "bottom-left"},
    )
    assert response.status_code == 302
    profile = WidgetProfile.objects.get()
    response = admin_client_.get(reverse("admin:livechat_widgetprofile_changelist"))
    assert response.url == reverse(
        "admin:livechat_widgetprofile_change", args=[profile.pk]
    )
    assert (
        admin_client_.get(reverse("admin:livechat_widgetprofile_add")).status_code
        == 403
    )


def test_business_hours_and_invitations_are_edited_in_the_admin(admin_client_):
    response = admin_client_.post(
        reverse("admin:livechat_businesshours_add"),
        {"weekday": 0, "opens": "09:00", "closes": "17:00"},
    )
    assert response.status_code == 302 and BusinessHours.objects.count() == 1
    response = admin_client_.post(
        reverse("admin:livechat_businesshours_add"),
        {"weekday": 1, "opens": "17:00", "closes": "09:00"},
    )
    assert response.status_code == 200  # refused: closes before opens
    assert BusinessHours.objects.count() == 1
    response = admin_client_.post(
        reverse("admin:livechat_invitationrule_add"),
        {
            "name": "Checkout help",
            "message": "Questions about your order?",
            "url_pattern": "/checkout/*",
            "seconds_on_page": 20,
            "is_active": "on",
            "priority": 10,
        },
    )
    assert response.status_code == 302 and InvitationRule.objects.count() == 1
    for name in ("businesshours", "holidayexception", "invitationrule", "attachment"):
        url = reverse(f"admin:livechat_{name}_changelist")
        assert admin_client_.get(url).status_code == 200


def test_attachments_cannot_be_added_by_hand(admin_client_):
    assert (
        admin_client_.get(reverse("admin:livechat_attachment_add")).status_code == 403
    )


def test_canned_replies_and_departments_are_edited_in_the_admin(admin_client_):
    from livechat.models import CannedReply, Department

    response = admin_client_.post(
        reverse("admin:livechat_cannedreply_add"),
        {
            "title": "Shipping",
            "shortcut": "shipping",
            "language": "en",
            "body": "Hi {visitor_name}, we ship in 2 days.",
        },
    )
    assert response.status_code == 302 and CannedReply.objects.count() == 1
    response = admin_client_.post(
        reverse("admin:livechat_department_add"),
        {"name": "Order help", "topics": "order"},
    )
    assert response.status_code == 302
    assert Department.objects.get().topic_keys == ["order"]
    for name in ("cannedreply", "department"):
        url = reverse(f"admin:livechat_{name}_changelist")
        assert admin_client_.get(url).status_code == 200
