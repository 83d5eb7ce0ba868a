"""The audit trail, written once: every change of an audited row is recorded in the same
transaction as the change, by SQLAlchemy session events, whatever service made it.

- `after_flush` looks at the flushed new, dirty and deleted instances of `AUDITED_MODELS` and
  inserts one `audit_events` row each: kind `created` / `changed` / `cancelled` / `deleted` /
  ..., `before` and `after` holding the changed fields only (a creation has the full `after`,
  a deletion the full `before`), through the flush's own connection: a rolled-back change
  leaves no audit row.
- `do_orm_execute` catches bulk `update(Model)` / `delete(Model)` statements on audited models
  (the guarded conditional UPDATEs of jobs): it reads the matching rows before and after, and
  records each row that changed.
- Who and from where comes from `current()`: the request's signed-in person or token holder
  (Flask-Login / the API's `g.user`) and its X-Request-Id, or what `acting(...)` set (the job
  runner names the job; the CLI may name itself).
- Why: a reason column the change sets (`cancel_reason`, `termination_reason`, ...), or the
  reason an explicit `audit.record(...)` gave for the same object in the same transaction.
- Secrets (password and token hashes, webhook secrets) are recorded as changed, never as values.

To audit another model, add it to AUDITED_MODELS with its object type name (the integrator's
one line). Webhook events hang off the same rows (services.webhooks.outbox).
"""
from __future__ import annotations

import enum
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timezone
from decimal import Decimal

from sqlalchemy import event, insert, inspect, select, update
from sqlalchemy.orm import Session

from ..models import (
    AllocationRound,
    AuditEvent,
    Authorisation,
    Blackout,
    Booking,
    Company,
    HousingApplication,
    Lease,
    Offer,
    RecurringBlackout,
    ReportSnapshot,
    SiteSetting,
    SlotRequest,
    Space,
    SpaceKind,
    Unit,
    UnitOutage,
    User,
    WaitlistEntry,
    WebhookEndpoint,
)
from ..timeutil import utcnow
from . import webhooks

# Audited models and the object type their rows are filed under (the names `audit.record`
# already used). High-churn technical tables (login attempts, idempotency keys, job runs,
# API tokens, account links, notifications, webhook deliveries) are deliberately not here.
AUDITED_MODELS: dict[type, str] = {
    Booking: "booking", SlotRequest: "slot_request", Space: "space", SpaceKind: "space_kind",
    Blackout: "blackout", RecurringBlackout: "recurring_blackout", Authorisation: "authorisation",
    Unit: "unit", UnitOutage: "unit_outage", Lease: "lease", Offer: "offer", HousingApplication: "application",
    WaitlistEntry: "waitlist_entry", AllocationRound: "allocation_round",
    User: "user", Company: "company", SiteSetting: "setting", ReportSnapshot: "report_snapshot",
    WebhookEndpoint: "webhook_endpoint",
}

# Recorded as changed under a plain name, never with a value (nor the column's name).
SECRET_FIELDS = {"password_hash": "password", "token_hash": "token", "secret": "signing secret"}
REDACTED = "[redacted]"
# Never recorded: sign-in session keys (rotated at each sign-out), salts.
DROPPED_FIELDS = frozenset({"session_token", "salt"})
# Bookkeeping that alone is no change a person made (reminder sent, last sign-in).
IGNORED_FIELDS = frozenset({"last_login_at", "reminder_sent_at"})
# Columns whose new value says why the change was made.
REASON_FIELDS = ("cancel_reason", "termination_reason", "end_reason", "tier_change_reason", "overlap_reason")
# A status a row moves to names the kind of change.
STATUS_KINDS = frozenset({"cancelled", "ended", "terminated", "accepted", "declined", "expired", "withdrawn",
                          "rejected", "ending", "housed", "offered", "confirmed", "failed"})
# A timestamp set from nothing names it too.
STAMP_KINDS = {"deleted_at": "deleted", "lifted_at": "lifted", "revoked_at": "revoked",
               "anonymised_at": "anonymised", "ended_early_at": "ended_early"}
KINDS = ("created", "changed", "deleted", "cancelled", "confirmed", "ended", "ended_early", "terminated", "ending",
         "accepted", "declined", "expired", "withdrawn", "rejected", "housed", "offered", "lifted", "revoked",
         "activated", "deactivated", "anonymised", "failed", "action")

PERSONAL_FIELDS = ("name", "email", "contact_email", "requested_company")
REMOVED = "[removed]"

_ROWS = "innocell.audit_rows"  # (id, type, target id, has reason) written in this transaction
_REASONS = "innocell.audit_reasons"  # (type, target id) -> reason given by audit.record
_OFF = "innocell.audit_off"


@dataclass(frozen=True)
class Acting:
    actor_id: int | None = None
    on_behalf_of_id: int | None = None
    request_id: str | None = None
    job: str | None = None
    at: datetime | None = None  # a job's instant (run-jobs --at), else the app's clock


_acting: ContextVar[Acting | None] = ContextVar("innocell_audit_acting", default=None)


def _request_acting() -> Acting:
    try:
        from flask import g, has_request_context
    except ImportError:  # pragma: no cover
        return Acting()
    if not has_request_context():
        return Acting()
    who = g.get("user") or g.get("_login_user")
    state = inspect(who, raiseerr=False) if who is not None else None
    identity = state.identity if state is not None and hasattr(state, "identity") else None
    return Acting(actor_id=identity[0] if identity else None, request_id=g.get("request_id"))


def current() -> Acting:
    """Who is acting now: what `acting` set, else the request's person and request id."""
    return _acting.get() or _request_acting()


@contextmanager
def acting(**fields):
    """Name who acts for the changes made inside (`job=`, `actor_id=`, `on_behalf_of_id=`,
    `request_id=`); what is not named comes from the surrounding request, if any."""
    token = _acting.set(replace(current(), **fields))
    try:
        yield
    finally:
        _acting.reset(token)


# ----------------------------------------------------------------------------- values


def json_safe(value):
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else str(value)
    if isinstance(value, datetime):
        return (value.astimezone(timezone.utc) if value.tzinfo else value).isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return json_safe(value.value)
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_safe(v) for v in value]
    return str(value)


def _value(key: str, value):
    if key in SECRET_FIELDS and value is not None:
        return REDACTED
    return json_safe(value)


def _values(pairs) -> dict:
    """{field: JSON-safe value} without the dropped fields, secrets under their plain name."""
    return {SECRET_FIELDS.get(k, k): _value(k, v) for k, v in pairs if k not in DROPPED_FIELDS}


def _columns(model) -> list[str]:
    """The model's own table columns (not column_property expressions), by attribute key."""
    mapper = inspect(model)
    table = mapper.local_table
    return [prop.key for prop in mapper.column_attrs
            if len(prop.columns) == 1 and getattr(prop.columns[0], "table", None) is table]


def _target_id(obj_type: str, values: dict):
    ident = values.get("id")
    return ident if isinstance(ident, int) else None


def _kind(changes: dict[str, tuple]) -> str:
    if "status" in changes and changes["status"][1] in STATUS_KINDS:
        return changes["status"][1]
    for key, kind in STAMP_KINDS.items():
        if key in changes and changes[key][0] is None and changes[key][1] is not None:
            return kind
    if "active" in changes and len(changes) <= 3 and changes["active"][0] is not None:
        return "activated" if changes["active"][1] else "deactivated"
    return "changed"


def _reason(changes: dict[str, tuple]) -> str | None:
    for key in REASON_FIELDS:
        if key in changes and changes[key][1]:
            return str(changes[key][1])[:500]
    return None


def _row(obj_type: str, target_id, kind: str, before, after, reason, who: Acting, owner_id, now) -> dict:
    on_behalf = who.on_behalf_of_id
    if on_behalf is None and kind == "created" and who.actor_id and owner_id and owner_id != who.actor_id:
        on_behalf = owner_id  # made for another person (a manager's booking or lease for a resident)
    return {"actor_id": who.actor_id, "on_behalf_of_id": on_behalf, "action": f"{obj_type}:{kind}"[:60],
            "kind": kind, "target_type": obj_type, "target_id": target_id, "reason": reason, "details": {},
            "before": before, "after": after, "request_id": who.request_id, "job": who.job, "created_at": now}


def _now(who: Acting) -> datetime:
    return who.at or utcnow()


# ----------------------------------------------------------------------------- ORM flushes


def _from_instance(obj, obj_type: str, new: bool, deleted: bool, who: Acting, now) -> tuple[dict, dict] | None:
    """An audit row and the object's full state after the change (for webhooks), or None."""
    state = inspect(obj)
    keys = _columns(type(obj))
    loaded = state.dict
    if new or deleted:
        full = _values((k, loaded[k]) for k in keys if k in loaded)
        changes = {k: (None, loaded[k]) for k in keys if k in loaded}
        kind = "deleted" if deleted else "created"
        before, after = (full, None) if deleted else (None, full)
        reason = None if deleted else _reason(changes)
        snapshot = full
    else:
        changes = {}
        for key in keys:
            hist = state.attrs[key].history
            if not hist.has_changes():
                continue
            old = hist.deleted[0] if hist.deleted else None
            value = hist.added[0] if hist.added else None
            if old == value and hist.deleted:
                continue
            changes[key] = (old, value)
        if not changes or set(changes) <= IGNORED_FIELDS | DROPPED_FIELDS:
            return None
        kind = _kind(changes)
        before = _values((k, old) for k, (old, _) in changes.items())
        after = _values((k, new_value) for k, (_, new_value) in changes.items())
        reason = _reason(changes)
        snapshot = _values((k, loaded[k]) for k in keys if k in loaded)
    target = _target_id(obj_type, snapshot)
    owner = loaded.get("user_id")
    row = _row(obj_type, target, kind, before, after, reason, who, owner, now)
    if target is None and "key" in snapshot:
        row["details"] = {"key": snapshot["key"]}
    return row, {"changes": changes, "snapshot": snapshot}


def _after_flush(session: Session, flush_context) -> None:
    if session.info.get(_OFF):
        return
    who = current()
    now = _now(who)
    rows, extras = [], []
    for objects, new, deleted in ((session.new, True, False), (session.dirty, False, False),
                                  (session.deleted, False, True)):
        for obj in list(objects):
            obj_type = AUDITED_MODELS.get(type(obj))
            if obj_type is None:
                continue
            made = _from_instance(obj, obj_type, new, deleted, who, now)
            if made is not None:
                rows.append(made[0])
                extras.append(made[1])
    if rows:
        _write(session, rows, extras)


def _before_flush(session: Session, flush_context, instances) -> None:
    """Explicit action rows (audit.record) carry the request id and job too."""
    who = None
    for obj in session.new:
        if isinstance(obj, AuditEvent):
            who = who or current()
            if obj.request_id is None:
                obj.request_id = who.request_id
            if obj.job is None:
                obj.job = who.job
            if obj.kind is None:
                obj.kind = "action"


def _write(session: Session, rows: list[dict], extras: list[dict]) -> None:
    """Insert the rows on the flush's connection (one transaction with the change), remember
    them for a reason given later in the transaction, and hand them to the webhook outbox."""
    reasons = session.info.get(_REASONS, {})
    for row in rows:
        if row["reason"] is None:
            row["reason"] = reasons.get((row["target_type"], row["target_id"]))
    conn = session.connection()
    table = AuditEvent.__table__
    written = session.info.setdefault(_ROWS, [])
    ids = conn.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows).scalars().all()
    for new_id, row in zip(ids, rows):
        written.append((new_id, row["target_type"], row["target_id"], row["reason"] is not None))
    webhooks.outbox(conn, rows, extras, now=rows[0]["created_at"])


def note_reason(session: Session, target_type: str, target_id, reason: str | None) -> None:
    """The reason an explicit action gave: put on this transaction's change rows of the same
    object, those already written and those still to come."""
    if not reason:
        return
    real = session() if callable(session) and not isinstance(session, Session) else session
    real.info.setdefault(_REASONS, {})[(target_type, target_id)] = reason[:500]
    ids = [row_id for row_id, kind, ident, has in real.info.get(_ROWS, [])
           if kind == target_type and ident == target_id and not has]
    if ids:
        table = AuditEvent.__table__
        real.connection().execute(update(table).where(table.c.id.in_(ids), table.c.reason.is_(None))
                                  .values(reason=reason[:500]))


def _forget(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_ROWS, None)
        session.info.pop(_REASONS, None)


# ----------------------------------------------------------------------------- bulk statements


def _on_orm_execute(state) -> object:
    if not (state.is_update or state.is_delete) or state.session.info.get(_OFF):
        return None
    mapper = state.bind_arguments.get("mapper")
    model = mapper.class_ if mapper is not None else None
    obj_type = AUDITED_MODELS.get(model)
    if obj_type is None:
        return None
    stmt = state.statement
    table = model.__table__
    keys = _columns(model)
    cols = [getattr(model, k) for k in keys]
    session = state.session
    where = stmt.whereclause
    pick = select(*cols)
    if where is not None:
        pick = pick.where(where)
    # Locked (PostgreSQL): a racing statement waits here and then sees only the rows its own
    # WHERE still matches, so it never records another's change as its own.
    before = {row.id: row._asdict() for row in session.execute(pick.with_for_update()
                                                                .execution_options(autoflush=False))}
    result = state.invoke_statement()
    if not before:
        return result
    after = {}
    if state.is_update:
        after = {row.id: row._asdict() for row in session.execute(
            select(*cols).where(table.c.id.in_(list(before))).execution_options(autoflush=False))}
    who = current()
    now = _now(who)
    rows, extras = [], []
    for ident, old in before.items():
        new = after.get(ident)
        if new is None:
            if state.is_update:
                continue
            full = _values(old.items())
            rows.append(_row(obj_type, ident, "deleted", full, None, None, who, old.get("user_id"), now))
            extras.append({"changes": {}, "snapshot": full})
            continue
        changes = {k: (old[k], new[k]) for k in keys if old[k] != new[k]}
        if not changes or set(changes) <= IGNORED_FIELDS | DROPPED_FIELDS:
            continue
        rows.append(_row(obj_type, ident, _kind(changes), _values((k, o) for k, (o, _) in changes.items()),
                         _values((k, n) for k, (_, n) in changes.items()), _reason(changes), who,
                         old.get("user_id"), now))
        extras.append({"changes": changes, "snapshot": _values(new.items())})
    if rows:
        _write(session, rows, extras)
    return result


# ----------------------------------------------------------------------------- retention


def scrub_person(session: Session, user_id: int) -> int:
    """Retention: the personal fields of an anonymised person's user rows lose their values
    (the rows stay: who changed what, when, stays on record)."""
    session.flush()
    table = AuditEvent.__table__
    rows = session.execute(select(table.c.id, table.c.before, table.c.after).where(
        table.c.target_type == "user", table.c.target_id == user_id)).all()
    changed = 0
    for row_id, before, after in rows:
        new_before, new_after = _scrub(before), _scrub(after)
        if (new_before, new_after) != (before, after):
            session.execute(update(table).where(table.c.id == row_id).values(before=new_before, after=new_after))
            changed += 1
    return changed


def _scrub(values):
    if not isinstance(values, dict):
        return values
    return {k: (REMOVED if k in PERSONAL_FIELDS and v is not None else v) for k, v in values.items()}


@contextmanager
def paused(session: Session):
    """No audit rows inside (the bulk demo seed, migrations' data steps)."""
    session.info[_OFF] = True
    try:
        yield
    finally:
        session.info.pop(_OFF, None)


_installed = False


def install() -> None:
    """Listen on every Session (idempotent; create_app calls it)."""
    global _installed
    if _installed:
        return
    event.listen(Session, "before_flush", _before_flush)
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "do_orm_execute", _on_orm_execute)
    event.listen(Session, "after_transaction_end", _forget)
    _installed = True
