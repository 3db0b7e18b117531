"""What a report covers: a range of the store's local days, and optionally
one department and one agent, read from a request's query string."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext

from ...conf import app_settings
from ...models import Department
from ..availability import store_timezone

DEFAULT_DAYS = 28
MAX_DAYS = 731


class FilterError(ValueError):
    """A report's filters could not be read; the message says why."""


def reports_database() -> str:
    """The database alias the reports read from (a read replica, or default)."""
    return app_settings.REPORTS_DATABASE or "default"


def store_today() -> date:
    return timezone.now().astimezone(store_timezone()).date()


@dataclass(frozen=True)
class Filters:
    """A report's range (local days, both included), department and agent."""

    start: date
    end: date
    department: int | None = None
    agent: int | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> "Filters":
        """The range of as many days just before this one."""
        return Filters(
            self.start - timedelta(days=self.days),
            self.start - timedelta(days=1),
            self.department,
            self.agent,
        )

    def hour_lookups(self) -> dict:
        """Lookups on a rollup (or fact) keyed by day, department and agent."""
        lookups = {"day__gte": self.start, "day__lte": self.end}
        if self.department is not None:
            lookups["department_key"] = self.department
        if self.agent is not None:
            lookups["agent_key"] = self.agent
        return lookups

    def query(self) -> dict[str, str]:
        """The query string parameters that give back these filters."""
        params = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        if self.department is not None:
            params["department"] = str(self.department)
        if self.agent is not None:
            params["agent"] = str(self.agent)
        return params


def _day(value, name):
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise FilterError(
            gettext("The %(name)s date must look like 2026-03-31, not %(value)r.")
            % {"name": name, "value": value[:40]}
        ) from None


def _key(value, name):
    value = value.strip()
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise FilterError(
            gettext("The %(name)s must be chosen from the list, not %(value)r.")
            % {"name": name, "value": value[:40]}
        )
    return int(value)


def parse_filters(params, today: date | None = None) -> Filters:
    """Filters from a query string (``start``, ``end``, ``department``,
    ``agent``); the last DEFAULT_DAYS days when no range is given.

    Raises FilterError, whose message can be shown as it is, for dates that
    are not dates, a range that ends before it starts or spans more than
    MAX_DAYS days, and a department or agent that does not exist.
    """
    today = today or store_today()
    start_text = (params.get("start") or "").strip()
    end_text = (params.get("end") or "").strip()
    end = _day(end_text, gettext("end")) if end_text else today
    if start_text:
        start = _day(start_text, gettext("start"))
    else:
        start = end - timedelta(days=DEFAULT_DAYS - 1)
    if end < start:
        raise FilterError(gettext("The range must end on or after the day it starts."))
    if (end - start).days + 1 > MAX_DAYS:
        raise FilterError(
            gettext("A report covers at most %(days)d days.") % {"days": MAX_DAYS}
        )
    department = _key(params.get("department") or "", gettext("department"))
    agent = _key(params.get("agent") or "", gettext("agent"))
    database = reports_database()
    if (
        department is not None
        and not Department.objects.using(database).filter(pk=department).exists()
    ):
        raise FilterError(gettext("There is no such department."))
    if (
        agent is not None
        and not get_user_model().objects.using(database).filter(pk=agent).exists()
    ):
        raise FilterError(gettext("There is no such agent."))
    return Filters(start, end, department, agent)
