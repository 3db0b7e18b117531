"""``manage.py seed_demo`` run again (every ``make demo``) logs nobody out.

The command runs against example_shop's settings on a database of its own;
sessions are checked the way every request and socket checks them
(``django.contrib.auth.get_user``: the session's hash of the password).
"""

import json

import pytest

from tests.services_env import IN_CI

from .live import LiveShopUnavailable, choose_database, run_manage, shop_environment

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

DEMO_USERS = ["agent", "agent2", "admin", "customer"]

# Logs every demo user in (a session each, as the login view makes it) and
# gives "agent2" a password of his own choosing.
LOG_IN = """
import json
from importlib import import_module
from django.conf import settings
from django.contrib.auth import (
    BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model)
SessionStore = import_module(settings.SESSION_ENGINE).SessionStore
User = get_user_model()
bob = User.objects.get(username="agent2")
bob.set_password("bobs-own-pass")
bob.save()
keys = {}
for user in User.objects.filter(username__in=%r):
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    keys[user.username] = session.session_key
print(json.dumps(keys))
"""

# Who each session belongs to now, and whether agent2 kept his password.
CHECK = """
import json
from importlib import import_module
from types import SimpleNamespace
from django.conf import settings
from django.contrib.auth import get_user, get_user_model
SessionStore = import_module(settings.SESSION_ENGINE).SessionStore
keys = json.loads(%r)
users = {
    name: get_user(SimpleNamespace(session=SessionStore(session_key=key))).username
    for name, key in keys.items()
}
bob = get_user_model().objects.get(username="agent2")
print(json.dumps({"users": users, "bob_kept": bob.check_password("bobs-own-pass")}))
"""


def _last_line(output):
    # The shell may first say what it imported by itself (Django 5.2).
    return output.strip().splitlines()[-1]


@pytest.fixture
def demo_environment(tmp_path):
    """example_shop's environment on a new, migrated database."""
    try:
        database = choose_database(tmp_path)
    except LiveShopUnavailable as exc:
        if IN_CI:
            pytest.fail(f"seed_demo: {exc}", pytrace=False)
        pytest.skip(f"*** SKIPPED: {exc} ***")
    database.create()
    env = shop_environment(database.url, None)
    try:
        run_manage(env, "migrate", "--noinput", "-v0")
        yield env
    finally:
        database.drop()


def test_seeding_again_keeps_passwords_and_sessions(demo_environment):
    first = run_manage(demo_environment, "seed_demo")
    assert "already there" not in first
    keys = json.loads(
        _last_line(run_manage(demo_environment, "shell", "-c", LOG_IN % DEMO_USERS))
    )
    assert sorted(keys) == sorted(DEMO_USERS)

    again = run_manage(demo_environment, "seed_demo")

    state = json.loads(
        _last_line(
            run_manage(demo_environment, "shell", "-c", CHECK % json.dumps(keys))
        )
    )
    # Every session still belongs to its user: nobody was logged out.
    assert state["users"] == {name: name for name in DEMO_USERS}
    assert state["bob_kept"]
    # The printed logins say which passwords are not the demo ones any more.
    assert "agent2" in again and "password unchanged" in again
