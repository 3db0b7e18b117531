"""Checking an uploaded file and turning it into an unsaved ``Attachment``.

Nothing the client says about a file is trusted: its type comes from its first
bytes, images are decoded by the one Pillow plugin of that type (never by
whichever plugin claims the bytes) and stored under a random name; the
client's file name is kept only, cleaned, for display.
"""

import io
import logging
import posixpath
import unicodedata
import warnings

from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.utils.translation import gettext as _
from PIL import ExifTags, Image, ImageOps

from .conf import app_settings
from .models import Attachment

logger = logging.getLogger("livechat.attachments")

PDF = "application/pdf"

# (content type, stored extension, Pillow format or None, display suffixes).
_PNG = ("image/png", ".png", "PNG", {".png"})
_JPEG = ("image/jpeg", ".jpg", "JPEG", {".jpg", ".jpeg"})
_GIF = ("image/gif", ".gif", "GIF", {".gif"})
_WEBP = ("image/webp", ".webp", "WEBP", {".webp"})
_PDF = (PDF, ".pdf", None, {".pdf"})

# Characters Windows refuses in file names; the name becomes the download's.
_RESERVED = set('<>:"|?*')
_MAX_NAME = 200
# EXIF orientations that turn the picture a quarter: width and height swap.
_QUARTER_TURNS = {5, 6, 7, 8}


class AttachmentRefused(Exception):
    """An upload that is refused; ``code`` is the protocol's error code."""

    def __init__(self, code, message, status=400):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def attachment_storage():
    """The storage of attachments: ``LIVECHAT_ATTACHMENT_STORAGE`` in STORAGES."""
    return storages[app_settings.ATTACHMENT_STORAGE]


def delete_stored_files(names):
    """Remove these files from the attachment storage, each on its own: one
    that cannot be removed is logged and left behind, the others still go."""
    storage = attachment_storage()
    for name in names:
        try:
            storage.delete(name)
        except Exception:
            # A storage error (a full disk, a cloud bucket's outage) must not
            # undo or stop the change that already removed its rows.
            logger.warning("livechat: could not delete %s", name, exc_info=True)


def detect_type(head):
    """The kind of file ``head`` (its first bytes) starts, or None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return _PNG
    if head.startswith(b"\xff\xd8\xff"):
        return _JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return _GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return _WEBP
    if head.startswith(b"%PDF-"):
        return _PDF
    return None


def clean_file_name(name, suffixes=(), extension=""):
    """The uploader's file name made safe to show and to offer as a download.

    Keeps the last path component, drops control and format characters (such
    as the right-to-left override that disguises ``gpj.exe``), replaces
    characters file systems refuse, and ends the name with ``extension`` unless
    it already ends with one of ``suffixes``, so a PDF never downloads as
    ``.html``.
    """
    name = name if isinstance(name, str) else ""
    name = name.replace("\\", "/")
    name = posixpath.basename(name)
    name = "".join(_clean_char(char) for char in name)
    name = " ".join(name.split()).strip(". ")
    if not name:
        name = "file"
    stem, suffix = posixpath.splitext(name)
    if extension and suffix.lower() not in suffixes:
        stem, suffix = name, extension
    if len(stem) + len(suffix) > _MAX_NAME:
        if len(suffix) > 16:
            stem, suffix = stem + suffix, ""
        stem = stem[: _MAX_NAME - len(suffix)].rstrip(". ") or "file"
    return stem + suffix


def _clean_char(char):
    category = unicodedata.category(char)
    if category.startswith("C"):
        return ""
    if category.startswith("Z"):
        return " "
    return "_" if char in _RESERVED else char


def _read_limited(uploaded_file, limit):
    """The file's bytes, refusing more than ``limit`` without reading them all."""
    too_large = AttachmentRefused(
        "too_large",
        _("The file is larger than %(limit)s.") % {"limit": _megabytes(limit)},
        413,
    )
    if uploaded_file.size is not None and uploaded_file.size > limit:
        raise too_large
    uploaded_file.seek(0)
    data = uploaded_file.read(limit + 1)
    if len(data) > limit:
        raise too_large
    if not data:
        raise AttachmentRefused("empty", _("The file is empty."))
    return data


def _megabytes(size):
    return f"{size / (1024 * 1024):.3g} MB"


def _open(data, pil_format):
    # Only the plugin of the detected type: bytes that look like a PNG are
    # never handed to, say, the EPS plugin (which runs Ghostscript).
    return Image.open(io.BytesIO(data), formats=[pil_format])


def _bad_image(reason):
    logger.info("livechat: refused an unreadable image: %s", reason)
    return AttachmentRefused("bad_image", _("This image is damaged or unreadable."))


def _too_many_pixels(limit):
    return AttachmentRefused(
        "bad_image",
        _("The image is too large (more than %(limit)s megapixels).")
        % {"limit": f"{limit / 1_000_000:g}"},
    )


def _thumbnail_image(image, edge):
    # Draft first: a JPEG then decodes at a fraction of its size.
    image.draft(None, (edge, edge))
    image = ImageOps.exif_transpose(image)
    if image.mode not in ("RGB", "RGBA"):
        has_alpha = "A" in image.getbands() or "transparency" in image.info
        image = image.convert("RGBA" if has_alpha else "RGB")
    image.thumbnail((edge, edge), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def inspect_image(data, pil_format):
    """Check an image and return ``(width, height, png_thumbnail_bytes)``.

    Width and height are as displayed, after the EXIF orientation. Raises
    AttachmentRefused for corrupt images and decompression bombs; only the
    first frame of an animation is ever decoded.
    """
    limit = app_settings.MAX_IMAGE_PIXELS
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its limit and twice it.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with _open(data, pil_format) as probe:
                width, height = probe.size
                # Before anything decodes the pixels.
                if width * height > limit:
                    raise _too_many_pixels(limit)
                probe.verify()
            with _open(data, pil_format) as image:
                orientation = image.getexif().get(ExifTags.Base.Orientation)
                thumbnail = _thumbnail_image(image, app_settings.THUMBNAIL_SIZE)
    except AttachmentRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own limit (Image.MAX_IMAGE_PIXELS) is the lower one here.
        raise _too_many_pixels(min(limit, Image.MAX_IMAGE_PIXELS or limit)) from None
    except Exception as exc:
        # Malformed input makes Pillow raise almost anything (OSError,
        # SyntaxError, struct.error, IndexError...): all mean "unreadable".
        raise _bad_image(repr(exc)) from exc
    if orientation in _QUARTER_TURNS:
        width, height = height, width
    return width, height, thumbnail


def build_attachment(uploaded_file):
    """An unsaved Attachment for ``uploaded_file``, or raise AttachmentRefused.

    ``file`` and ``thumbnail`` hold ContentFiles bound to the configured
    storage; saving the instance (services do, inside their transaction)
    writes them under the key's random name.
    """
    data = _read_limited(uploaded_file, app_settings.MAX_UPLOAD_BYTES)
    kind = detect_type(data[:16])
    if kind is None:
        logger.info(
            "livechat: refused an upload of unaccepted type (%d bytes)", len(data)
        )
        raise AttachmentRefused(
            "bad_type", _("Only images (PNG, JPEG, GIF, WebP) and PDFs are accepted.")
        )
    content_type, extension, pil_format, suffixes = kind
    width = height = thumbnail = None
    if pil_format is not None:
        width, height, thumbnail = inspect_image(data, pil_format)
    attachment = Attachment(
        file=ContentFile(data, name=f"upload{extension}"),
        original_name=clean_file_name(
            getattr(uploaded_file, "name", ""), suffixes, extension
        ),
        content_type=content_type,
        extension=extension,
        size=len(data),
        width=width,
        height=height,
    )
    storage = attachment_storage()
    # Reading the descriptor wraps the ContentFile in a FieldFile cached on
    # the instance; its storage is the one FieldFile.save() writes to.
    attachment.file.storage = storage
    if thumbnail is not None:
        attachment.thumbnail = ContentFile(thumbnail, name="thumbnail.png")
        attachment.thumbnail.storage = storage
    return attachment


def stored_name(attachment, thumbnail=False):
    """The name of the stored file (or its thumbnail) in the attachment
    storage, or None when there is none."""
    field = attachment.thumbnail if thumbnail else attachment.file
    return field.name if field and field.name else None


def open_stored(attachment, thumbnail=False):
    """Open the stored file (or its thumbnail) for reading, or return None."""
    name = stored_name(attachment, thumbnail)
    if name is None:
        return None
    try:
        return attachment_storage().open(name, "rb")
    except OSError:
        logger.warning(
            "livechat: attachment %s has no stored %s",
            attachment.key,
            "thumbnail" if thumbnail else "file",
        )
        return None
