"""The managed list of space kinds: key, label, and a resident's limits in spaces of the kind
(weekly quota hours, bookings held at the same instant). A space's `kind` is one of the keys,
so a typed "Wet lab" can no longer start a second kind that escapes the wet-lab quota.

The six kinds of config.py are the seeds (migration 0004, the demo, `seed_kinds`), their
quotas and simultaneous limits taken from QUOTA_HOURS_PER_WEEK and SIMULTANEOUS_BOOKINGS;
a kind added later without its own limits gets QUOTA_DEFAULT_HOURS_PER_WEEK and
SIMULTANEOUS_DEFAULT_BOOKINGS. From then on the kind's row decides. Keys are fixed once made
(spaces and reports refer to them); label and limits can change, audited."""
from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import Space, SpaceKind, User
from . import BadRequest, Conflict, Forbidden, NotFound, RuleViolation
from .audit import record
from .roles import MANAGER_ROLES
from .settings import setting
from .tx import transaction
from .phrasing import gettext

DEFAULT_LABELS = {
    "wet_lab": "Wet labs",
    "dry_lab": "Dry labs",
    "meeting_room": "Meeting rooms",
    "event_space": "Event spaces",
    "gym": "Gym",
    "music_room": "Music rooms",
}
# Their Traditional Chinese labels (Hong Kong), seeded beside them; a park may change both.
DEFAULT_LABELS_ZH = {
    "wet_lab": "濕實驗室",
    "dry_lab": "乾實驗室",
    "meeting_room": "會議室",
    "event_space": "活動場地",
    "gym": "健身室",
    "music_room": "音樂室",
}
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_QUOTA_HOURS = Decimal(7 * 24)
MAX_SIMULTANEOUS = 100
FIELDS = ("key", "label", "label_zh", "quota_hours", "simultaneous")


# ---------------------------------------------------------------------------- reads

def list_kinds(session: Session) -> list[SpaceKind]:
    return list(session.execute(select(SpaceKind).order_by(SpaceKind.label, SpaceKind.key)).scalars())


def get_kind(session: Session, kind_id) -> SpaceKind:
    kind = session.get(SpaceKind, kind_id) if isinstance(kind_id, int) and not isinstance(kind_id, bool) else None
    if kind is None:
        raise NotFound(gettext("There is no space kind %(kind_id)s.", kind_id=kind_id))
    return kind


def kind_by_key(session: Session, key: str) -> SpaceKind | None:
    if not isinstance(key, str):
        return None
    return session.execute(select(SpaceKind).where(SpaceKind.key == key)).scalar_one_or_none()


def labels(session: Session) -> dict[str, str]:
    return dict(session.execute(select(SpaceKind.key, SpaceKind.label)).all())


def chinese_labels(session: Session) -> dict[str, str]:
    """kind key -> its Traditional Chinese label, for the kinds that have one."""
    return dict(session.execute(select(SpaceKind.key, SpaceKind.label_zh).where(SpaceKind.label_zh.is_not(None))).all())


def space_counts(session: Session) -> dict[str, int]:
    """How many spaces (active or not) have each kind."""
    return dict(session.execute(select(Space.kind, func.count(Space.id)).group_by(Space.kind)).all())


def default_quota_hours(key: str) -> Decimal:
    per_kind = setting("QUOTA_HOURS_PER_WEEK") or {}
    return Decimal(str(per_kind.get(key, setting("QUOTA_DEFAULT_HOURS_PER_WEEK"))))


def default_simultaneous(key: str) -> int:
    per_kind = setting("SIMULTANEOUS_BOOKINGS") or {}
    return int(per_kind.get(key, setting("SIMULTANEOUS_DEFAULT_BOOKINGS")))


def limits(session: Session, key: str) -> tuple[Decimal, int]:
    """(weekly quota hours, simultaneous bookings) a resident has in spaces of this kind; the
    configured defaults for a key with no row (a space kept from before the managed list)."""
    kind = kind_by_key(session, key)
    if kind is None:
        return default_quota_hours(key), default_simultaneous(key)
    return Decimal(kind.quota_hours), int(kind.simultaneous)


def unknown_kind_violation(session: Session, key) -> dict | None:
    """The violation for a space's `kind` that is not one of the managed keys (None when it is)."""
    if isinstance(key, str) and kind_by_key(session, key.strip()) is not None:
        return None
    known = ", ".join(k.key for k in list_kinds(session)) or "none yet"
    return {"rule": "kind", "message": gettext("The kind must be one of the managed space kinds (%(known)s); a manager can add a kind on the space kinds page.", known=known)}


# ---------------------------------------------------------------------------- validation

def _clean(data: dict, *, creating: bool) -> tuple[dict, list[dict]]:
    values: dict = {}
    violations: list[dict] = []

    def bad(rule: str, message: str):
        violations.append({"rule": rule, "message": message})

    for name in data:
        if name not in FIELDS and name != "id":
            bad(name, f"'{name}' is not a field of a space kind.")
    if "key" in data:
        key = data["key"]
        if not creating:
            bad("key", "A kind's key cannot change once made (spaces and reports refer to it).")
        elif not isinstance(key, str) or not KEY_PATTERN.match(key.strip()):
            bad("key", "The key is 1 to 40 lower-case letters, digits and underscores, starting with a letter, "
                       "e.g. wet_lab.")
        else:
            values["key"] = key.strip()
    elif creating:
        bad("key", "'key' is required, e.g. wet_lab.")
    if "label" in data:
        label = data["label"]
        if not isinstance(label, str) or not label.strip():
            bad("label", "The label is the name people read, e.g. Wet labs; it cannot be empty.")
        elif len(label.strip()) > 100:
            bad("label", "The label can be at most 100 characters.")
        else:
            values["label"] = label.strip()
    elif creating:
        bad("label", "'label' is required, e.g. Wet labs.")
    if "label_zh" in data:
        label_zh = data["label_zh"]
        if label_zh is not None and not isinstance(label_zh, str):
            bad("label_zh", "The Chinese label must be text, e.g. 濕實驗室.")
        elif label_zh and len(label_zh.strip()) > 100:
            bad("label_zh", "The Chinese label can be at most 100 characters.")
        else:
            values["label_zh"] = (label_zh or "").strip() or None
    if "quota_hours" in data:
        raw = data["quota_hours"]
        try:
            if isinstance(raw, bool) or not isinstance(raw, (int, float, str, Decimal)):
                raise InvalidOperation
            hours = Decimal(str(raw).strip())
            if not hours.is_finite() or hours < 0 or hours > MAX_QUOTA_HOURS:
                raise InvalidOperation
            if hours != hours.quantize(Decimal("0.01")):
                raise InvalidOperation
            values["quota_hours"] = hours.quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            bad("quota_hours", f"The weekly quota is a number of hours from 0 to {MAX_QUOTA_HOURS}, with at most "
                               "two decimals.")
    if "simultaneous" in data:
        raw = data["simultaneous"]
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_SIMULTANEOUS:
            bad("simultaneous", f"The simultaneous limit is a whole number from 1 to {MAX_SIMULTANEOUS}: how many "
                                "bookings of the kind one resident may hold at the same instant.")
        else:
            values["simultaneous"] = raw
    return values, violations


def _label_taken(session: Session, label: str, except_id: int | None) -> SpaceKind | None:
    stmt = select(SpaceKind).where(func.lower(SpaceKind.label) == label.lower())
    if except_id is not None:
        stmt = stmt.where(SpaceKind.id != except_id)
    return session.execute(stmt).scalars().first()


def _refuse(violations: list[dict]) -> None:
    if violations:
        raise RuleViolation(gettext("The space kind was not saved: %(problems)s",
                                    problems=" ".join(v["message"] for v in violations)),
                            violations=violations)


# ---------------------------------------------------------------------------- writes

@transaction
def create_kind(session: Session, data: dict, *, actor: User, now: datetime) -> SpaceKind:
    """Add a kind; a key that exists answers 409 (the unique index settles a race)."""
    if actor.role not in MANAGER_ROLES:
        raise Forbidden(gettext("Only managers and admins keep the list of space kinds."))
    if not isinstance(data, dict):
        raise BadRequest(gettext("Send the kind as a JSON object such as {\"key\": \"wet_lab\", \"label\": \"Wet labs\"}."))
    values, violations = _clean(data, creating=True)
    _refuse(violations)
    if kind_by_key(session, values["key"]) is not None:
        raise Conflict(gettext("A space kind with the key '%(key)s' already exists.", key=values['key']))
    other = _label_taken(session, values["label"], None)
    if other is not None:
        _refuse([{"rule": "label", "message": gettext("The kind %(key)s already has the label '%(label)s'.", key=other.key, label=other.label)}])
    kind = SpaceKind(key=values["key"], label=values["label"], label_zh=values.get("label_zh"),
                     quota_hours=values.get("quota_hours", default_quota_hours(values["key"])),
                     simultaneous=values.get("simultaneous", default_simultaneous(values["key"])), created_at=now)
    session.add(kind)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(gettext("A space kind with the key '%(key)s' already exists.", key=values['key'])) from None
    record(session, actor_id=actor.id, action="space_kind.create", target_type="space_kind", target_id=kind.id,
           now=now, key=kind.key, label=kind.label, label_zh=kind.label_zh, quota_hours=str(kind.quota_hours),
           simultaneous=kind.simultaneous)
    return kind


@transaction
def update_kind(session: Session, kind_id: int, data: dict, *, actor: User, now: datetime) -> SpaceKind:
    """Change a kind's label or limits (its key stays); audited with the old and new values."""
    if actor.role not in MANAGER_ROLES:
        raise Forbidden(gettext("Only managers and admins keep the list of space kinds."))
    if not isinstance(data, dict):
        raise BadRequest(gettext("Send the changes as a JSON object."))
    kind = get_kind(session, kind_id)
    data = {k: v for k, v in data.items() if not (k == "key" and v == kind.key)}
    values, violations = _clean(data, creating=False)
    if "label" in values:
        other = _label_taken(session, values["label"], kind.id)
        if other is not None:
            violations.append({"rule": "label", "message": gettext("The kind %(key)s already has the label '%(label)s'.", key=other.key, label=other.label)})
    _refuse(violations)
    changes = {}
    for name, value in values.items():
        old = getattr(kind, name)
        if old != value:
            changes[name] = [str(old) if isinstance(old, Decimal) else old,
                             str(value) if isinstance(value, Decimal) else value]
            setattr(kind, name, value)
    if changes:
        record(session, actor_id=actor.id, action="space_kind.update", target_type="space_kind",
               target_id=kind.id, now=now, key=kind.key, changes=changes)
    return kind


@transaction
def seed_kinds(session: Session, *, now: datetime) -> int:
    """Insert the configured kinds that are missing (the demo and a database made without the
    migrations); returns how many were added. Running it twice adds nothing."""
    have = set(session.execute(select(SpaceKind.key)).scalars())
    added = 0
    for key, label in DEFAULT_LABELS.items():
        if key in have:
            continue
        session.add(SpaceKind(key=key, label=label, label_zh=DEFAULT_LABELS_ZH.get(key),
                              quota_hours=default_quota_hours(key),
                              simultaneous=default_simultaneous(key), created_at=now))
        added += 1
    session.flush()
    return added
