"""Adapters used by tests to exercise the extension points."""

from livechat.adapter import DefaultLivechatAdapter


class SessionCartAdapter(DefaultLivechatAdapter):
    def get_visitor_context(self, visitor, session=None):
        return {"cart": session.get("cart") if session is not None else None}


class BrokenContextAdapter(DefaultLivechatAdapter):
    def get_visitor_context(self, visitor, session=None):
        raise RuntimeError("store database is down")
