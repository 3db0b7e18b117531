"""The chat reports in the admin: pages, charts, CSV files (``pages``
registers them under the report settings)."""

from . import pages  # noqa: F401
