"""The Django admin for livechat: records of past chats, the store's
settings, the live agent console and the reports. Django autodiscovers this
package; each module registers its models.
"""

from . import console, conversations, reports, store, visitors  # noqa: F401
