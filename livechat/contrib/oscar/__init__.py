"""livechat for django-oscar shops (docs/oscar.md).

Add ``"livechat.contrib.oscar"`` to ``INSTALLED_APPS`` above Oscar's apps and
set ``LIVECHAT_ADAPTER = "livechat.contrib.oscar.adapter.OscarLivechatAdapter"``:
agents then see the shopper's Oscar basket and orders, may offer Oscar
vouchers, the reports count Oscar's orders, and the widget is on every page
of Oscar's storefront.
"""
