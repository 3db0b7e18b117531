import uuid

import pytest
from django.test import override_settings

from livechat.tokens import InvalidToken, make_visitor_token, read_visitor_token


def test_round_trip():
    key = uuid.uuid4()
    assert read_visitor_token(make_visitor_token(key)) == key


@pytest.mark.parametrize("token", [None, "", 5, "x" * 600, "abc:def", "a.b:c:d"])
def test_malformed_tokens_are_refused(token):
    with pytest.raises(InvalidToken):
        read_visitor_token(token)


def test_token_signed_with_another_key_is_refused():
    token = make_visitor_token(uuid.uuid4())
    with override_settings(SECRET_KEY="another-secret"), pytest.raises(InvalidToken):
        read_visitor_token(token)


def test_expired_token_is_refused():
    token = make_visitor_token(uuid.uuid4())
    with (
        override_settings(LIVECHAT_VISITOR_TOKEN_MAX_AGE=-1),
        pytest.raises(InvalidToken, match="expired"),
    ):
        read_visitor_token(token)
