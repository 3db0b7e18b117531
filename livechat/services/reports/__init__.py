"""The reports: facts and rollups kept by listeners of the domain events
(``listeners``), orders the store reports (``orders.record_order``), and a
rebuild from what is stored (``rebuild.rebuild``).

The write side, by module: ``buckets`` (the store's local hours),
``rollups`` (sums moved by additions), ``facts`` (one conversation as the
reports count it), ``agent_time`` (agents' online and held time), ``terms``
(words and phrases), ``orders``, ``listeners``, ``rebuild``.
"""

from .buckets import local_bucket
from .orders import record_order
from .rebuild import rebuild

__all__ = ["local_bucket", "rebuild", "record_order"]
