"""Data protection: retention, a shopper's export and erasure, stored files.

Used by the management commands ``livechat_retention``, ``livechat_export``
and ``livechat_erase`` and by the admin's visitor actions.
"""

import ipaddress
import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone

from .attachments import attachment_storage
from .conf import app_settings
from .models import Attachment, Conversation, InternalNote, Message, Visitor

logger = logging.getLogger(__name__)

REMOVED = "[removed]"


def anonymize_ip(ip):
    """Zero the host part: the last octet of IPv4, the last 80 bits of IPv6."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    prefix = 24 if address.version == 4 else 48
    network = ipaddress.ip_network(f"{address}/{prefix}", strict=False)
    return str(network.network_address)


def stored_ip(ip):
    """The IP to store for a visitor under LIVECHAT_ANONYMIZE_IP."""
    if not ip:
        return None
    return anonymize_ip(ip) if app_settings.ANONYMIZE_IP else ip


@receiver(post_delete, sender=Attachment)
def _delete_stored_files(sender, instance, **kwargs):
    """Runs after an attachment row is deleted: its files go too."""
    storage = attachment_storage()
    for field in (instance.file, instance.thumbnail):
        if field and field.name:
            try:
                storage.delete(field.name)
            except OSError:
                logger.warning("livechat: could not delete %s", field.name)


def _visitors_of(email=None, user=None):
    query = Q()
    if email:
        query |= Q(email__iexact=email)
        query |= Q(user__email__iexact=email)
    if user is not None:
        query |= Q(user=user)
    if not query:
        return Visitor.objects.none()
    return Visitor.objects.filter(query).distinct()


def export_visitor_data(email=None, user=None):
    """Everything stored about the shopper(s) with this email or user."""
    visitors = list(_visitors_of(email, user))
    conversations = Conversation.objects.filter(visitor__in=visitors).order_by(
        "created_at"
    )
    data = {"exported_at": timezone.now().isoformat(), "visitors": []}
    for visitor in visitors:
        entry = {
            "key": str(visitor.key),
            "name": visitor.name,
            "email": visitor.email,
            "phone": visitor.phone,
            "locale": visitor.locale,
            "ip_address": visitor.ip_address,
            "user_agent": visitor.user_agent,
            "current_page": visitor.current_page,
            "created": visitor.created_at.isoformat(),
            "last_seen": visitor.last_seen_at.isoformat(),
            "conversations": [],
        }
        for conversation in conversations:
            if conversation.visitor_id != visitor.pk:
                continue
            messages = conversation.messages.select_related("attachment").order_by(
                "seq"
            )
            entry["conversations"].append(
                {
                    "id": conversation.pk,
                    "created": conversation.created_at.isoformat(),
                    "status": conversation.status,
                    "topic": conversation.topic,
                    "rating": conversation.rating,
                    "rating_comment": conversation.rating_comment,
                    "messages": [_message_export(m) for m in messages],
                }
            )
        data["visitors"].append(entry)
    return data


def _message_export(message):
    attachment = getattr(message, "attachment", None)
    return {
        "seq": message.seq,
        "sender": message.sender_kind,
        "body": message.body,
        "created": message.created_at.isoformat(),
        "attachment": attachment.original_name if attachment else None,
    }


def erase_visitor_data(email=None, user=None):
    """Delete the shopper(s), their conversations, messages and files."""
    visitors = _visitors_of(email, user)
    count = visitors.count()
    with transaction.atomic():
        # Attachments one by one so their files are deleted too.
        for attachment in Attachment.objects.filter(conversation__visitor__in=visitors):
            attachment.delete()
        Visitor.objects.filter(
            pk__in=list(visitors.values_list("pk", flat=True))
        ).delete()
    return count


def apply_retention(days=None, anonymise=None, now=None):
    """Delete (or anonymise) closed conversations older than ``days``.

    Defaults from LIVECHAT_RETENTION_DAYS (None: keep) and
    LIVECHAT_RETENTION_MODE ("delete" or "anonymise"). Returns the count.
    """
    days = app_settings.RETENTION_DAYS if days is None else days
    if not days:
        return 0
    if anonymise is None:
        anonymise = app_settings.RETENTION_MODE == "anonymise"
    cutoff = (now or timezone.now()) - timedelta(days=days)
    old = Conversation.objects.exclude(status__in=Conversation.OPEN_STATUSES).filter(
        created_at__lt=cutoff
    )
    ids = list(old.values_list("pk", flat=True))
    with transaction.atomic():
        for attachment in Attachment.objects.filter(conversation_id__in=ids):
            attachment.delete()
        if anonymise:
            Message.objects.filter(conversation_id__in=ids).exclude(
                sender_kind=Message.Sender.SYSTEM
            ).update(body=REMOVED, client_id="")
            InternalNote.objects.filter(conversation_id__in=ids).update(body=REMOVED)
            Conversation.objects.filter(pk__in=ids).update(rating_comment="")
        else:
            Conversation.objects.filter(pk__in=ids).delete()
        # Visitors left with nothing and not seen since the cutoff go too, or
        # lose what identifies them.
        idle = Visitor.objects.filter(last_seen_at__lt=cutoff)
        if anonymise:
            idle.update(
                name="",
                email="",
                phone="",
                ip_address=None,
                user_agent="",
                current_page="",
                session_key="",
            )
        else:
            idle.filter(conversations__isnull=True).delete()
    return len(ids)
