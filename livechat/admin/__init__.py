"""The Django admin for livechat: records of past chats, the store's
settings, the live agent console and the reports. Django autodiscovers this
package; each module registers its models.
"""

from . import (  # noqa: F401
    console,
    conversations,
    integrations,
    reports,
    store,
    visitors,
)
