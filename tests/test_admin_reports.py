"""The reports in the admin: who may see them, the pages, their CSV files,
the conversation export, the drill-down links and the read replica."""

import csv
import io
import math
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connections
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from livechat.admin.reports.display import csv_cell, duration, show
from livechat.models import (
    AgentProfile,
    Conversation,
    ConversationFact,
    ConversationTag,
    ReportHour,
    ReportSettings,
    TermDay,
    Visitor,
)
from livechat.services.reports.figures import REPORTS

OVERVIEW = "/admin/livechat/reportsettings/"
DAY = date(2026, 3, 10)
RANGE = "start=2026-03-09&end=2026-03-15"


def _user(username, *codenames):
    user = User.objects.create_user(username, password="pw", is_staff=True)
    for codename in codenames:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return user


@pytest.fixture
def chats():
    """Two conversations on 10 March at 9h (UTC store): one Ann answered in
    40 s and closed, one missed; and their rollup."""
    ann = User.objects.create_user("ann", first_name="Ann", is_staff=True)
    AgentProfile.objects.create(user=ann)
    kim = Visitor.objects.create(name="Kim", email="kim@example.com")
    started = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    answered = Conversation.objects.create(
        visitor=kim,
        status=Conversation.Status.CLOSED,
        assigned_agent=ann,
        created_at=started,
        first_agent_reply_at=started.replace(second=40),
        closed_at=started.replace(minute=10),
        close_tag="question",
        rating="good",
    )
    ConversationTag.objects.create(conversation=answered, tag="sizes")
    missed = Conversation.objects.create(
        visitor=Visitor.objects.create(), status=Conversation.Status.MISSED
    )
    common = {"day": DAY, "hour": 9, "weekday": 1, "started_at": started}
    ConversationFact.objects.create(
        conversation=answered,
        visitor_id_key=kim.pk,
        agent_key=ann.pk,
        outcome="answered",
        first_response_at=answered.first_agent_reply_at,
        first_response_seconds=40,
        closed_at=answered.closed_at,
        handling_seconds=600,
        **common,
    )
    ConversationFact.objects.create(
        conversation=missed,
        visitor_id_key=missed.visitor_id,
        outcome="missed",
        missed=True,
        **common,
    )
    ReportHour.objects.create(
        day=DAY, hour=9, agent_key=ann.pk, conversations=1, chats=1, answered=1
    )
    ReportHour.objects.create(day=DAY, hour=9, conversations=1, chats=1, missed=1)
    TermDay.objects.create(day=DAY, language="en", term="red boots", conversations=1)
    return {"ann": ann, "answered": answered, "missed": missed}


@pytest.mark.django_db
def test_only_who_may_view_reports_sees_them(client, chats):
    plain = _user("plain")
    client.force_login(plain)
    for url in (OVERVIEW, OVERVIEW + "service/", OVERVIEW + "service/csv/"):
        assert client.get(url).status_code == 403
    assert (
        "/admin/livechat/reportsettings/" not in client.get("/admin/").content.decode()
    )

    client.force_login(_user("owner", "view_reports"))
    index = client.get("/admin/")
    assert f'href="{OVERVIEW}"' in index.content.decode()
    page = client.get(OVERVIEW + "?" + RANGE)
    assert page.status_code == 200
    figures = {f["label"]: f["value"] for f in page.context["figures"]}
    assert (figures["Conversations"], figures["Missed"]) == ("2", "1")
    # The overview picks its figures whatever the language.
    spanish = client.get(OVERVIEW + "?" + RANGE, HTTP_ACCEPT_LANGUAGE="es")
    assert len(spanish.context["figures"]) == len(figures) == 6
    for slug in REPORTS:
        assert client.get(f"{OVERVIEW}{slug}/?{RANGE}").status_code == 200, slug
    assert client.get(OVERVIEW + "nonsense/").status_code == 404
    # No conversations for who may not see them: no export, no drill-down.
    assert client.get(OVERVIEW + "export/?" + RANGE).status_code == 403
    assert "fact__" not in client.get(f"{OVERVIEW}service/?{RANGE}").content.decode()
    demand = client.get(f"{OVERVIEW}demand/?{RANGE}").content.decode()
    assert 'role="img" aria-label="Chat requests and offline messages"' in demand
    assert 'role="group"' not in demand and "fact__" not in demand


@pytest.mark.django_db
def test_a_report_page_has_charts_tables_and_drill_down_links(client, chats):
    client.force_login(_user("owner", "view_reports", "view_conversation"))
    page = client.get(f"{OVERVIEW}service/?{RANGE}").content.decode()
    # The chart of chats per day is a group of links, its table beside it.
    chart = re.search(
        r'<figure class="livechat-reports__chart" data-table="per_day">(.*?)</figure>',
        page,
        re.S,
    ).group(1)
    assert 'role="group" aria-label="Chats per day"' in chart
    assert "Tue 10 Mar, Chats: 2" in chart
    table = re.search(r'<table[^>]*id="data-per_day">(.*?)</table>', page, re.S)
    assert table and "Tue 10 Mar" in table.group(1)
    link = re.search(r'href="(/admin/livechat/conversation/\?[^"]*)"', chart).group(1)
    params = parse_qs(urlparse(link.replace("&amp;", "&")).query)
    assert params["fact__day__gte"] == params["fact__day__lte"] == ["2026-03-09"]

    # The missed chats of the 10th: the conversation list shows just that one.
    listed = client.get(
        "/admin/livechat/conversation/",
        {
            "fact__day__gte": "2026-03-10",
            "fact__day__lte": "2026-03-10",
            "fact__outcome__in": "missed,abandoned",
        },
    )
    assert listed.status_code == 200
    assert listed.context["cl"].result_count == 1
    assert list(listed.context["cl"].result_list) == [chats["missed"]]
    # A word links to a search for it among the range's conversations.
    topics = client.get(f"{OVERVIEW}topics/?{RANGE}").content.decode()
    word = re.search(r'<a href="([^"]*q=red\+boots[^"]*)">red boots</a>', topics)
    params = parse_qs(urlparse(word.group(1).replace("&amp;", "&")).query)
    assert params["q"] == ["red boots"] and params["fact__day__lte"] == ["2026-03-15"]

    # Only the fact's own fields: no way through it to other tables.
    sneaky = client.get(
        "/admin/livechat/conversation/",
        {"fact__conversation__visitor__email__startswith": "kim"},
    )
    assert sneaky.status_code == 400


@pytest.mark.django_db
def test_a_bad_filter_is_a_400_that_says_why(client, chats):
    client.force_login(_user("owner", "view_reports"))
    response = client.get(OVERVIEW + "demand/?start=2026-03-10&end=2026-03-01")
    assert response.status_code == 400
    assert (
        "The range must end on or after the day it starts." in response.content.decode()
    )
    assert client.get(OVERVIEW + "?start=soon").status_code == 400
    response = client.get(OVERVIEW + "service/csv/?department=x")
    assert (
        response.status_code == 400
        and "chosen from the list" in response.content.decode()
    )


@pytest.mark.django_db
def test_a_tables_csv_holds_its_rows(client, chats):
    client.force_login(_user("owner", "view_reports"))
    response = client.get(f"{OVERVIEW}service/csv/?{RANGE}&table=per_agent")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["Agent", "Chats", "Answered"]
    assert sorted(row[:3] for row in rows[1:]) == [
        ["Ann", "1", "1"],
        ["Nobody", "1", "0"],
    ]
    missing = client.get(f"{OVERVIEW}service/csv/?{RANGE}&table=nope")
    assert missing.status_code == 404


@pytest.mark.django_db
def test_the_export_lists_each_conversation_once(client, chats):
    client.force_login(_user("owner", "view_reports", "view_conversation"))
    response = client.get(OVERVIEW + "export/?" + RANGE)
    assert response.status_code == 200
    rows = list(
        csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))
    )
    assert [int(row["id"]) for row in rows] == [
        chats["answered"].pk,
        chats["missed"].pk,
    ]
    first = rows[0]
    assert first["link"].endswith(
        f"/admin/livechat/conversation/{chats['answered'].pk}/change/"
    )
    assert (first["visitor"], first["email"], first["agent"]) == (
        "Kim",
        "kim@example.com",
        "Ann",
    )
    assert (first["tags"], first["handling seconds"], first["rating"]) == (
        "question sizes",
        "600",
        "good",
    )
    assert first["first response"] == "2026-03-10T09:00:40+00:00"
    assert rows[1]["handling seconds"] == "" and rows[1]["status"] == "Missed"


@pytest.mark.django_db
def test_the_settings_page_edits_the_one_row(client):
    owner = _user(
        "owner", "view_reports", "change_reportsettings", "add_reportsettings"
    )
    client.force_login(owner)
    page = client.get(OVERVIEW + "settings/")
    assert page.status_code == 200 and "_addanother" not in page.content.decode()
    # One row: nothing to "add" from the index or the add URL.
    assert OVERVIEW + "add/" not in client.get("/admin/").content.decode()
    assert client.get(OVERVIEW + "add/").status_code == 403
    form = {
        "first_response_target": "45",
        "agent_hourly_cost": "18.50",
        "phone_call_cost": "9",
        "currency": "EUR",
        "conversion_window_days": "5",
    }
    response = client.post(OVERVIEW + "settings/", form)
    assert response.status_code == 302 and response["Location"] == OVERVIEW
    client.post(OVERVIEW + "settings/", {**form, "currency": "GBP"})
    row = ReportSettings.objects.get()
    assert (row.first_response_target, row.currency) == (45, "GBP")
    # Who may only view the reports does not change them.
    client.force_login(_user("viewer", "view_reports"))
    assert client.post(OVERVIEW + "settings/", form).status_code == 403


@pytest.mark.django_db(transaction=True, databases=["default", "reports"])
def test_the_reports_read_from_the_replica_alias(client, chats):
    client.force_login(_user("owner", "view_reports"))
    with (
        override_settings(LIVECHAT_REPORTS_DATABASE="reports"),
        CaptureQueriesContext(connections["reports"]) as replica,
        CaptureQueriesContext(connections["default"]) as default,
    ):
        response = client.get(f"{OVERVIEW}service/?{RANGE}")
    assert response.status_code == 200
    assert "Tue 10 Mar, Chats: 2" in response.content.decode()
    on_replica = " ".join(q["sql"] for q in replica.captured_queries)
    assert "livechat_reporthour" in on_replica
    assert "livechat_reportlatency" in on_replica
    assert "livechat_conversationfact" in on_replica
    # The settings row is edited on the default database; the figures are not.
    on_default = [
        q["sql"]
        for q in default.captured_queries
        if re.search(
            r"livechat_report(hour|latency)|livechat_conversationfact", q["sql"]
        )
    ]
    assert on_default == []


def test_values_read_as_a_store_owner_reads_them():
    assert [duration(s) for s in (45, 70, 120, 3900, 7200)] == [
        "45 s",
        "1 min 10 s",
        "2 min",
        "1 h 5 min",
        "2 h",
    ]
    assert show(math.inf, "seconds") == "more than 48 h"
    assert [show(v, "ratio") for v in (2.0, 0.5, 1.25, 0)] == ["2", "0.5", "1.25", "0"]
    assert show(None, "count") == "–" and show(33.3, "percent") == "33.3 %"
    assert show(Decimal("5"), "money", "EUR") == "5.00 EUR"
    # A CSV cell never starts a spreadsheet formula.
    assert [csv_cell(v) for v in ("=SUM(A1)", "-1+1", "@x", "fine", -3, None)] == [
        "'=SUM(A1)",
        "'-1+1",
        "'@x",
        "fine",
        "-3",
        "",
    ]
