"""Attachments: what uploads are accepted, who may post them and who may see them."""

import functools
import io
import logging
import re
import struct
import uuid
import zlib
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils.crypto import get_random_string
from PIL import Image

from livechat import services
from livechat.attachments import clean_file_name, detect_type
from livechat.models import Attachment, Conversation, Message, Visitor
from livechat.realtime import groups
from livechat.tokens import make_visitor_token

pytestmark = pytest.mark.django_db

UPLOAD = "/livechat/attachments/"


# Files ------------------------------------------------------------------------


def image_bytes(fmt="PNG", size=(800, 600), mode="RGB", **save):
    out = io.BytesIO()
    Image.new(mode, size, "red" if mode in ("RGB", "RGBA") else 1).save(
        out, format=fmt, **save
    )
    return out.getvalue()


def jpeg_turned_a_quarter(size=(40, 20)):
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 CW to display.
    return image_bytes("JPEG", size=size, exif=exif.tobytes())


PDF_BYTES = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


@functools.cache
def bomb_png(width, height):
    """A real, tiny PNG of ``width`` x ``height`` blank 1-bit pixels."""
    compressor = zlib.compressobj(9)
    row = bytes(1 + (width + 7) // 8)  # filter byte, then the packed pixels
    idat = b"".join(compressor.compress(row) for _ in range(height))
    idat += compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", idat)
        + _chunk(b"IEND", b"")
    )


def upload_file(name, data, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)


# Fixtures ---------------------------------------------------------------------


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture
def visitor():
    return Visitor.objects.create(key=uuid.uuid4(), name="Ann")


@pytest.fixture
def token(visitor):
    return make_visitor_token(visitor.key)


def session_client(visitor_key=None, **kwargs):
    """A browser whose session holds ``visitor_key``, as the widget tag leaves it."""
    client = Client(**kwargs)
    if visitor_key is not None:
        session = client.session
        session["livechat_visitor"] = str(visitor_key)
        session.save()
    return client


@pytest.fixture
def shopper(visitor):
    return session_client(visitor.key)


def post_file(client, file, client_id="c1", **fields):
    return client.post(UPLOAD, {"file": file, "client_id": client_id, **fields})


@pytest.fixture
def uploaded(shopper, token):
    """A PNG the visitor sent; returns its Attachment."""
    response = post_file(shopper, upload_file("photo.png", image_bytes()), token=token)
    assert response.status_code == 201, response.content
    return Attachment.objects.get()


def stored_files(root):
    return sorted(p for p in Path(root).rglob("*") if p.is_file())


# Uploads by visitors ---------------------------------------------------------------


def test_visitor_uploads_a_png(shopper, token, visitor, media):
    response = post_file(
        shopper, upload_file("photo.png", image_bytes(), "image/png"), token=token
    )

    assert response.status_code == 201
    ack = response.json()
    assert ack["type"] == "ack" and ack["client_id"] == "c1"
    assert ack["seq"] == 1 and ack["duplicate"] is False
    message = Message.objects.get(pk=ack["id"])
    assert message.conversation.visitor == visitor
    assert message.sender_kind == "visitor" and message.body == "photo.png"
    attachment = message.attachment
    assert attachment.content_type == "image/png" and attachment.extension == ".png"
    assert (attachment.width, attachment.height) == (800, 600)
    assert attachment.size == len(image_bytes())
    with Image.open(media / attachment.thumbnail.name) as thumb:
        assert thumb.format == "PNG" and max(thumb.size) <= 320
        assert thumb.size == (320, 240)


def test_jpeg_exif_orientation_is_applied(shopper, token, media):
    response = post_file(
        shopper, upload_file("turned.jpg", jpeg_turned_a_quarter()), token=token
    )

    assert response.status_code == 201
    attachment = Attachment.objects.get()
    assert attachment.content_type == "image/jpeg"
    assert (attachment.width, attachment.height) == (20, 40)
    with Image.open(media / attachment.thumbnail.name) as thumb:
        assert thumb.size == (20, 40)


@pytest.mark.parametrize(
    ("fmt", "content_type", "save"),
    [
        (
            "GIF",
            "image/gif",
            {"save_all": True, "append_images": [Image.new("P", (50, 30))]},
        ),
        ("WEBP", "image/webp", {}),
        ("PNG", "image/png", {"transparency": 0}),
    ],
)
def test_other_image_kinds_get_a_png_thumbnail(
    shopper, token, media, fmt, content_type, save
):
    mode = "P" if fmt != "WEBP" else "RGB"
    data = image_bytes(fmt, size=(50, 30), mode=mode, **save)
    response = post_file(shopper, upload_file("x.bin", data), token=token)

    assert response.status_code == 201, response.json()
    attachment = Attachment.objects.get()
    assert attachment.content_type == content_type
    assert (attachment.width, attachment.height) == (50, 30)
    with Image.open(media / attachment.thumbnail.name) as thumb:
        assert thumb.format == "PNG" and thumb.size == (50, 30)


def test_pdf_is_accepted_without_thumbnail(shopper, token):
    response = post_file(
        shopper, upload_file("receipt.pdf", PDF_BYTES, "application/pdf"), token=token
    )

    assert response.status_code == 201
    attachment = Attachment.objects.get()
    assert attachment.content_type == "application/pdf"
    assert attachment.extension == ".pdf" and not attachment.thumbnail
    assert attachment.width is None and attachment.height is None


def test_same_client_id_twice_is_one_attachment(shopper, token, media):
    first = post_file(shopper, upload_file("a.png", image_bytes()), token=token)
    again = post_file(shopper, upload_file("a.png", image_bytes()), token=token)

    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["duplicate"] is True
    assert again.json()["id"] == first.json()["id"]
    assert Attachment.objects.count() == 1 and Message.objects.count() == 1
    assert len(stored_files(media)) == 2  # the file and its thumbnail, once


def test_message_frame_published_after_commit_carries_the_attachment(
    shopper, token, visitor, django_capture_on_commit_callbacks
):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(groups.visitor_group(visitor.pk), channel)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_file(shopper, upload_file("p.png", image_bytes()), token=token)

    assert response.status_code == 201
    frame = {"type": None}
    for _ in range(5):
        frame = async_to_sync(layer.receive)(channel)["frame"]
        if frame["type"] == "message":
            break
    assert frame["type"] == "message"
    message = frame["message"]
    key = Attachment.objects.get().key
    url = reverse("livechat:attachment-download", kwargs={"key": key})
    assert message["attachment"] == {
        "url": url,
        "thumbnail": f"{url}?thumb=1",
        "name": "p.png",
        "content_type": "image/png",
        "size": len(image_bytes()),
        "width": 800,
        "height": 600,
    }


# Refused files ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("notes.png", b"just some text, honest\n", "image/png"),
        ("cat.png", b"<html><script>alert(1)</script></html>", "image/png"),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>', "image/svg+xml"),
        ("run.exe", b"MZ\x90\x00" + bytes(100), "image/jpeg"),
    ],
)
def test_type_comes_from_content_not_name_or_header(
    shopper, token, caplog, name, data, content_type
):
    with caplog.at_level(logging.INFO, logger="livechat.attachments"):
        response = post_file(
            shopper, upload_file(name, data, content_type), token=token
        )

    assert response.status_code == 400
    assert response.json()["code"] == "bad_type"
    assert Attachment.objects.count() == 0 and Message.objects.count() == 0
    assert any(r.name == "livechat.attachments" for r in caplog.records)


def test_empty_file_is_refused(shopper, token):
    response = post_file(shopper, upload_file("e.png", b""), token=token)

    assert response.status_code == 400 and response.json()["code"] == "empty"


def test_oversize_file_is_refused(shopper, token, settings):
    settings.LIVECHAT_MAX_UPLOAD_BYTES = 1000
    response = post_file(
        shopper, upload_file("big.pdf", PDF_BYTES + bytes(1000)), token=token
    )

    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert Message.objects.count() == 0


def test_file_of_exactly_the_limit_is_accepted(shopper, token, settings):
    settings.LIVECHAT_MAX_UPLOAD_BYTES = len(PDF_BYTES)
    response = post_file(shopper, upload_file("ok.pdf", PDF_BYTES), token=token)

    assert response.status_code == 201


@pytest.mark.parametrize(
    ("width", "height", "limit"),
    [
        # Over our limit: refused before any pixel is decoded.
        (6000, 6000, 25_000_000),
        # Under ours but over Pillow's warning threshold: the warning refuses.
        (10_000, 10_000, 10**9),
        # Over twice Pillow's limit: its DecompressionBombError refuses.
        (20_000, 20_000, 10**9),
    ],
)
def test_decompression_bomb_is_refused(shopper, token, settings, width, height, limit):
    settings.LIVECHAT_MAX_IMAGE_PIXELS = limit
    data = bomb_png(width, height)
    assert len(data) < 100_000

    response = post_file(shopper, upload_file("bomb.png", data), token=token)

    assert response.status_code == 400
    assert response.json()["code"] == "bad_image"
    assert Message.objects.count() == 0


def test_image_pixel_limit_is_a_setting(shopper, token, settings):
    settings.LIVECHAT_MAX_IMAGE_PIXELS = 800 * 600 - 1
    response = post_file(shopper, upload_file("p.png", image_bytes()), token=token)

    assert response.status_code == 400 and response.json()["code"] == "bad_image"


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # truncated
        lambda data: data[:40] + bytes(len(data) - 40),  # chunks zeroed
        lambda data: data[:8] + b"garbage" * 10,  # only the signature is right
    ],
)
def test_corrupt_png_is_refused(shopper, token, damage):
    data = damage(image_bytes(size=(300, 200)))
    response = post_file(shopper, upload_file("broken.png", data), token=token)

    assert response.status_code == 400
    assert response.json()["code"] == "bad_image"


def test_truncated_jpeg_is_refused(shopper, token):
    data = image_bytes("JPEG", size=(300, 200))
    response = post_file(
        shopper, upload_file("cut.jpg", data[: len(data) // 2]), token=token
    )

    assert response.status_code == 400 and response.json()["code"] == "bad_image"


# Who may upload --------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"token": ""},
        {"token": "not-a-token"},
        {"token": make_visitor_token(uuid.uuid4()) + "x"},
    ],
)
def test_missing_or_tampered_token_is_refused(shopper, fields, caplog):
    with caplog.at_level(logging.WARNING, logger="livechat.security"):
        response = post_file(shopper, upload_file("p.png", image_bytes()), **fields)

    assert response.status_code == 403
    assert response.json()["code"] == "auth_failed"
    assert any(r.name == "livechat.security" for r in caplog.records)
    assert Attachment.objects.count() == 0


def test_token_of_an_unknown_visitor_is_refused(shopper):
    token = make_visitor_token(uuid.uuid4())
    response = post_file(shopper, upload_file("p.png", image_bytes()), token=token)

    assert response.status_code == 403 and response.json()["code"] == "auth_failed"


def test_visitor_of_a_user_is_refused_to_anonymous_and_other_users(
    visitor, token, django_user_model
):
    owner = django_user_model.objects.create_user("owner", password="pw")
    other = django_user_model.objects.create_user("other", password="pw")
    visitor.user = owner
    visitor.save()
    anonymous = session_client(visitor.key)
    someone_else = Client()
    someone_else.force_login(other)
    logged_in = Client()
    logged_in.force_login(owner)

    for client in (anonymous, someone_else):
        response = post_file(client, upload_file("p.png", image_bytes()), token=token)
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
    response = post_file(logged_in, upload_file("p.png", image_bytes()), token=token)
    assert response.status_code == 201


@pytest.mark.parametrize(
    "client_id", ["", "x" * 65, "tab\there", "line\nbreak"], ids=repr
)
def test_bad_client_id_is_refused(shopper, token, client_id):
    response = post_file(
        shopper, upload_file("p.png", image_bytes()), client_id=client_id, token=token
    )

    assert response.status_code == 400 and response.json()["code"] == "bad_frame"


def test_missing_file_is_refused(shopper, token):
    response = shopper.post(UPLOAD, {"client_id": "c1", "token": token})

    assert response.status_code == 400 and response.json()["code"] == "bad_frame"


def test_only_post_is_allowed(shopper):
    assert shopper.get(UPLOAD).status_code == 405


# Uploads by agents -----------------------------------------------------------------


@pytest.fixture
def conversation(visitor):
    message, _ = services.post_visitor_message(visitor, "Hi", "v1")
    return message.conversation


def agent_browser(user):
    client = Client()
    client.force_login(user)
    return client


def test_agent_uploads_to_a_conversation(agent, conversation):
    response = post_file(
        agent_browser(agent),
        upload_file("label.pdf", PDF_BYTES),
        client_id="a1",
        conversation=str(conversation.pk),
    )

    assert response.status_code == 201
    ack = response.json()
    assert ack["conversation"] == conversation.pk and ack["seq"] == 2
    message = Message.objects.get(pk=ack["id"])
    assert message.sender_kind == "agent" and message.author == agent
    assert message.attachment.content_type == "application/pdf"
    conversation.refresh_from_db()
    assert conversation.assigned_agent == agent


def test_staff_without_the_agent_permission_is_refused(django_user_model, conversation):
    staff = django_user_model.objects.create_user("staff", password="pw", is_staff=True)
    response = post_file(
        agent_browser(staff),
        upload_file("p.png", image_bytes()),
        conversation=str(conversation.pk),
    )

    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert Attachment.objects.count() == 0


def test_agent_refusals_from_the_service(agent, make_agent, conversation):
    other = make_agent("other")
    services.claim_conversation(conversation, other)
    response = post_file(
        agent_browser(agent),
        upload_file("p.png", image_bytes()),
        conversation=str(conversation.pk),
    )
    assert response.status_code == 403 and response.json()["code"] == "forbidden"

    services.close_conversation(conversation, closed_by=other)
    response = post_file(
        agent_browser(other),
        upload_file("p.png", image_bytes()),
        conversation=str(conversation.pk),
    )
    assert response.status_code == 409
    assert response.json()["code"] == "conversation_closed"
    assert Attachment.objects.count() == 0


@pytest.mark.parametrize(
    ("value", "status"), [("999999", 404), ("1e3", 400), ("-1", 400)]
)
def test_agent_needs_an_existing_conversation(agent, conversation, value, status):
    response = post_file(
        agent_browser(agent), upload_file("p.png", image_bytes()), conversation=value
    )

    assert response.status_code == status


def test_token_and_conversation_together_are_refused(agent, conversation, token):
    response = post_file(
        agent_browser(agent),
        upload_file("p.png", image_bytes()),
        conversation=str(conversation.pk),
        token=token,
    )

    assert response.status_code == 400 and response.json()["code"] == "bad_frame"


# CSRF -------------------------------------------------------------------------------


def test_csrf_is_enforced(visitor, token):
    browser = session_client(visitor.key, enforce_csrf_checks=True)
    response = post_file(browser, upload_file("p.png", image_bytes()), token=token)
    assert response.status_code == 403
    assert Attachment.objects.count() == 0

    secret = get_random_string(32)
    browser.cookies["csrftoken"] = secret
    response = browser.post(
        UPLOAD,
        {
            "file": upload_file("p.png", image_bytes()),
            "client_id": "c1",
            "token": token,
        },
        headers={"X-CSRFToken": secret},
    )
    assert response.status_code == 201


# Downloads --------------------------------------------------------------------------


def download_url(attachment, thumb=False):
    url = reverse("livechat:attachment-download", kwargs={"key": attachment.key})
    return f"{url}?thumb=1" if thumb else url


def test_owner_session_downloads_with_safe_headers(shopper, uploaded):
    response = shopper.get(download_url(uploaded))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == image_bytes()
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Cache-Control"] == "private, max-age=3600"
    assert response["Content-Disposition"].startswith("inline")


def test_thumbnail_download(shopper, uploaded):
    response = shopper.get(download_url(uploaded, thumb=True))

    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    with Image.open(io.BytesIO(b"".join(response.streaming_content))) as thumb:
        assert max(thumb.size) <= 320


def test_nobody_else_can_tell_the_file_exists(uploaded, django_user_model):
    other_visitor = Visitor.objects.create(key=uuid.uuid4())
    strangers = [Client(), session_client(other_visitor.key)]
    staff = django_user_model.objects.create_user("staff", password="pw", is_staff=True)
    strangers.append(agent_browser(staff))
    missing = Attachment(key=uuid.uuid4())

    for client in strangers:
        assert client.get(download_url(uploaded)).status_code == 404
        assert client.get(download_url(uploaded, thumb=True)).status_code == 404
    assert Client().get(download_url(missing)).status_code == 404


def test_logged_in_owner_downloads_by_user_not_session(
    uploaded, visitor, django_user_model
):
    owner = django_user_model.objects.create_user("owner", password="pw")
    visitor.user = owner
    visitor.save()

    assert agent_browser(owner).get(download_url(uploaded)).status_code == 200
    # The anonymous session key no longer opens a logged-in customer's files.
    assert session_client(visitor.key).get(download_url(uploaded)).status_code == 404
    other = django_user_model.objects.create_user("other", password="pw")
    assert agent_browser(other).get(download_url(uploaded)).status_code == 404


def test_agent_downloads(agent, uploaded):
    response = agent_browser(agent).get(download_url(uploaded))

    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"


def test_supervisor_who_is_no_agent_downloads(django_user_model, uploaded):
    """A superuser watching chats from the console sees their files too."""
    boss = django_user_model.objects.create_superuser("boss", "b@example.com", "pw")

    assert agent_browser(boss).get(download_url(uploaded)).status_code == 200


def test_pdf_downloads_as_attachment(shopper, token):
    post_file(shopper, upload_file("Factura ñ.pdf", PDF_BYTES), token=token)
    attachment = Attachment.objects.get()

    response = shopper.get(download_url(attachment))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''Factura%20%C3%B1.pdf" in response["Content-Disposition"]
    assert shopper.get(download_url(attachment, thumb=True)).status_code == 404


def test_download_is_get_only(shopper, uploaded):
    assert shopper.post(download_url(uploaded)).status_code == 405


def test_without_accel_redirect_django_streams_the_file(shopper, uploaded):
    response = shopper.get(download_url(uploaded))

    assert "X-Accel-Redirect" not in response
    assert b"".join(response.streaming_content) == image_bytes()


# Downloads sent by nginx (X-Accel-Redirect) -----------------------------------------

ACCEL = "/_livechat_files/"
SAFE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "private, max-age=3600",
}


@pytest.fixture
def accel(settings):
    settings.LIVECHAT_ATTACHMENT_ACCEL_REDIRECT = ACCEL


def test_accel_redirect_hands_the_file_to_nginx(accel, shopper, uploaded):
    response = shopper.get(download_url(uploaded))

    assert response.status_code == 200
    assert response.content == b""  # nginx sends the file
    assert response["X-Accel-Redirect"] == ACCEL + uploaded.file.name
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'inline; filename="photo.png"'
    for header, value in SAFE_HEADERS.items():
        assert response[header] == value


def test_accel_redirect_of_a_thumbnail(accel, shopper, uploaded):
    response = shopper.get(download_url(uploaded, thumb=True))

    assert response["X-Accel-Redirect"] == ACCEL + uploaded.thumbnail.name
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'inline; filename="photo-thumbnail.png"'


def test_accel_redirect_of_a_pdf_downloads_it(accel, shopper, token):
    post_file(shopper, upload_file("Factura ñ.pdf", PDF_BYTES), token=token)
    attachment = Attachment.objects.get()

    response = shopper.get(download_url(attachment))

    assert response["X-Accel-Redirect"] == ACCEL + attachment.file.name
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''Factura%20%C3%B1.pdf" in response["Content-Disposition"]
    # A PDF has no thumbnail: no redirect to a file that does not exist.
    assert shopper.get(download_url(attachment, thumb=True)).status_code == 404


def test_accel_redirect_quotes_the_stored_name(settings, accel, shopper, uploaded):
    settings.LIVECHAT_ATTACHMENT_ACCEL_REDIRECT = "/_livechat_files"  # no slash
    Attachment.objects.filter(pk=uploaded.pk).update(file="livechat/a b?#%.png")

    response = shopper.get(download_url(uploaded))

    assert (
        response["X-Accel-Redirect"] == "/_livechat_files/livechat/a%20b%3F%23%25.png"
    )


def test_accel_redirect_is_never_sent_to_whoever_may_not_see_the_file(
    accel, uploaded, visitor, django_user_model
):
    other_visitor = Visitor.objects.create(key=uuid.uuid4())
    staff = django_user_model.objects.create_user("staff", password="pw", is_staff=True)
    strangers = [Client(), session_client(other_visitor.key), agent_browser(staff)]
    missing = Attachment(key=uuid.uuid4())
    refused = []
    for client in strangers:
        refused += [
            client.get(download_url(uploaded)),
            client.get(download_url(uploaded, thumb=True)),
            client.get(download_url(missing)),
        ]
    # A customer's file, asked for with their old anonymous session only.
    visitor.user = django_user_model.objects.create_user("owner", password="pw")
    visitor.save()
    refused.append(session_client(visitor.key).get(download_url(uploaded)))

    assert [r.status_code for r in refused] == [404] * len(refused)
    assert not any(r.has_header("X-Accel-Redirect") for r in refused)
    assert all(uploaded.file.name.encode() not in r.content for r in refused)


def test_accel_redirect_for_the_agent(accel, agent, uploaded):
    response = agent_browser(agent).get(download_url(uploaded))

    assert response["X-Accel-Redirect"] == ACCEL + uploaded.file.name


# Names and storage ------------------------------------------------------------------


def test_hostile_file_name_is_stored_sanitised(shopper, token, media):
    response = post_file(
        shopper, upload_file("../../etc/passwd<script>.pdf", PDF_BYTES), token=token
    )

    assert response.status_code == 201
    attachment = Attachment.objects.get()
    assert attachment.original_name == "passwd_script_.pdf"
    # The stored path is random: neither the shopper's file name nor the
    # public key (which is in the download URL) appears in it.
    assert re.fullmatch(
        r"livechat/attachments/[0-9a-f]{2}/[0-9a-f]{32}\.pdf", attachment.file.name
    )
    assert "passwd" not in attachment.file.name
    assert attachment.key.hex not in attachment.file.name
    assert [p.name for p in stored_files(media)] == [
        attachment.file.name.rsplit("/")[-1]
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("C:\\Users\\ann\\photo.png", "photo.png"),
        ("../../etc/passwd", "passwd.png"),
        ("gpj\u202e.exe", "gpj.exe.png"),
        ("a\x00b\r\nc.png", "abc.png"),
        ("  spaced\u3000name .png", "spaced name .png"),
        ("..", "file.png"),
        ("", "file.png"),
        (None, "file.png"),
        ("PHOTO.PNG", "PHOTO.PNG"),
        ("page.html", "page.html.png"),
        ("x" * 300 + ".png", "x" * 196 + ".png"),
    ],
)
def test_clean_file_name(name, expected):
    assert clean_file_name(name, {".png"}, ".png") == expected


def test_jpeg_keeps_a_jpeg_suffix():
    assert clean_file_name("me.JPEG", {".jpg", ".jpeg"}, ".jpg") == "me.JPEG"


@pytest.mark.parametrize(
    ("head", "content_type"),
    [
        (b"\x89PNG\r\n\x1a\n....", "image/png"),
        (b"\xff\xd8\xff\xe0", "image/jpeg"),
        (b"GIF89a", "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"%PDF-1.7", "application/pdf"),
        (b"RIFF\x00\x00\x00\x00AVI ", None),
        (b"<svg", None),
        (b" %PDF-1.7", None),
    ],
)
def test_detect_type(head, content_type):
    kind = detect_type(head)
    assert (kind and kind[0]) == content_type


def test_configured_storage_alias_is_used(settings, tmp_path, shopper, token):
    private = tmp_path / "private"
    settings.STORAGES = {
        **settings.STORAGES,
        "livechat": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(private)},
        },
    }
    settings.LIVECHAT_ATTACHMENT_STORAGE = "livechat"

    response = post_file(shopper, upload_file("p.png", image_bytes()), token=token)

    assert response.status_code == 201
    attachment = Attachment.objects.get()
    assert (private / attachment.file.name).read_bytes() == image_bytes()
    assert (private / attachment.thumbnail.name).is_file()
    assert not (tmp_path / attachment.file.name).exists()
    download = shopper.get(download_url(attachment))
    assert b"".join(download.streaming_content) == image_bytes()


def test_missing_stored_file_is_404(shopper, uploaded, media):
    (media / uploaded.file.name).unlink()

    assert shopper.get(download_url(uploaded)).status_code == 404


def test_conversation_kept_open_for_the_next_upload(shopper, token, visitor):
    post_file(shopper, upload_file("a.png", image_bytes()), client_id="c1", token=token)
    response = post_file(
        shopper, upload_file("b.pdf", PDF_BYTES), client_id="c2", token=token
    )

    assert response.json()["seq"] == 2
    assert Conversation.objects.filter(visitor=visitor).count() == 1
