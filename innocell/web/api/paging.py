"""One way to page every list of the API: `?limit=` (1-500, default 200) and `?cursor=`.

An answer keeps its list key and adds `"next"`: the URL of the next page, or null on the last.
The cursor is opaque to callers; it names the last row sent (its id) in the list's own order,
so the next page starts right after that row: rows added meanwhile before it are not sent
again and nothing is sent twice, unlike an offset, which shifts when rows are added. (If the
row the cursor names has left the list, e.g. a filter on status no longer matches it, the page
starts at the position it had.)

    return jsonify(page_of(rows, "bookings", lambda b: booking_json(b, tz)))
"""
from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode

from flask import request

from ...services import BadRequest
from ..entry import query_int

DEFAULT_LIMIT = 200  # large enough that a year of weekly bookings is one page
MAX_LIMIT = 500


def _encode(row_id: int, index: int) -> str:
    raw = json.dumps([row_id, index], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[int, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        row_id, index = json.loads(raw)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise BadRequest("Query parameter 'cursor' is not one this API gave out; take it from a 'next' link, "
                         "or leave it out to start from the first page.") from None
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in (row_id, index)):
        raise BadRequest("Query parameter 'cursor' is not one this API gave out; take it from a 'next' link.")
    return row_id, index


def page_params() -> tuple[int, tuple[int, int] | None]:
    """(limit, cursor) of this request, or a 400 naming the bad one."""
    limit = query_int("limit", DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT)
    raw = request.args.get("cursor")
    return limit, (_decode(raw) if raw else None)


def next_url(cursor: str) -> str:
    args = [(k, v) for k, v in request.args.items(multi=True) if k not in ("cursor", "offset")]
    return f"{request.path}?{urlencode(args + [('cursor', cursor)])}"


def page_of(rows: Sequence, key: str, serialize: Callable[[Any], dict], *,
            id_of: Callable[[Any], int] = lambda row: row.id) -> dict:
    """{key: [serialized rows of this page], "next": URL or None}; rows in the list's order."""
    limit, cursor = page_params()
    start = 0
    if cursor is not None:
        row_id, index = cursor
        ids = [id_of(row) for row in rows]
        start = ids.index(row_id) + 1 if row_id in ids else min(index, len(rows))
    offset = query_int("offset", 0)  # an older way some lists took; applied after the cursor
    start += offset
    chunk = rows[start:start + limit]
    more = start + limit < len(rows)
    last = start + len(chunk) - 1
    return {key: [serialize(row) for row in chunk],
            "next": next_url(_encode(id_of(chunk[-1]), last + 1)) if more and chunk else None}
