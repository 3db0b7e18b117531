import pytest


@pytest.fixture
def media(settings, tmp_path):
    """Stored files (attachments) go to a temporary MEDIA_ROOT."""
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path
