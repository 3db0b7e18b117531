"""WebSocket consumers: the visitor widget's and the agent console's endpoints.

Consumers are a face: they parse frames, authorise, call ``livechat.services``
and reply. Every frame that fails gets an ``error`` frame; the socket stays up.
"""

from .agent import AgentConsumer
from .visitor import VisitorConsumer

__all__ = ["AgentConsumer", "VisitorConsumer"]
