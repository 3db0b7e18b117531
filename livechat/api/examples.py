"""Examples the schema and its UI show: requests and answers as the API
gives them (docs/api.md shows the same)."""

from drf_spectacular.utils import OpenApiExample


def _request(name, value, summary=""):
    return OpenApiExample(name, value=value, summary=summary, request_only=True)


def _response(name, value, status_codes=None):
    return OpenApiExample(
        name, value=value, response_only=True, status_codes=status_codes or ["200"]
    )


AGENT = {"id": 7, "name": "Alice", "avatar": None}

CONVERSATION_DATA = {
    "id": 1042,
    "status": "active",
    "topic": "order",
    "department": 2,
    "close_tag": "",
    "source": "chat",
    "rating": None,
    "rating_comment": "",
    "visitor": {
        "id": 311,
        "name": "Ann Lee",
        "given_name": "Ann",
        "email": "ann@example.com",
        "other_email": "",
        "phone": "",
        "current_page": "https://shop.example.com/orders/5531/",
        "locale": "en",
    },
    "agent": AGENT,
    "last_seq": 4,
    "agent_read_seq": 4,
    "visitor_read_seq": 3,
    "preview": "It left our warehouse this morning.",
    "created": "2026-12-03T08:10:00.000000+00:00",
    "last_message_at": "2026-12-03T08:12:31.104000+00:00",
    "first_agent_reply_at": "2026-12-03T08:10:40.552000+00:00",
    "closed_at": None,
    "snoozed": False,
    "reopened_at": None,
    "tags": ["order"],
}

MESSAGE_DATA = {
    "id": 90211,
    "conversation": 1042,
    "seq": 4,
    "sender": "agent",
    "author": {"name": "Alice", "avatar": None},
    "body": "It left our warehouse this morning.",
    "client_id": "crm-7f3a9c",
    "created": "2026-12-03T08:12:31.104000+00:00",
    "attachment": None,
}

NOTE_DATA = {
    "id": 55,
    "conversation": 1042,
    "author": {"id": 7, "name": "Alice"},
    "body": "Customer asked twice; check the courier.",
    "client_id": None,
    "created": "2026-12-03T08:11:02.000000+00:00",
}

CONVERSATION = _response("A conversation", CONVERSATION_DATA)
CONVERSATION_PAGE = _response("A page", [CONVERSATION_DATA])
TRANSCRIPT = _response(
    "A transcript",
    {
        "conversation": 1042,
        "messages": [
            {
                **MESSAGE_DATA,
                "id": 90208,
                "seq": 1,
                "sender": "visitor",
                "author": None,
                "body": "Where is my order 5531?",
                "client_id": "w-1",
            },
            MESSAGE_DATA,
        ],
        "more": False,
    },
)
POST_MESSAGE = _request(
    "A reply",
    {"client_id": "crm-7f3a9c", "body": "It left our warehouse this morning."},
)
MESSAGE = _response("The stored message", MESSAGE_DATA, ["201", "200"])
NOTES = _response("Notes", [NOTE_DATA])
POST_NOTE = _request("A note", {"body": "Customer asked twice; check the courier."})
NOTE = _response("The note", NOTE_DATA, ["201", "200"])
TRANSFER = _request(
    "To a department", {"department": 3, "note": "Refund question: over to you."}
)
CLOSE = _request("With a tag", {"tag": "order"})
REOPEN = _request("Reopen", {"override": False})
TAGS = _response("Tags", {"tags": ["order", "return"]})
ADD_TAG = _request("A tag", {"tag": "return"})

VISITOR_DATA = {
    "id": 311,
    "name": "Ann Lee",
    "email": "ann@example.com",
    "phone": "",
    "locale": "en",
    "user": 88,
    "current_page": "https://shop.example.com/orders/5531/",
    "created": "2026-11-20T17:03:44.000000+00:00",
    "last_seen": "2026-12-03T08:12:40.000000+00:00",
}
VISITORS = _response("Found", {"results": [VISITOR_DATA]})
VISITOR = _response("A visitor", {**VISITOR_DATA, "conversations": [CONVERSATION_DATA]})
EXPORT = _response(
    "Their data",
    {
        "exported_at": "2026-12-03T09:00:00+00:00",
        "visitors": [
            {
                "key": "0b6c4f3e-6a4e-4a55-a0c1-6f7d7c1e2b90",
                "name": "Ann Lee",
                "email": "ann@example.com",
                "conversations": [
                    {
                        "id": 1042,
                        "created": "2026-12-03T08:10:00+00:00",
                        "status": "closed",
                        "messages": [
                            {
                                "seq": 1,
                                "sender": "visitor",
                                "body": "Where is my order 5531?",
                                "created": "2026-12-03T08:10:00+00:00",
                                "attachment": None,
                            }
                        ],
                    }
                ],
                "orders": [],
            }
        ],
    },
)
ERASED = _response(
    "What was erased",
    {
        "visitors": 1,
        "conversations": 3,
        "open_conversations": 0,
        "messages": 41,
        "notes": 2,
        "attachments": 1,
        "orders": 1,
    },
)

REPLY_DATA = {
    "id": 12,
    "title": "Shipping times",
    "shortcut": "shipping",
    "language": "en",
    "body": "Orders ship within 24 hours; delivery takes 2-3 days.",
    "department": None,
    "owner": None,
}
REPLIES = _response("Saved replies", [REPLY_DATA])
REPLY = _response("A saved reply", REPLY_DATA, ["200", "201"])
NEW_REPLY = _request(
    "A shared reply",
    {
        "title": "Shipping times",
        "shortcut": "shipping",
        "language": "en",
        "body": "Orders ship within 24 hours; delivery takes 2-3 days.",
        "shared": True,
    },
)
EDIT_REPLY = _request("New wording", {"body": "Orders ship the same day."})

DEPARTMENTS = _response(
    "Departments",
    [{"id": 2, "name": "Orders", "topics": ["order"], "agents": [7, 9]}],
)
AGENTS = _response(
    "Agents",
    [
        {
            "id": 7,
            "name": "Alice",
            "presence": "online",
            "present": True,
            "connected": True,
            "idle": False,
            "open_chats": 2,
            "max_chats": 4,
        }
    ],
)
ROOT = _response(
    "Health",
    {
        "status": "ok",
        "version": "1.0.0",
        "api_version": "v1",
        "user": {"id": 7, "username": "alice", "role": "agent"},
        "token": {
            "name": "CRM",
            "prefix": "Xb1kz0Qa",
            "scopes": ["conversations:read", "messages:write"],
            "expires_at": None,
        },
    },
)

REPORTS = _response(
    "Reports",
    [
        {
            "slug": "service",
            "title": "Service",
            "description": "How many chats, how fast they were answered, and how "
            "they were rated.",
        }
    ],
)
REPORT = _response(
    "The service report",
    {
        "slug": "service",
        "title": "Service",
        "start": "2026-11-06",
        "end": "2026-12-03",
        "department": None,
        "agent": None,
        "currency": "USD",
        "figures": [
            {
                "key": "chats",
                "label": "Chats",
                "value": 412,
                "unit": "count",
                "note": "",
            },
            {
                "key": "first_response_median",
                "label": "First response (median)",
                "value": 38,
                "unit": "seconds",
                "note": "",
            },
        ],
        "tables": [
            {
                "key": "days",
                "title": "Chats per day",
                "note": "",
                "columns": [
                    {"key": "day", "label": "Day", "unit": "day"},
                    {"key": "chats", "label": "Chats", "unit": "count"},
                ],
                "rows": [["2026-12-02", 17], ["2026-12-03", 9]],
            }
        ],
    },
)
