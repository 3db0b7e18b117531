"""A fortnight of report rollups for the reports' browser test.

Run inside the live shop (``manage.py shell -c``): the two demo agents work
weekdays 9 to 17 in the "Tea" and "Coffee" departments, while shoppers ask
most in the evening and at weekends, so the figures show the gap. Only
rollup rows are written (no conversations), in January 2025, far from the
chats other tests make.
"""

from datetime import date, timedelta

FIRST_DAY = date(2025, 1, 6)  # a Monday
DAYS = 14

SEED = f"""
from datetime import date, timedelta
from django.contrib.auth import get_user_model
from livechat.models import AgentHour, Department, ReportHour, ReportLatency, TermDay

first, days = date.fromisoformat("{FIRST_DAY.isoformat()}"), {DAYS}
users = get_user_model().objects
alice, bob = users.get(username="agent"), users.get(username="agent2")
tea, _ = Department.objects.get_or_create(name="Tea")
coffee, _ = Department.objects.get_or_create(name="Coffee")
tea.agents.add(alice)
coffee.agents.add(bob)
last = first + timedelta(days=days - 1)
for model in (ReportHour, ReportLatency, AgentHour, TermDay):
    model.objects.filter(day__gte=first, day__lte=last).delete()
hours, latencies, agent_hours = [], [], []
for n in range(days):
    day = first + timedelta(days=n)
    weekend = day.weekday() >= 5
    for hour in range(8, 23):
        evening = 1 + (hour >= 18) + (hour >= 20)
        asked = (1 + (hour * 7 + n * 3) % 3) * evening * (2 if weekend else 1)
        staffed = not weekend and 9 <= hour < 17
        for agent, department, share in ((alice, tea, 0.6), (bob, coffee, 0.4)):
            chats = max(1, round(asked * share))
            if staffed:
                fast = chats - chats // 3
                hours.append(ReportHour(
                    day=day, hour=hour, department_key=department.pk,
                    agent_key=agent.pk, conversations=chats, chats=chats,
                    answered=chats, closed=chats, first_response_sum=chats * 35,
                    first_response_count=chats, wait_sum=chats * 20,
                    wait_count=chats, handling_sum=chats * 480,
                    handling_count=chats, with_target=chats, met_target=fast,
                    rated_good=chats - (hour % 4 == 0), rated_bad=int(hour % 4 == 0),
                    rating_comments=chats // 4,
                ))
                for metric, buckets in (
                    ("first_response", ((4, fast), (8, chats - fast))),
                    ("wait", ((3, chats),)),
                    ("handling", ((13, chats),)),
                ):
                    for bucket, count in buckets:
                        if count:
                            latencies.append(ReportLatency(
                                day=day, hour=hour, department_key=department.pk,
                                agent_key=agent.pk, metric=metric, bucket=bucket,
                                count=count,
                            ))
                agent_hours.append(AgentHour(
                    day=day, hour=hour, agent_key=agent.pk, online_seconds=3600,
                    chat_seconds=int(3600 * (1.5 + hour % 3 * 0.75)),
                ))
            else:
                missed = chats - chats // 2
                hours.append(ReportHour(
                    day=day, hour=hour, department_key=department.pk,
                    conversations=chats, chats=missed,
                    offline_messages=chats - missed, missed=missed - missed // 3,
                    abandoned=missed // 3, with_target=missed - missed // 3,
                ))
ReportHour.objects.bulk_create(hours)
ReportLatency.objects.bulk_create(latencies)
AgentHour.objects.bulk_create(agent_hours)
TermDay.objects.bulk_create(
    TermDay(day=first + timedelta(days=n), language="en", term=term, conversations=c)
    for n in range(days)
    for term, c in (("delivery", 3), ("matcha", 2), ("gift wrap", 1 + n % 2))
)
"""

LAST_DAY = FIRST_DAY + timedelta(days=DAYS - 1)
