"""livechat.csp: livechat's sources added to a host's policy."""

from livechat.csp import with_livechat_sources


def test_sources_are_added_to_the_hosts_own():
    policy = {
        "default-src": ["'self'"],
        "script-src": ["'self'", "https://cdn.example.com"],
        "img-src": ("https://img.example.com",),
        "connect-src": ["'none'"],
        "worker-src": ["'self'"],
        "object-src": ["'none'"],
        "upgrade-insecure-requests": True,
    }

    merged = with_livechat_sources(policy)

    assert merged == {
        "default-src": ["'self'"],
        "script-src": ["'self'", "https://cdn.example.com"],
        "img-src": ["https://img.example.com", "'self'", "blob:"],
        # 'none' would be ignored next to a source: it goes.
        "connect-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "upgrade-insecure-requests": True,
        # Left out, so it followed default-src; now explicit.
        "style-src": ["'self'"],
    }
    # The host's settings are not changed in place.
    assert policy["connect-src"] == ["'none'"]


def test_a_missing_directive_starts_from_its_fallback():
    merged = with_livechat_sources(
        {"default-src": ["'none'"], "script-src": ["https://cdn.example.com"]}
    )

    # worker-src falls back to script-src, not to default-src.
    assert merged["worker-src"] == ["https://cdn.example.com", "'self'", "blob:"]
    assert merged["img-src"] == ["'self'", "blob:"]
    assert merged["default-src"] == ["'none'"]


def test_an_unrestricted_resource_type_stays_unrestricted():
    assert with_livechat_sources({"frame-ancestors": ["'none'"]}) == {
        "frame-ancestors": ["'none'"]
    }
    assert with_livechat_sources({}) == {}
