"""Five weeks of the demo store's chats, so its reports are not empty.

Every chat goes through livechat's services with the clock travelled back to
when it happened (time-machine), so the reports' listeners write the facts
and rollups exactly as they would have: agents coming online on weekday
mornings, shoppers writing mostly in the evening and at weekends, chats
missed or abandoned while nobody is there, offline messages answered the
next morning, transfers, saved replies, ratings, closing tags, and orders
placed after some chats. Every step of every chat is put on one timeline
and played in order, so the clock only moves forward.

Idempotent: the visitors have fixed keys, and a store that has the first
one already has its history.
"""

import heapq
import random
import uuid
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from livechat import services
from livechat.conf import app_settings
from livechat.errors import ServiceError
from livechat.models import (
    AgentProfile,
    CannedReply,
    Conversation,
    Visitor,
)
from livechat.ratelimit import RateLimited
from livechat.services import assignment, canned, housekeeping, presence, visitors
from livechat.services.availability import store_timezone
from livechat.services.visitors import InvalidProfile

from . import demo_words as words

WEEKS = 5
CONVERSATIONS = 500
_NAMESPACE = uuid.UUID("3f9d6a8e-2b1c-4e7a-9c55-0d6f1e2a7b40")
# Shoppers by local hour: a little in the morning, most in the evening.
HOUR_WEIGHTS = (
    1.0, 0.5, 0.3, 0.2, 0.2, 0.3, 0.6, 1.2, 2.0, 3.0, 3.5, 4.0,
    4.0, 3.6, 3.4, 3.4, 3.6, 4.2, 5.5, 7.5, 8.5, 8.0, 6.0, 3.0,
)  # fmt: skip
WEEKDAY_WEIGHTS = (1.0, 0.95, 0.95, 1.0, 1.1, 1.6, 1.5)  # Monday first
ABANDONED_SHARE = 0.07  # of chats while agents are there
OFFLINE_SHARE = 0.45  # of shoppers who find nobody there
LEFT_SHARE = 0.35  # of chats nobody answered, the shopper leaving first
TRANSFER_SHARE = 0.08
SAVED_REPLY_SHARE = 0.35
RATED_SHARE = 0.45
ORDER_SHARE = {"cart": 0.5, "checkout": 0.6, "": 0.25}
# Orders of shoppers who never chatted, against which chats convert.
ORDERS_WITHOUT_CHAT_PER_WEEK = 24


def visitor_key(index):
    return uuid.uuid5(_NAMESPACE, f"demo-history-{index}")


def has_history():
    return Visitor.objects.filter(key=visitor_key(0)).exists()


def seed_history(
    agents, *, weeks=WEEKS, conversations=CONVERSATIONS, now=None, editor=None
):
    """Play ``conversations`` chats of the last ``weeks`` weeks with
    ``agents`` (users allowed to answer; ``editor`` may add shared saved
    replies). Returns the chats whose steps all went as planned, the others
    (a step refused: they end early, closed by the store) and, when the
    store has its history already, ``(0, 0)``."""
    if has_history():
        return 0, 0
    import time_machine  # a dev dependency: only the demo's history needs it

    now = now or timezone.now()
    plan = _Plan(list(agents), random.Random(weeks * 1000 + conversations), now)
    plan.shifts(weeks)
    plan.chats(weeks, conversations)
    with (
        override_settings(
            # The clock jumps hours at a time: consoles stay alive through it.
            LIVECHAT_AGENT_HEARTBEAT_TIMEOUT=10**9,
            LIVECHAT_AGENT_IDLE_AWAY_SECONDS=10**9,
            LIVECHAT_ROUTING="claim",
            LIVECHAT_REOPEN_WINDOW=0,
            # Offline messages notify the staff: not for five weeks of them.
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        ),
        time_machine.travel(plan.first_moment(), tick=False) as clock,
    ):
        presences = dict(
            AgentProfile.objects.filter(user__in=plan.agents).values_list(
                "user_id", "presence"
            )
        )
        with _quick_commits():
            plan.play(clock, editor or plan.agents[0])
        # The agents' own presence back, in the past: its online stretch
        # (if any) ends with the grace period of the console closed then.
        ended = timezone.now()
        for agent in plan.agents:
            presence.agent_disconnected(agent, _console(agent))
            presence.set_presence(agent, presences.get(agent.pk, "offline"))
        clock.move_to(ended + timedelta(seconds=app_settings.AGENT_GRACE_SECONDS + 1))
        for agent in plan.agents:
            presence.agent_grace_over(agent)
    return conversations - len(plan.failed), len(plan.failed)


@contextmanager
def _quick_commits():
    """Thousands of small transactions need not wait for the disk each (a
    crash would lose the last few, of demo data)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET synchronous_commit TO OFF")
            restore = "SET synchronous_commit TO DEFAULT"
        elif connection.vendor == "sqlite":
            cursor.execute("PRAGMA synchronous")
            restore = f"PRAGMA synchronous = {int(cursor.fetchone()[0])}"
            cursor.execute("PRAGMA synchronous = OFF")
        else:
            restore = None
    try:
        yield
    finally:
        if restore:
            with connection.cursor() as cursor:
                cursor.execute(restore)


def _console(agent):
    return f"demo-history-console-{agent.pk}"


class _Plan:
    """The timeline: ``(moment, order, step)``, played in moment order."""

    def __init__(self, agents, rng, now):
        self.agents, self.rng, self.now = agents, rng, now
        self.tz = store_timezone()
        self.timeline, self.order = [], 0
        self.on_duty = []  # (start, end, agent)
        self.replies = []
        self.failed = []  # (step, error) of chats that ended early

    def at(self, moment, step, *args):
        if moment < self.now:
            self.order += 1
            heapq.heappush(self.timeline, (moment, self.order, step, args))

    def first_moment(self):
        return min(self.timeline)[0] - timedelta(minutes=1)

    def play(self, clock, editor):
        self.replies = _saved_replies(editor)
        while self.timeline:
            moment, _order, step, args = heapq.heappop(self.timeline)
            clock.move_to(moment)
            step(*args)

    # Agents ------------------------------------------------------------------

    def days(self, weeks):
        """The days of the history: ``weeks`` weeks up to two days ago, so
        every chat has ended by now (but offline messages left at the last
        weekend)."""
        today = self.now.astimezone(self.tz).date()
        return [today - timedelta(days=n) for n in range(weeks * 7 + 1, 1, -1)]

    def _local(self, day, hour, minutes=0):
        return datetime.combine(day, time(hour), self.tz) + timedelta(minutes=minutes)

    def shifts(self, weeks):
        """Weekdays 9 to 17 (the second agent Fridays till 13, and Tuesday
        and Thursday evenings), one Saturday morning in two."""
        for day in self.days(weeks):
            weekday = day.weekday()
            for index, agent in enumerate(self.agents):
                hours = []
                if weekday < 5:
                    hours.append((9, 13 if index == 1 and weekday == 4 else 17))
                    if index == 1 and weekday in (1, 3):
                        hours.append((18, 21))  # evenings, tried twice a week
                elif weekday == 5 and index == 0 and day.isocalendar().week % 2 == 0:
                    hours.append((10, 14))
                for start, end in hours:
                    begin = self._local(day, start, self.rng.uniform(-10, 10))
                    finish = self._local(day, end, self.rng.uniform(0, 20))
                    self.on_duty.append((begin, finish, agent))
                    self.at(begin, _come_online, agent)
                    self.at(finish, _go_offline, agent)

    def online_at(self, moment, lasting=timedelta(minutes=20)):
        return [
            agent
            for start, end, agent in self.on_duty
            if start <= moment and moment + lasting <= end
        ]

    def next_duty(self, moment):
        later = [
            (start, agent) for start, _end, agent in self.on_duty if start > moment
        ]
        return min(later, key=lambda item: item[0]) if later else (None, None)

    # Shoppers ----------------------------------------------------------------

    def chats(self, weeks, count):
        slots, weights = [], []
        for day in self.days(weeks):
            for hour, weight in enumerate(HOUR_WEIGHTS):
                slots.append((day, hour))
                weights.append(weight * WEEKDAY_WEIGHTS[day.weekday()])
        picked = sorted(self.rng.choices(slots, weights, k=count))
        seen = []
        for index, (day, hour) in enumerate(picked):
            start = self._local(day, hour, self.rng.uniform(0, 59))
            # Returning shoppers are those of some days before (their chats
            # are over by then).
            shopper = _Shopper.make(self.rng, index, seen[:-60])
            seen.append(shopper)
            online = self.online_at(start)
            if online:
                _ChatScript(self, shopper, start).answered_or_abandoned(online)
            else:
                _ChatScript(self, shopper, start).nobody_there()
        for index in range(ORDERS_WITHOUT_CHAT_PER_WEEK * weeks):
            day, hour = self.rng.choices(slots, weights)[0]
            moment = self._local(day, hour, self.rng.uniform(0, 59))
            self.at(moment, _order_without_chat, index, self.rng.randrange(900, 9000))


class _Shopper:
    """A shopper: their visitor key, language, name and a question."""

    @classmethod
    def make(cls, rng, index, seen):
        # Some come back, days later, with another question.
        if seen and rng.random() < 0.12:
            earlier = rng.choice(seen)
            shopper = cls(earlier.index, earlier.language, earlier.name)
        else:
            language = rng.choices(
                list(words.LANGUAGE_WEIGHTS), list(words.LANGUAGE_WEIGHTS.values())
            )[0]
            shopper = cls(index, language, rng.choice(words.NAMES[language]))
        shopper.question = rng.choice(words.QUESTIONS[shopper.language])
        shopper.order_number = f"#{rng.randrange(10000, 99999)}"
        pages, page_weights = zip(*words.START_PAGES, strict=True)
        shopper.page = rng.choices(pages, page_weights)[0]
        return shopper

    def __init__(self, index, language, name):
        self.index, self.language, self.name = index, language, name

    def text(self, template):
        return template.format(order=self.order_number)


class _ChatScript:
    """One conversation's steps, put on the plan's timeline."""

    def __init__(self, plan, shopper, start):
        self.plan, self.shopper, self.start = plan, shopper, start
        self.rng = plan.rng
        self.state = {"conversation": None, "visitor": None, "broken": False}

    def _at(self, seconds, step, *args):
        self.plan.at(self.start + timedelta(seconds=seconds), self._guarded, step, args)

    def _guarded(self, step, args):
        if self.state["broken"]:
            return
        try:
            with transaction.atomic():
                step(*args)
        except (ServiceError, InvalidProfile, RateLimited) as error:
            # The chat went another way (e.g. the agent had no room): its
            # other steps are dropped and the store closes it.
            self.state["broken"] = True
            self.plan.failed.append((step.__name__, repr(error)))
            if self.state["conversation"] is not None:
                services.close_conversation(self._conversation())

    # Scripts -----------------------------------------------------------------

    def answered_or_abandoned(self, online):
        topic, tag, first, follow, answer = self.shopper.question
        self._at(-90, self._arrive)
        self._at(0, self._write, first, topic)
        if self.rng.random() < ABANDONED_SHARE:
            self._leave_unanswered(self.rng.uniform(25, 120))
            return
        evening = self.start.astimezone(self.plan.tz).hour >= 16
        wait = self.rng.uniform(40, 280) if evening else self.rng.uniform(10, 120)
        agent = self.rng.choice(online)
        self._at(wait, self._claim, agent)
        self._at(wait + 15, self._greet, agent)
        self._at(wait + 70, self._write, follow)
        self._at(wait + 130, self._answer, agent, answer)
        holder, later = agent, wait + 130
        others = [other for other in online if other != agent]
        if others and self.rng.random() < TRANSFER_SHARE:
            holder = others[0]
            self._at(wait + 150, self._transfer, agent, holder)
            self._at(wait + 200, self._answer, holder, answer)
            later = wait + 200
        self._at(later + 60, self._write, words.THANKS[self.shopper.language])
        closed = later + 60 + self.rng.uniform(60, 500)
        self._at(closed, self._close, holder, tag)
        self._at(closed + 40, self._leave)
        if self.rng.random() < RATED_SHARE:
            self._at(closed + 20, self._rate)
        kind = self.shopper.page.strip("/").split("/")[0]
        share = ORDER_SHARE.get(kind if kind in ("cart", "checkout") else "", 0)
        if topic == "pre-sales" and self.rng.random() < share:
            self._at(closed + self.rng.uniform(300, 2 * 86400), self._order)

    def nobody_there(self):
        topic, tag, first, _follow, answer = self.shopper.question
        self._at(-60, self._arrive)
        if self.rng.random() < OFFLINE_SHARE:
            self._at(0, self._leave_message, first, topic)
            self._at(30, self._leave)
            duty, agent = self.plan.next_duty(self.start)
            if agent is not None:
                replied = (duty - self.start).total_seconds()
                replied += self.rng.uniform(300, 5400)
                self._at(replied, self._answer, agent, answer)
                self._at(replied + 60, self._close, agent, tag)
            return
        self._at(0, self._write, first, topic)
        if self.rng.random() < LEFT_SHARE:
            self._leave_unanswered(self.rng.uniform(30, 200))
        else:
            # Missed: the shopper's tab stays open until the store closes it.
            self._at(app_settings.MISSED_AFTER_SECONDS + 5, housekeeping.mark_missed)
            self._at(3 * 3600, self._close, None, "")
            self._at(3 * 3600 + 60, self._leave)

    def _leave_unanswered(self, after):
        self._at(after, self._leave)
        self._at(
            after + app_settings.MISSED_AFTER_SECONDS + 5, housekeeping.mark_missed
        )
        self._at(after + 3 * 3600, self._close, None, "")

    # Steps -------------------------------------------------------------------

    def _arrive(self):
        locale = words.LOCALES[self.shopper.language]
        visitor = visitors.get_or_create_visitor(visitor_key(self.shopper.index))
        visitors.touch_visitor(
            visitor,
            page=f"https://corner-shop.example{self.shopper.page}",
            locale=locale,
        )
        visitors.visitor_socket_opened(visitor)
        self.state["visitor"] = visitor

    def _write(self, body, topic=""):
        message, _created = services.post_visitor_message(
            self.state["visitor"], self.shopper.text(body), uuid.uuid4().hex, topic
        )
        self.state["conversation"] = message.conversation_id

    def _leave_message(self, body, topic):
        conversation, _created = services.offline.post_offline_message(
            self.state["visitor"],
            {
                "name": self.shopper.name,
                "email": f"shopper{self.shopper.index}@example.com",
                "body": self.shopper.text(body),
                "topic": topic,
            },
            uuid.uuid4().hex,
        )
        self.state["conversation"] = conversation.pk

    def _leave(self):
        visitors.visitor_socket_closed(self.state["visitor"])

    def _conversation(self):
        return Conversation.objects.get(pk=self.state["conversation"])

    def _claim(self, agent):
        services.claim_conversation(self._conversation(), agent)

    def _greet(self, agent):
        greeting = words.GREETINGS[self.shopper.language].format(name=self.shopper.name)
        self._reply(agent, greeting)

    def _answer(self, agent, answer):
        replies = self.plan.replies
        if self.shopper.language == "en" and self.rng.random() < SAVED_REPLY_SHARE:
            reply = self.rng.choice(replies)
            edited = self.rng.random() < 0.4
            body = f"{reply.body} {self.shopper.name}?" if edited else reply.body
            self._reply(agent, body, canned=reply.pk)
            return
        self._reply(agent, self.shopper.text(answer))

    def _reply(self, agent, body, canned=None):
        services.post_agent_message(
            self.state["conversation"], agent, body, uuid.uuid4().hex, canned=canned
        )

    def _transfer(self, agent, to_agent):
        assignment.transfer_conversation(
            self._conversation(), agent, to_agent=to_agent, note="Knows the stock."
        )

    def _close(self, agent, tag):
        services.close_conversation(self._conversation(), closed_by=agent, tag=tag)

    def _rate(self):
        good = self.rng.random() < 0.85
        rating = "good" if good else "bad"
        comment = ""
        if self.rng.random() < 0.3:
            comment = self.rng.choice(words.RATING_COMMENTS[rating])
        services.visitors.rate_conversation(self._conversation(), rating, comment)

    def _order(self):
        total = Decimal(self.rng.randrange(900, 9000)) / 100
        services.record_order(
            f"DEMO-{self.state['conversation']}",
            total,
            currency="EUR",
            visitor=self.state["visitor"],
        )


def _order_without_chat(index, cents):
    visitor = visitors.get_or_create_visitor(visitor_key(f"order-{index}"))
    services.record_order(
        f"DEMO-WEB-{index}", Decimal(cents) / 100, currency="EUR", visitor=visitor
    )


def _come_online(agent):
    presence.agent_connected(agent, _console(agent))
    presence.set_presence(agent, "online")


def _go_offline(agent):
    presence.set_presence(agent, "offline")
    presence.agent_disconnected(agent, _console(agent))


def _saved_replies(editor):
    """The shared saved replies the agents use (made by ``editor``)."""
    replies = []
    for title, shortcut, body in words.SAVED_REPLIES:
        reply = CannedReply.objects.filter(shortcut=shortcut, owner=None).first()
        if reply is None:
            data = {"title": title, "shortcut": shortcut, "body": body}
            reply = canned.save_reply(editor, {**data, "shared": True})
        replies.append(reply)
    return replies
