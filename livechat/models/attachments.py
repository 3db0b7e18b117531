"""Files sent in a conversation, stored where no one can guess them."""

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .conversations import Conversation, Message


def _attachment_path(instance, filename):
    # Random and unrelated to the attachment's public key or the uploader's
    # file name: knowing the download URL tells nothing about the stored path.
    token = uuid.uuid4().hex
    return f"livechat/attachments/{token[:2]}/{token}{instance.extension}"


def _thumbnail_path(instance, filename):
    token = uuid.uuid4().hex
    return f"livechat/attachments/{token[:2]}/{token}-thumb.png"


class Attachment(models.Model):
    """A file sent in a conversation, served only to its participants."""

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="attachments"
    )
    message = models.OneToOneField(
        Message,
        on_delete=models.CASCADE,
        related_name="attachment",
        null=True,
        blank=True,
    )
    file = models.FileField(_("file"), upload_to=_attachment_path, max_length=200)
    thumbnail = models.FileField(upload_to=_thumbnail_path, max_length=200, blank=True)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    extension = models.CharField(max_length=10)
    size = models.PositiveIntegerField(_("size in bytes"))
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.original_name

    @property
    def is_image(self):
        return self.content_type.startswith("image/")
