"""bench/data_scale.py's parts: a big store's data and what is timed on it.

``phrases`` (what shoppers and agents say), ``rows`` (the rows, as COPY
lines), ``seed`` (``seed(dsn, conversations, messages)`` and the extra
waiting chats), ``measure`` (the operations, served by daphne),
``count_queries`` (statements per page, in-process), ``report`` (the table).
"""
