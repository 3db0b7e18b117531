"""Fixtures of the Oscar tests: they run under tests.oscar.settings only
(``pytest --ds tests.oscar.settings tests/oscar``; tests/conftest.py keeps
them out of the main suite)."""

import os

import pytest

if os.environ.get("DJANGO_SETTINGS_MODULE") != "tests.oscar.settings":
    raise pytest.UsageError(
        "tests/oscar runs a django-oscar shop: pytest --ds tests.oscar.settings "
        "tests/oscar"
    )

from django.contrib.auth.models import Permission  # noqa: E402

from .shop_data import create_shop  # noqa: E402


@pytest.fixture
def tea(db):
    return create_shop()


@pytest.fixture
def customer(django_user_model):
    return django_user_model.objects.create_user(
        username="ann",
        email="ann@example.com",
        password="ann-pass",
        first_name="Ann",
        last_name="Lee",
    )


@pytest.fixture
def oscar_agent(django_user_model):
    user = django_user_model.objects.create_user(
        username="agent", email="agent@example.com", password="pw", is_staff=True
    )
    user.user_permissions.add(Permission.objects.get(codename="reply_conversation"))
    return django_user_model.objects.get(pk=user.pk)
