"""The app's settings: flat ``LIVECHAT_*`` names with safe defaults.

Values are read from ``django.conf.settings`` on every access, so
``override_settings`` works in tests and nothing is ever written back onto the
host's settings. Every name here is documented in docs/configuration.md.
"""

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

DEFAULTS = {
    # Dotted path of the adapter class: the host's one extension point.
    "ADAPTER": "livechat.adapter.DefaultLivechatAdapter",
    # Longest message body a client may send, in characters.
    "MAX_MESSAGE_LENGTH": 4000,
    # Largest WebSocket frame accepted, in bytes: a larger one closes the
    # socket with code 1009 (checked before parsing).
    "MAX_FRAME_BYTES": 32 * 1024,
    # Open sockets (widget and console) one client IP may hold in one
    # process, and widget sockets one visitor may hold (0: no limit). Past
    # them a socket is closed with code 4429.
    "MAX_SOCKETS_PER_IP": 200,
    "MAX_SOCKETS_PER_VISITOR": 20,
    # How long a visitor token stays valid, in seconds (default 90 days).
    "VISITOR_TOKEN_MAX_AGE": 90 * 24 * 3600,
    # Messages sent in one replay frame; a client asks for more with "fetch".
    "REPLAY_BATCH_SIZE": 200,
    # Seconds a new socket may stay open without saying "hello".
    "HELLO_TIMEOUT": 15,
    # URL prefix of the WebSocket endpoints (must match livechat.routing).
    "WEBSOCKET_PATH": "/ws/livechat/",
    # Widget face: title, greeting, accent colour and corner.
    "WIDGET_TITLE": _("Chat with us"),
    "WIDGET_GREETING": _("Hi! Ask us anything about your order or our products."),
    "WIDGET_COLOR": "#1f5fbf",
    "WIDGET_POSITION": "bottom-right",
    # Maximum chats an agent handles at once unless their profile says otherwise.
    "MAX_CONCURRENT_CHATS": 4,
    # Conversations shown in the console's "recently closed" list.
    "CONSOLE_RECENT_CLOSED": 20,
    # Conversations per page of each section of the console's inbox.
    "CONSOLE_PAGE_SIZE": 50,
    # The largest frame the server sends, in bytes; a larger one goes in parts.
    "MAX_SENT_FRAME_BYTES": 256 * 1024,
    # Time zone of the business hours (None: the WidgetProfile's, else TIME_ZONE).
    "TIMEZONE": None,
    # How often the widget asks /status/ whether anyone is there, in seconds.
    "STATUS_POLL_SECONDS": 20,
    # An agent whose console sent no heartbeat for this long is gone (seconds).
    "AGENT_HEARTBEAT_TIMEOUT": 60,
    # How long an agent still counts as present after their last console closed.
    "AGENT_GRACE_SECONDS": 15,
    # Seconds without an agent reply before the widget says so and offers email.
    "NO_REPLY_TIMEOUT": 60,
    # The pre-chat form: each field "required", "optional" or "hidden".
    "PRECHAT_FIELDS": {
        "name": "optional",
        "email": "required",
        "phone": "hidden",
        "topic": "optional",
    },
    # Topics offered in the pre-chat form: (key, label) pairs.
    "TOPICS": [
        ("pre-sales", _("A question before buying")),
        ("order", _("Help with an order")),
        ("other", _("Something else")),
    ],
    # Proactive invitations (rules edited in the admin) are off unless enabled.
    "INVITATIONS_ENABLED": False,
    # A visitor sees at most one invitation per this many days.
    "INVITATION_COOLDOWN_DAYS": 7,
    # Who is emailed about offline messages (None: the MANAGERS setting).
    "NOTIFY_EMAILS": None,
    # Sender of livechat's emails (None: DEFAULT_FROM_EMAIL).
    "FROM_EMAIL": None,
    # Attachments: largest upload, largest image (pixels), thumbnail edge, storage.
    "MAX_UPLOAD_BYTES": 5 * 1024 * 1024,
    "MAX_IMAGE_PIXELS": 25_000_000,
    "THUMBNAIL_SIZE": 320,
    "ATTACHMENT_STORAGE": "default",
    # Behind nginx: the prefix of an `internal` location that aliases the
    # attachment storage's directory. Downloads are then checked by livechat
    # and sent by nginx (X-Accel-Redirect); None: Django streams them.
    "ATTACHMENT_ACCEL_REDIRECT": None,
    # "claim": agents take chats from the queue; "auto": each new chat goes to
    # the least busy available agent of its department with room for it.
    "ROUTING": "claim",
    # An "online" agent who did nothing for this long counts as away (seconds).
    "AGENT_IDLE_AWAY_SECONDS": 600,
    # A chat nobody answered for this long is marked missed (stays open).
    "MISSED_AFTER_SECONDS": 300,
    # Open chats with no message for this long are closed (0: never).
    "AUTO_CLOSE_AFTER_SECONDS": 1800,
    # A waiting shopper is highlighted in the console after this long.
    "LONG_WAIT_SECONDS": 120,
    # Email an agent's reply to a shopper who left (and gave an email) at most
    # once per this many seconds per conversation (0: never).
    "FOLLOWUP_EMAIL_EVERY_SECONDS": 600,
    # A shopper counts as gone (replies are emailed) only after no widget of
    # theirs was connected for this long: a dropped connection comes back.
    "FOLLOWUP_ABSENCE_SECONDS": 120,
    # Rate limits "count/seconds": per visitor, and per IP with the "_ip" suffix.
    "RATE_LIMITS": {
        "message": "30/60",
        "message_ip": "120/60",
        "conversation": "10/3600",
        "conversation_ip": "30/3600",
        "offline": "3/3600",
        "offline_ip": "10/3600",
        "upload": "10/600",
        "upload_ip": "30/600",
        "transcript": "3/3600",
        "transcript_ip": "10/3600",
        "profile": "20/600",
        "profile_ip": "60/600",
        # Invitations the widget says it showed (counted for the reports).
        "invitation": "5/3600",
        "invitation_ip": "60/3600",
        # The console's searches, per agent (each reads several indexes): a
        # socket sending them faster is answered at once, not queued.
        "search": "60/60",
    },
    # Store visitors' IP addresses with the host part zeroed (GDPR-friendly).
    "ANONYMIZE_IP": False,
    # Closed conversations older than this many days are removed (None: kept).
    "RETENTION_DAYS": None,
    # "delete" them, or "anonymise" (texts and personal fields removed).
    "RETENTION_MODE": "delete",
    # Conversations (then visitors) retention changes per transaction.
    "RETENTION_BATCH_SIZE": 500,
    # Header carrying the client IP behind your proxy (e.g. "x-forwarded-for").
    "TRUSTED_PROXY_HEADER": None,
    # Threads running the consumers' database calls, each with its own
    # connection (PostgreSQL and the like; SQLite always uses one thread).
    "DATABASE_THREADS": 4,
    # On PostgreSQL, messages in chats an agent already answers are stored by
    # one statement over asyncio connections (as many as DATABASE_THREADS)
    # from the event loop (livechat/fastpath.py). False: always the ORM path.
    "FAST_MESSAGES": True,
    # How often each process sends what it coalesces: other agents' chats'
    # activity to the consoles watching them, the agents board, availability,
    # queue positions.
    "INBOX_BATCH_SECONDS": 0.5,
    # Seconds after a chat closed during which the shopper's "start a new
    # chat" continues it (same conversation, history kept) instead of
    # opening another; 0: every new chat is a new conversation.
    "REOPEN_WINDOW": 1800,
    # Tags agents put on a conversation, during the chat or when closing it.
    "CLOSE_TAGS": [
        ("question", _("Product question")),
        ("order", _("Order status")),
        ("return", _("Return or refund")),
        ("complaint", _("Complaint")),
        ("other", _("Other")),
    ],
    # The database alias the reports read from (a read replica), or None
    # for the default database. Rollups are always written to the default.
    "REPORTS_DATABASE": None,
    # URL path patterns (fnmatch) of the cart and checkout pages, for the
    # reports' chats started there (the adapter's describe_page may decide
    # otherwise).
    "REPORT_CART_PATHS": ["/cart*", "/basket*"],
    "REPORT_CHECKOUT_PATHS": ["/checkout*"],
    # Offers the console suggests for one shopper (from the adapter), at most.
    "MAX_SUGGESTED_OFFERS": 3,
    # livechat.contrib.oscar: the voucher set agents offer from (docs/oscar.md).
    "OSCAR_VOUCHER_SET": None,
    # Webhooks (sent by `manage.py livechat_webhooks`): seconds a receiver
    # has to answer; the first retry's delay, doubling up to the longest;
    # how long a delivery is retried before it fails; how long an endpoint
    # may fail every delivery before it is switched off (and ADMINS told).
    "WEBHOOK_TIMEOUT": 10,
    "WEBHOOK_RETRY_DELAY": 10,
    "WEBHOOK_RETRY_MAX_DELAY": 3600,
    "WEBHOOK_RETRY_FOR": 24 * 3600,
    "WEBHOOK_DISABLE_AFTER": 24 * 3600,
    # Receivers on private, loopback and link-local addresses are refused
    # (server-side request forgery) unless this is on.
    "WEBHOOK_ALLOW_PRIVATE_TARGETS": False,
    # Receivers the worker talks to at once; seconds it sleeps when idle.
    "WEBHOOK_CONCURRENCY": 8,
    "WEBHOOK_POLL_INTERVAL": 1.0,
    # Days sent and failed deliveries stay in the admin's log (housekeeping
    # deletes older ones).
    "WEBHOOK_LOG_DAYS": 30,
    # Requests to the REST API (/livechat/api/v1/) per API token, or per user
    # signed in to the admin: "count/period", the period one of second,
    # minute, hour or day. Past it the API answers 429 with Retry-After.
    "API_THROTTLE_RATE": "600/minute",
    # The reports' figures read a range of rollups and facts: a budget of
    # their own, on top of the one above.
    "API_REPORTS_THROTTLE_RATE": "60/minute",
}

IMPORT_STRINGS = {"ADAPTER"}

POSITIONS = ("bottom-right", "bottom-left")


class AppSettings:
    """Attribute access to LIVECHAT_* settings, falling back to DEFAULTS."""

    prefix = "LIVECHAT_"

    def __getattr__(self, name):
        if name not in DEFAULTS:
            raise AttributeError(f"Invalid livechat setting: {name!r}")
        value = getattr(settings, self.prefix + name, DEFAULTS[name])
        if name in IMPORT_STRINGS and isinstance(value, str):
            value = import_string(value)
        return value

    def raw(self, name):
        """Return the configured value without importing dotted paths."""
        return getattr(settings, self.prefix + name, DEFAULTS[name])


app_settings = AppSettings()
