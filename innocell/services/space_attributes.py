"""What a space has, as residents search by it: equipment tags ("fume hood", "PCR"), seats, the
floor and a photo URL; and, for a space a resident may not book yet, why and how to get access.

The inventory (services/spaces.py) validates these fields with `clean_attribute` on create and
edit; the resident's search filters with `matches`; `access_notes` explains every space the
person is not authorised for, in one query whatever the number of spaces."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Authorisation, Space, User
from .roles import MANAGER_ROLES
from .settings import zone

FIELDS = ("equipment", "seats", "floor", "photo_url")
DEFAULTS = {"equipment": [], "seats": None, "floor": None, "photo_url": None}
MAX_TAGS = 30
TAG_LENGTH = 40
FLOOR_LENGTH = 20
URL_LENGTH = 500


def tag(value: str) -> str:
    """One equipment tag as stored and compared: trimmed, inner spaces collapsed, lower case."""
    return " ".join(value.split()).lower()


def parse_tags(text: str) -> list[str]:
    """Tags typed as comma-separated text (the manager's form, the resident's search)."""
    return [t for t in (tag(part) for part in (text or "").split(",")) if t]


def clean_attribute(field: str, value) -> tuple[object, str | None]:
    """(the value to store, None) or (None, what is wrong) for one attribute."""
    if field == "equipment":
        if value is None:
            return [], None
        if isinstance(value, str):
            value = parse_tags(value)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return None, "'equipment' must be a list of tags (text)."
        tags: list[str] = []
        for raw in value:
            t = tag(raw)
            if not t:
                continue
            if len(t) > TAG_LENGTH:
                return None, f"An equipment tag can be at most {TAG_LENGTH} characters."
            if t not in tags:
                tags.append(t)
        if len(tags) > MAX_TAGS:
            return None, f"A space can list at most {MAX_TAGS} pieces of equipment."
        return tags, None
    if field == "seats":
        if value is None:
            return None, None
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                return None, "Seats ('seats') must be a whole number."
        if not 0 <= value <= 10_000:
            return None, "Seats ('seats') must be between 0 and 10000."
        return value, None
    limit = FLOOR_LENGTH if field == "floor" else URL_LENGTH
    if value is None:
        return None, None
    if not isinstance(value, str):
        return None, f"'{field}' must be text."
    value = value.strip()
    if len(value) > limit:
        return None, f"'{field}' can be at most {limit} characters."
    if field == "photo_url" and value and not (value.startswith("https://") or value.startswith("http://")
                                               or value.startswith("/")):
        return None, "The photo URL must start with https://, http:// or / (a file on this site)."
    return value or None, None


def matches(space: Space, *, equipment: list[str] | None = None, min_seats: int | None = None,
            floor: str | None = None) -> bool:
    """Whether the space has every listed piece of equipment, at least `min_seats` seats and is
    on `floor` (compared without case)."""
    have = set(space.equipment or [])
    if equipment and not set(equipment) <= have:
        return False
    if min_seats is not None and (space.seats or 0) < min_seats:
        return False
    if floor and (space.floor or "").strip().lower() != floor.strip().lower():
        return False
    return True


def floors(spaces: list[Space]) -> list[str]:
    return sorted({s.floor for s in spaces if s.floor}, key=lambda f: (len(f), f))


def equipment_tags(spaces: list[Space]) -> list[str]:
    return sorted({t for s in spaces for t in (s.equipment or [])})


def access_notes(session: Session, user: User, spaces: list[Space], now: datetime) -> dict[int, dict]:
    """For each space the user may not book for want of training: {"reason", "how"}; the rest
    are absent. Mirrors `authorisations.usable_spaces` (one query for every gated space)."""
    gated = [s for s in spaces if s.requires_authorisation]
    if not gated or user.role in MANAGER_ROLES:
        return {}
    rows = session.execute(
        select(Authorisation.space_id, Authorisation.expires_at, Authorisation.revoked_at)
        .where(Authorisation.user_id == user.id, Authorisation.space_id.in_([s.id for s in gated]))
        .order_by(Authorisation.granted_at)).all()
    valid, lapsed = set(), {}
    for space_id, expires_at, revoked_at in rows:
        if revoked_at is None and (expires_at is None or expires_at > now):
            valid.add(space_id)
        else:
            lapsed[space_id] = ("expired", expires_at) if revoked_at is None else ("revoked", revoked_at)
    notes = {}
    for space in gated:
        if space.id in valid:
            continue
        how = (f"Ask the park office (a manager) for the {space.name} induction; once you have passed it, "
               f"they record your authorisation and you can book here.")
        if space.id in lapsed:
            what, when = lapsed[space.id]
            when = when.astimezone(zone()) if when else None
            reason = (f"Your authorisation for this space {what} on {when:%d %b %Y}." if when else
                      f"Your authorisation for this space was {what}.")
        else:
            reason = "Only trained (authorised) users may book this space, and you are not authorised yet."
        notes[space.id] = {"reason": reason, "how": how}
    return notes
