"""The seeded rows themselves, as lines of PostgreSQL's COPY text format.

Pure Python and deterministic (one ``random.Random`` per generator): the
same sizes give the same store. Conversation ids follow creation time, as a
real table's do; every conversation's messages are numbered 1..n without a
gap and its ``last_seq``, read marks and times agree with them.
"""

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bench.scale import phrases

DAYS = 90
# The open chats, the newest of the store, at every size: the console lists
# them all (and the last closed ones).
OPEN = {"waiting": 150, "active": 350, "missed": 100}
LONG_MESSAGES = 200  # one closed conversation this long: the admin's change page
EXPORT_CHATS = 50  # one shopper with this many conversations: livechat_export
EXPORT_EMAIL = "repeat.customer@example.com"
OFFLINE_SHARE = 0.05  # closed conversations that were an offline message
UNANSWERED_SHARE = 0.08  # closed without an agent's reply
NEW_VISITOR_SHARE = 0.75  # the other conversations come from returning shoppers

VISITOR_COLUMNS = [
    "id",
    "key",
    "name",
    "email",
    "phone",
    "locale",
    "current_page",
    "user_agent",
    "ip_address",
    "session_key",
    "live_sockets",
    "absent_since",
    "user_id",
    "created_at",
    "last_seen_at",
]
CONVERSATION_COLUMNS = [
    "id",
    "visitor_id",
    "status",
    "assigned_agent_id",
    "topic",
    "department_id",
    "close_tag",
    "source",
    "rating",
    "rating_comment",
    "rated_at",
    "followup_sent_at",
    "followup_seq",
    "followup_pending",
    "last_seq",
    "visitor_read_seq",
    "agent_read_seq",
    "created_at",
    "last_message_at",
    "first_agent_reply_at",
    "closed_at",
    "language",
    "snoozed_at",
    "reopened_at",
    "start_page",
    "invitation_id",
]
MESSAGE_COLUMNS = [
    "id",
    "conversation_id",
    "seq",
    "sender_kind",
    "author_id",
    "body",
    "client_id",
    "created_at",
    "read_at",
    "language",
]

NULL = "\\N"
_ESCAPE = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
TOPICS = ("pre-sales", "order", "order", "other", "")
CLOSE_TAGS = ("question", "order", "order", "return", "complaint", "other", "")


def _ts(seconds):
    return datetime.fromtimestamp(seconds, UTC).isoformat()


def _language(locale):
    """A chat's language as livechat stores it: the locale's primary subtag."""
    return locale.split("-")[0].lower()


def _line(values):
    return "\t".join(values) + "\n"


@dataclass
class Chat:
    """One conversation's plan: what the messages pass will write."""

    id: int
    visitor: int
    status: str
    created: float
    count: int
    gap: float  # seconds between its messages
    agent: int | None = None
    answered: bool = False
    source: str = "chat"

    @property
    def last_message(self):
        return self.created + (self.count - 1) * self.gap


@dataclass
class Store:
    """Every conversation planned, before a row is written."""

    chats: list
    visitors: dict  # id -> locale
    long_chat: int
    export_visitor: int
    first_visitor: int
    now: float
    extras: dict = field(default_factory=dict)


class Generator:
    """Plans a store of ``conversations`` chats and ``messages`` lines."""

    def __init__(self, agents, seed=13, now=None, days=DAYS):
        self.rng = random.Random(seed)
        self.days = days
        self.agents = list(agents)
        self.now = (now or datetime.now(UTC)).timestamp()
        self._dates = {}

    # The plan -------------------------------------------------------------

    def plan(self, conversations, messages, first_conversation=1, first_visitor=1):
        rng = self.rng
        opened = min(sum(OPEN.values()), conversations // 2)
        closed = conversations - opened
        start = self.now - self.days * 86400
        times = sorted(rng.uniform(start, self.now - 3 * 3600) for _ in range(closed))
        statuses = ["closed"] * closed
        counts = {s: n * opened // sum(OPEN.values()) for s, n in OPEN.items()}
        counts["active"] += opened - sum(counts.values())
        open_times = []
        for status, count in counts.items():
            newest = {"waiting": 600, "active": 2400, "missed": 7200}[status]
            open_times += [
                (self.now - rng.uniform(60, newest), status) for _ in range(count)
            ]
        open_times.sort()
        times += [t for t, _ in open_times]
        statuses += [s for _, s in open_times]

        long_index = int(closed * 0.95)
        export_indexes = set(range(0, closed, max(closed // EXPORT_CHATS, 1)))
        export_indexes = set(sorted(export_indexes - {long_index})[:EXPORT_CHATS])
        export_visitor = first_visitor
        visitors = {export_visitor: rng.choices(phrases.LOCALES)[0]}
        returning = []
        chats = []
        for index, (created, status) in enumerate(zip(times, statuses, strict=True)):
            if index in export_indexes:
                visitor = export_visitor
            elif status == "closed" and returning and rng.random() > NEW_VISITOR_SHARE:
                visitor = rng.choice(returning)
            else:
                visitor = first_visitor + len(visitors)
                visitors[visitor] = rng.choices(
                    phrases.LOCALES, phrases.LOCALE_WEIGHTS
                )[0]
                if status == "closed":
                    returning.append(visitor)
            chat = Chat(
                id=first_conversation + index,
                visitor=visitor,
                status=status,
                created=created,
                count=0,
                gap=rng.uniform(15, 90),
            )
            self._shape(chat, index == long_index)
            chats.append(chat)
        self._fill_counts(chats, messages)
        for chat in chats:
            if chat.status != "closed" and chat.last_message > self.now - 5:
                chat.gap = max((self.now - 5 - chat.created) / chat.count, 0.5)
        return Store(
            chats=chats,
            visitors=visitors,
            long_chat=chats[long_index].id if closed else 0,
            export_visitor=export_visitor,
            first_visitor=first_visitor,
            now=self.now,
        )

    def _shape(self, chat, long):
        rng = self.rng
        if long:
            chat.count = LONG_MESSAGES
            chat.answered = True
        elif chat.status == "waiting":
            chat.count = rng.randint(1, 2)
        elif chat.status == "missed":
            chat.count = rng.randint(1, 3)
        elif chat.status == "active":
            chat.count = rng.randint(3, 12)
            chat.answered = True
        else:
            roll = rng.random()
            if roll < OFFLINE_SHARE:
                chat.source = "offline"
                chat.count = 1
            elif roll < OFFLINE_SHARE + UNANSWERED_SHARE:
                chat.count = rng.randint(1, 3)
            else:
                chat.answered = True
        if chat.answered:
            chat.agent = rng.choice(self.agents)

    def _fill_counts(self, chats, messages):
        """Give the closed, answered chats the messages left, at least two each."""
        flexible = [c for c in chats if c.answered and c.count == 0]
        fixed = sum(c.count for c in chats)
        extra = messages - fixed - 2 * len(flexible)
        if not flexible or extra < 0:
            for chat in flexible:
                chat.count = 2
            return
        weights = [self.rng.expovariate(1.0) for _ in flexible]
        scale = extra / sum(weights)
        given = 0
        for chat, weight in zip(flexible, weights, strict=True):
            chat.count = 2 + int(weight * scale)
            given += chat.count - 2
        for chat in self.rng.sample(flexible, min(extra - given, len(flexible))):
            chat.count += 1

    # The rows ---------------------------------------------------------------

    def visitor_lines(self, store, export_email=EXPORT_EMAIL):
        first_seen, last_seen = {}, {}
        for chat in store.chats:
            first_seen.setdefault(chat.visitor, chat.created)
            last_seen[chat.visitor] = chat.last_message
        rng = self.rng
        for visitor, locale in store.visitors.items():
            firsts, lasts = phrases.NAMES[locale]
            e_firsts, e_lasts = phrases.EMAIL_NAMES[locale]
            i, j = rng.randrange(len(firsts)), rng.randrange(len(lasts))
            order = phrases.NAME_ORDER.get(locale, "{first} {last}")
            name = order.format(first=firsts[i], last=lasts[j])
            if visitor == store.export_visitor:
                email = export_email
            elif rng.random() < 0.15:
                email = ""  # shoppers who never gave it
            else:
                email = (
                    f"{e_firsts[i]}.{e_lasts[j]}{visitor}@"
                    f"{rng.choice(phrases.EMAIL_DOMAINS)}"
                ).lower()
            yield _line(
                (
                    str(visitor),
                    str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    name.translate(_ESCAPE),
                    email,
                    "",
                    locale,
                    "https://shop.example" + rng.choice(phrases.PAGES),
                    rng.choice(phrases.USER_AGENTS),
                    f"203.0.{rng.randrange(256)}.0",
                    "",
                    "0",
                    NULL,
                    NULL,
                    _ts(first_seen[visitor] - rng.uniform(10, 600)),
                    _ts(last_seen[visitor]),
                )
            )

    def conversation_lines(self, store):
        rng = self.rng
        for chat in store.chats:
            closed = chat.status == "closed"
            last = chat.last_message
            closed_at = last + rng.uniform(60, 900) if closed else None
            rating, comment, rated_at = "", "", None
            if closed and chat.answered:
                roll = rng.random()
                if roll < 0.2:
                    rating = "good"
                elif roll < 0.25:
                    rating, comment = "bad", "Took too long to get an answer."
                if rating:
                    rated_at = closed_at + rng.uniform(5, 120)
            yield _line(
                (
                    str(chat.id),
                    str(chat.visitor),
                    chat.status,
                    str(chat.agent) if chat.agent else NULL,
                    rng.choice(TOPICS),
                    NULL,
                    rng.choice(CLOSE_TAGS) if closed and chat.answered else "",
                    chat.source,
                    rating,
                    comment,
                    _ts(rated_at) if rated_at else NULL,
                    NULL,
                    "0",
                    "f",
                    str(chat.count),
                    str(chat.count),
                    str(chat.count if closed or chat.answered else 0),
                    _ts(chat.created),
                    _ts(last),
                    _ts(chat.created + chat.gap) if chat.answered else NULL,
                    _ts(closed_at) if closed_at else NULL,
                    _language(store.visitors[chat.visitor]),
                    NULL,  # never snoozed
                    NULL,  # never reopened
                    "https://shop.example" + rng.choice(phrases.PAGES),
                    NULL,  # not from an invitation
                )
            )

    def message_lines(self, store, first_message=1):
        """Every chat's messages in order; ids from ``first_message``."""
        rng = self.rng
        next_id = first_message
        search_share = phrases.SEARCH_SHARE
        for chat in store.chats:
            locale = store.visitors[chat.visitor]
            language = _language(locale)
            slots = self._slots(locale, chat)
            visitor_templates = phrases.VISITOR[locale]
            agent_templates = phrases.AGENT[locale]
            read = chat.status == "closed" or chat.answered
            for seq in range(1, chat.count + 1):
                if not chat.answered or seq == 1:
                    sender = "visitor"
                elif seq == 2:
                    sender = "agent"
                else:
                    sender = "visitor" if rng.random() < 0.45 else "agent"
                templates = (
                    visitor_templates if sender == "visitor" else agent_templates
                )
                if rng.random() < search_share:
                    slots["product"] = rng.choice(phrases.SEARCH_PRODUCTS)
                    template = rng.choice(phrases.with_product(templates))
                else:
                    slots["product"] = slots["own_product"]
                    template = rng.choice(templates[:-3] if seq == 1 else templates)
                created = chat.created + (seq - 1) * chat.gap
                yield _line(
                    (
                        str(next_id),
                        str(chat.id),
                        str(seq),
                        sender,
                        str(chat.agent) if sender == "agent" else NULL,
                        template.format_map(slots).translate(_ESCAPE),
                        f"{rng.getrandbits(64):016x}",
                        _ts(created),
                        _ts(created + 3) if read else NULL,
                        language,
                    )
                )
                next_id += 1

    def _slots(self, locale, chat):
        rng = self.rng
        product, product2 = rng.sample(phrases.PRODUCTS, 2)
        firsts, _lasts = phrases.NAMES[locale]
        return {
            "order": f"#{rng.randrange(100000, 999999)}",
            "own_product": product,
            "product": product,
            "product2": product2,
            "size": rng.choice(phrases.SIZES),
            "city": rng.choice(phrases.CITIES),
            "days": str(rng.randint(2, 14)),
            "date": self._date(locale, chat.created + rng.randint(1, 10) * 86400),
            "name": rng.choice(firsts),
            "agent": f"Agent {chat.agent or ''}".strip(),
        }

    def _date(self, locale, seconds):
        day = datetime.fromtimestamp(seconds, UTC).date()
        key = (locale, day)
        if key not in self._dates:
            self._dates[key] = (
                f"{day.month}月{day.day}日"
                if locale == "zh-hans"
                else day.strftime("%d/%m")
            )
        return self._dates[key]


def waiting_plan(generator, count, first_conversation, first_visitor):
    """``count`` new waiting chats of the last half hour, each its own shopper."""
    rng = generator.rng
    now = generator.now
    chats, visitors = [], {}
    times = sorted(now - rng.uniform(30, 1800) for _ in range(count))
    for index, created in enumerate(times):
        visitor = first_visitor + index
        visitors[visitor] = rng.choices(phrases.LOCALES, phrases.LOCALE_WEIGHTS)[0]
        count_ = rng.randint(1, 2)
        chats.append(
            Chat(
                id=first_conversation + index,
                visitor=visitor,
                status="waiting",
                created=created,
                count=count_,
                gap=min(20.0, (now - 5 - created) / count_),
            )
        )
    return Store(
        chats=chats,
        visitors=visitors,
        long_chat=0,
        export_visitor=0,
        first_visitor=first_visitor,
        now=now,
    )
