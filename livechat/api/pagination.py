"""Cursor pagination, newest first, stable under inserts.

A cursor is the position after the last row given, ``(created, id)``,
encoded opaque. The next page is the rows strictly after it in the order
``-created_at, -pk``: rows added meanwhile (newer ones, at the top) never
shift a page, and none is on two pages, even of rows created in the same
microsecond. A keyset, not an offset: every page costs the same.
"""

import base64
import binascii
import json
from datetime import datetime

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


def _encode(created, pk):
    raw = json.dumps([created.isoformat(), pk], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor):
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, pk = json.loads(raw)
        created = datetime.fromisoformat(created)
        if (
            created.tzinfo is None
            or isinstance(pk, bool)
            or not isinstance(pk, int)
            or not 0 < pk < 2**63
        ):
            raise ValueError
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ValidationError({"cursor": [_("Invalid cursor.")]}) from None
    return created, pk


def _page_size(request):
    raw = request.query_params.get("page_size")
    if raw is None:
        return DEFAULT_PAGE_SIZE
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        raise ValidationError(
            {"page_size": [_("A whole number from 1 to %d.") % MAX_PAGE_SIZE]}
        )
    return int(raw)


class NewestFirstCursorPagination(BasePagination):
    """``?cursor=`` (from the previous page's ``next``) and ``?page_size=``
    (1 to 200, default 50) over a queryset of rows with ``created_at``."""

    def paginate_queryset(self, queryset, request, view=None):
        """Runs on a list: this page's rows, and the cursor after them."""
        self.request = request
        size = _page_size(request)
        cursor = request.query_params.get("cursor")
        if cursor:
            if len(cursor) > 200:
                raise ValidationError({"cursor": [_("Invalid cursor.")]})
            created, pk = _decode(cursor)
            queryset = queryset.filter(
                Q(created_at__lt=created) | Q(created_at=created, pk__lt=pk)
            )
        rows = list(queryset.order_by("-created_at", "-pk")[: size + 1])
        page = rows[:size]
        self.next_cursor = (
            _encode(page[-1].created_at, page[-1].pk) if len(rows) > size else None
        )
        return page

    def get_paginated_response(self, data):
        next_url = None
        if self.next_cursor:
            next_url = replace_query_param(
                self.request.build_absolute_uri(), "cursor", self.next_cursor
            )
        return Response({"next": next_url, "cursor": self.next_cursor, "results": data})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["next", "cursor", "results"],
            "properties": {
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "The next page's URL; null on the last page.",
                    "example": "https://shop.example.com/livechat/api/v1/"
                    "conversations/?cursor=WyIyMDI2LTEyLTAzVDA4OjEwOjAwKzAwOjAwIiwxMDQyXQ",
                },
                "cursor": {
                    "type": "string",
                    "nullable": True,
                    "description": "The next page's cursor; null on the last page.",
                    "example": "WyIyMDI2LTEyLTAzVDA4OjEwOjAwKzAwOjAwIiwxMDQyXQ",
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": "cursor",
                "required": False,
                "in": "query",
                "description": "The `cursor` of the previous page.",
                "schema": {"type": "string"},
            },
            {
                "name": "page_size",
                "required": False,
                "in": "query",
                "description": f"Rows per page, 1 to {MAX_PAGE_SIZE} "
                f"(default {DEFAULT_PAGE_SIZE}).",
                "schema": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_PAGE_SIZE,
                    "default": DEFAULT_PAGE_SIZE,
                },
            },
        ]
