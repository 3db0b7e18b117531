"""What agents see about a shopper's visit, whatever the store: pages seen,
browser and device, language, past conversations."""

import re

from django.utils import timezone

from ..models import Conversation

SESSION_PAGES_KEY = "livechat_pages"
MAX_PAGES = 20

_BROWSERS = (
    ("Edge", r"Edg(?:e|A|iOS)?/([\d.]+)"),
    ("Opera", r"OPR/([\d.]+)"),
    ("Samsung Internet", r"SamsungBrowser/([\d.]+)"),
    ("Firefox", r"(?:Firefox|FxiOS)/([\d.]+)"),
    ("Chrome", r"(?:Chrome|CriOS)/([\d.]+)"),
    ("Safari", r"Version/([\d.]+).*Safari/"),
)
_SYSTEMS = (
    ("iPad", r"iPad"),
    ("iPhone", r"iPhone"),
    ("Android", r"Android"),
    ("Windows", r"Windows"),
    ("macOS", r"Mac OS X|Macintosh"),
    ("Linux", r"Linux"),
)


def describe_user_agent(user_agent):
    """``{"browser": "Chrome 131", "system": "Android", "mobile": True}``."""
    user_agent = user_agent or ""
    browser = ""
    for name, pattern in _BROWSERS:
        match = re.search(pattern, user_agent)
        if match:
            browser = f"{name} {match.group(1).split('.')[0]}"
            break
    system = next(
        (name for name, pattern in _SYSTEMS if re.search(pattern, user_agent)), ""
    )
    mobile = bool(re.search(r"Mobi|iPhone|Android(?!.*Tablet)", user_agent)) and (
        system != "iPad"
    )
    return {"browser": browser, "system": system, "mobile": mobile}


def record_page(session, path, title=""):
    """Remember a page of this visit in the shopper's session (the tag calls it)."""
    pages = session.get(SESSION_PAGES_KEY)
    pages = pages if isinstance(pages, list) else []
    if pages and pages[-1].get("path") == path:
        return
    pages.append({"path": path[:500], "at": timezone.now().isoformat()})
    session[SESSION_PAGES_KEY] = pages[-MAX_PAGES:]


def visit_context(visitor, session=None, exclude_conversation=None):
    """The store-independent facts beside a conversation (one query)."""
    pages = []
    if session is not None:
        stored = session.get(SESSION_PAGES_KEY)
        if isinstance(stored, list):
            pages = [p for p in stored if isinstance(p, dict)][-MAX_PAGES:]
    past = (
        Conversation.objects.filter(visitor=visitor)
        .exclude(pk=exclude_conversation)
        .order_by("-created_at")
        .values("pk", "created_at", "status", "topic", "close_tag", "rating")[:5]
    )
    return {
        "current_page": visitor.current_page,
        "pages": pages,
        "language": visitor.locale,
        **describe_user_agent(visitor.user_agent),
        "past_conversations": [
            {
                "id": row["pk"],
                "created": row["created_at"].isoformat(),
                "status": row["status"],
                "topic": row["topic"],
                "tag": row["close_tag"],
                "rating": row["rating"] or None,
            }
            for row in past
        ],
    }
