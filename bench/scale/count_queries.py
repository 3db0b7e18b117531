"""Count the SQL statements of admin and API pages, in-process (not timed).

Run by bench/data_scale.py with example_shop's environment pointing at a
seeded database: ``python bench/scale/count_queries.py USERNAME PATH...``.
Prints one JSON object: path -> [statements, HTTP status].
"""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_shop.settings")


def main(username, paths):
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=username))
    counts = {}
    for path in paths:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        counts[path] = [len(queries), response.status_code]
    print(json.dumps(counts))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
