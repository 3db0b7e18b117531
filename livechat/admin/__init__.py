"""The Django admin for livechat: records of past chats, the store's settings
and the live agent console. Django autodiscovers this package; each module
registers its models.
"""

from . import console, conversations, integrations, store, visitors  # noqa: F401
