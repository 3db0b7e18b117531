"""The signature recipes of docs/api.md, run as written (Python, and
JavaScript under Node), verify what the worker really sends, with the secret
the admin shows, and nothing else."""

import base64
import re
import shutil
import subprocess
import threading
import uuid
from pathlib import Path

import pytest
from django.test import override_settings

from livechat import services
from livechat.models import Visitor, WebhookEndpoint
from livechat.services import webhooks

from .receiver import Receiver

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def _recipe(language):
    section = DOC.read_text().split("### Verifying a signature", 1)[1]
    blocks = re.findall(rf"```{language}\n(.*?)```", section, re.S)
    assert len(blocks) == 1, f"one {language} recipe expected in docs/api.md"
    return blocks[0]


@pytest.fixture
def signed_delivery():
    """(secret, Livechat-Signature header, raw body) of a real delivery."""
    receiver = Receiver()
    try:
        endpoint = WebhookEndpoint.objects.create(
            url=receiver.url, events=["message.created"]
        )
        visitor = Visitor.objects.create(key=uuid.uuid4(), name="Zoë")
        services.post_visitor_message(visitor, "¿Envían a España? 👟", "c1")
        with override_settings(LIVECHAT_WEBHOOK_ALLOW_PRIVATE_TARGETS=True):
            assert webhooks.run(threading.Event(), once=True) == 1
        headers, body = receiver.requests[0]
        return endpoint.secret, headers["Livechat-Signature"], body
    finally:
        receiver.close()


@pytest.mark.django_db(transaction=True)
def test_the_python_recipe_verifies_a_real_delivery(signed_delivery):
    secret, header, body = signed_delivery
    namespace = {}
    exec(_recipe("python"), namespace)  # noqa: S102 - the documentation's code
    verify = namespace["verify_livechat_signature"]
    assert verify(secret, header, body)
    assert not verify(secret[:-1], header, body)
    assert not verify(
        secret, header, body.replace(b"message.created", b"message.deleted")
    )
    stale = re.sub(r"t=\d+", "t=1700000000", header)
    assert not verify(secret, stale, body)


@pytest.mark.django_db(transaction=True)
def test_the_javascript_recipe_verifies_a_real_delivery(signed_delivery, tmp_path):
    node = shutil.which("node")
    assert node, "make test installs Node.js's packages; node must be on PATH"
    secret, header, body = signed_delivery
    script = tmp_path / "verify.js"
    script.write_text(
        _recipe("js")
        + "\nconst [secret, header, body] = process.argv.slice(2);\n"
        + "console.log(verifyLivechatSignature(secret, header, "
        + "Buffer.from(body, 'base64')));\n"
    )

    def run(secret, header, body):
        encoded = base64.b64encode(body).decode()
        result = subprocess.run(
            [node, str(script), secret, header, encoded],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        return result.stdout.strip()

    assert run(secret, header, body) == "true"
    assert run(secret + "x", header, body) == "false"
    assert run(secret, header, body + b" ") == "false"
