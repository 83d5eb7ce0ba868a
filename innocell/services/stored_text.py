"""Text is checked as it will be stored, not only as it was typed: the app adds to what people
type ("Blackout: " + a reason, a subject naming a space), so a value that passed its form can
still outgrow its column. `fit` shortens text the app composes; the flush check refuses any
other value longer than its column with a 400 naming the field (PostgreSQL would raise, and
SQLite would silently store it)."""
from __future__ import annotations

from sqlalchemy import String, event, inspect
from sqlalchemy.orm import Session

from . import BadRequest
from .phrasing import gettext

ELLIPSIS = "…"


def fit(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, ending with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS


def _too_long(obj) -> tuple[str, int, int] | None:
    mapper = inspect(obj).mapper
    for column in mapper.columns:
        if not isinstance(column.type, String) or not column.type.length:
            continue
        value = getattr(obj, mapper.get_property_by_column(column).key, None)
        if isinstance(value, str) and len(value) > column.type.length:
            return column.key, len(value), column.type.length
    return None


@event.listens_for(Session, "before_flush")
def _check_lengths(session: Session, flush_context, instances) -> None:
    for obj in (*session.new, *session.dirty):
        found = _too_long(obj)
        if found is not None:
            field, length, limit = found
            raise BadRequest(gettext("The %(field)s is too long to keep (%(length)s characters; at most %(limit)s).",
                                     field=field.replace('_', ' '), length=length, limit=limit), field=field)
