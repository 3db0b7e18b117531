"""The channel-layer groups livechat publishes to, named in one place."""

# Every agent console (the inbox of waiting chats, the agents board).
AGENTS_GROUP = "livechat.agents"
# Consoles that show other agents' chats live (supervisors; agents who chose to).
ACTIVITY_GROUP = "livechat.agents.activity"
# Every widget socket (the store's availability).
WIDGETS_GROUP = "livechat.widgets"


def visitor_group(visitor_id):
    """Every widget socket of one visitor (several tabs)."""
    return f"livechat.visitor.{visitor_id}"


def agent_group(user_id):
    """Every console of one agent (several tabs, several devices)."""
    return f"livechat.agent.{user_id}"


def conversation_group(conversation_id):
    """The sockets following one conversation: its shopper's, and consoles."""
    return f"livechat.conversation.{conversation_id}"
