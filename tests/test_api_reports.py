"""The reports' figures on the REST API (livechat/api/views/reports.py)."""

from datetime import date

import pytest
from django.contrib.auth.models import Permission, User
from rest_framework.test import APIClient

from livechat.models import APIToken, ReportHour, Scope
from livechat.services.reports.figures import REPORTS, build_report, parse_filters

pytestmark = pytest.mark.django_db

API = "/livechat/api/v1/reports"
RANGE = {"start": "2026-03-09", "end": "2026-03-15"}


def _user(username, *codenames, **fields):
    user = User.objects.create_user(username, password="pw", **fields)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return User.objects.get(pk=user.pk)


@pytest.fixture
def hours():
    """Two chats on 10 March at 9h: one answered, one missed."""
    ann = User.objects.create_user("ann", is_staff=True)
    ReportHour.objects.create(
        day=date(2026, 3, 10),
        hour=9,
        agent_key=ann.pk,
        conversations=1,
        chats=1,
        answered=1,
    )
    ReportHour.objects.create(
        day=date(2026, 3, 10), hour=9, conversations=1, chats=1, missed=1
    )


def _token_client(user, scopes):
    _token, key = APIToken.objects.create_token(name="bi", user=user, scopes=scopes)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def test_every_report_answers_the_admins_numbers(hours):
    owner = _user("owner", "view_reports")  # not staff: the reports are theirs
    client = _token_client(owner, [Scope.REPORTS_READ])
    listed = client.get(f"{API}/").json()
    assert [r["slug"] for r in listed] == list(REPORTS)
    for slug in REPORTS:
        response = client.get(f"{API}/{slug}/", RANGE)
        assert response.status_code == 200, (slug, response.content[:300])
        data = response.json()
        report = build_report(slug, parse_filters(RANGE))
        assert data["slug"] == slug and data["start"] == "2026-03-09"
        assert [f["label"] for f in data["figures"]] == [
            str(f.label) for f in report.figures
        ]
        assert [t["key"] for t in data["tables"]] == [t.key for t in report.tables]
        for table, expected in zip(data["tables"], report.tables, strict=True):
            assert len(table["rows"]) == len(expected.rows)
    service = client.get(f"{API}/service/", RANGE).json()
    days = next(t for t in service["tables"] if t["columns"][0]["unit"] == "day")
    assert days["rows"][0][0] == "2026-03-09"


def test_reports_need_the_scope_and_the_permission(hours):
    owner = _user("owner", "view_reports")
    _assert_refused(_token_client(owner, [Scope.CONVERSATIONS_READ]), "reports:read")
    nobody = _user("nobody", is_staff=True)
    _assert_refused(_token_client(nobody, [Scope.REPORTS_READ]), "permission")
    session = APIClient()
    session.force_login(owner)
    assert session.get(f"{API}/service/").status_code == 200


def _assert_refused(client, words):
    response = client.get(f"{API}/service/")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert words in response.json()["detail"]


def test_bad_filters_and_unknown_reports(hours):
    client = _token_client(_user("owner", "view_reports"), [Scope.REPORTS_READ])
    response = client.get(f"{API}/service/", {"start": "March"})
    assert response.status_code == 400 and "start" in response.json()["fields"]
    response = client.get(
        f"{API}/service/", {"start": "2026-03-15", "end": "2026-03-01"}
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "non_field_errors": ["The range must end on or after the day it starts."]
    }
    response = client.get(f"{API}/service/", {"department": 999})
    assert response.status_code == 400
    assert client.get(f"{API}/nope/").status_code == 404
    # The store's today is the default end.
    assert client.get(f"{API}/service/").json()["end"] == str(parse_filters({}).end)


def test_the_reports_have_a_smaller_budget_of_their_own(hours, settings):
    settings.LIVECHAT_API_REPORTS_THROTTLE_RATE = "2/minute"
    owner = _user("owner", "view_reports", is_staff=True)
    owner.user_permissions.add(Permission.objects.get(codename="reply_conversation"))
    client = _token_client(
        User.objects.get(pk=owner.pk), [Scope.REPORTS_READ, Scope.CONVERSATIONS_READ]
    )
    for _ in range(2):
        assert client.get(f"{API}/service/", RANGE).status_code == 200
    refused = client.get(f"{API}/service/", RANGE)
    assert refused.status_code == 429 and refused.json()["code"] == "throttled"
    assert "Retry-After" in refused
    # The rest of the API keeps its own budget.
    assert client.get("/livechat/api/v1/conversations/").status_code == 200
