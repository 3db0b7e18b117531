import pytest
from django.core.checks import run_checks
from django.test import override_settings

from livechat import checks

IN_MEMORY = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def _ids(**kwargs):
    return {message.id for message in run_checks(**kwargs)}


def test_default_test_settings_are_clean():
    assert not {i for i in _ids() if i.startswith("livechat.")}


@override_settings(CHANNEL_LAYERS={})
def test_missing_channel_layer_is_an_error():
    assert "livechat.E001" in _ids()


@override_settings(CHANNEL_LAYERS=IN_MEMORY, DEBUG=False)
def test_in_memory_layer_without_debug_warns_on_deploy():
    assert "livechat.W001" in _ids(include_deployment_checks=True)


@override_settings(CHANNEL_LAYERS=IN_MEMORY, DEBUG=True)
def test_in_memory_layer_with_debug_is_fine():
    assert "livechat.W001" not in _ids(include_deployment_checks=True)


@override_settings(LIVECHAT_ADAPTER="nowhere.Adapter")
def test_unimportable_adapter_is_an_error():
    assert "livechat.E002" in _ids()


@override_settings(LIVECHAT_WIDGET_POSITION="top-middle")
def test_unknown_widget_position_is_an_error():
    assert "livechat.E003" in _ids()


def test_missing_request_context_processor_warns(settings):
    settings.TEMPLATES = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "APP_DIRS": True,
            "OPTIONS": {"context_processors": []},
        }
    ]
    assert "livechat.W002" in _ids()


def test_the_settings_have_the_visitor_middleware():
    assert "livechat.W006" not in _ids()


def test_a_missing_visitor_middleware_warns(settings):
    settings.MIDDLEWARE = [
        m for m in settings.MIDDLEWARE if m != checks.VISITOR_MIDDLEWARE
    ]
    assert "livechat.W006" in _ids()


def test_a_visitor_middleware_before_the_session_warns(settings):
    settings.MIDDLEWARE = [checks.VISITOR_MIDDLEWARE] + [
        m for m in settings.MIDDLEWARE if m != checks.VISITOR_MIDDLEWARE
    ]
    assert "livechat.W006" in _ids()


def test_attachments_in_the_default_storage_warn_on_deploy():
    assert "livechat.W003" in _ids(include_deployment_checks=True)


@override_settings(
    LIVECHAT_ATTACHMENT_STORAGE="private",
    STORAGES={
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        },
        "private": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    },
)
def test_private_attachment_storage_is_clean():
    ids = _ids(include_deployment_checks=True)
    assert "livechat.W003" not in ids and "livechat.E004" not in ids


@override_settings(LIVECHAT_ATTACHMENT_STORAGE="nowhere")
def test_unknown_attachment_storage_is_an_error():
    assert "livechat.E004" in _ids(include_deployment_checks=True)


@pytest.mark.parametrize("prefix", [None, "", "/_livechat_files/", "/internal"])
def test_an_accel_redirect_path_is_clean(settings, prefix):
    settings.LIVECHAT_ATTACHMENT_ACCEL_REDIRECT = prefix
    assert "livechat.E006" not in _ids()


@pytest.mark.parametrize(
    "prefix", ["_livechat_files/", "https://cdn.example.com/", "/a?b", "/a b/", 7]
)
def test_an_accel_redirect_that_is_no_path_is_an_error(settings, prefix):
    settings.LIVECHAT_ATTACHMENT_ACCEL_REDIRECT = prefix
    assert "livechat.E006" in _ids()


@override_settings(SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"))
def test_a_proxy_without_the_client_ip_header_warns_on_deploy():
    assert "livechat.W004" in _ids(include_deployment_checks=True)
    with override_settings(LIVECHAT_TRUSTED_PROXY_HEADER="x-forwarded-for"):
        assert "livechat.W004" not in _ids(include_deployment_checks=True)


def test_no_proxy_no_warning_about_its_header():
    assert "livechat.W004" not in _ids(include_deployment_checks=True)


@override_settings(
    CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
)
def test_a_per_process_cache_warns_on_deploy():
    assert "livechat.W005" in _ids(include_deployment_checks=True)
    with override_settings(
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": "redis://127.0.0.1:6379/1",
            }
        }
    ):
        assert "livechat.W005" not in _ids(include_deployment_checks=True)
