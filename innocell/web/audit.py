"""The audit trail for people: a page with filters for admins, managers and finance, each
object's own history (a template include), and the CSV export for finance and admins."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from flask import Blueprint, Response, render_template, request, url_for
from sqlalchemy import func, select

from ..extensions import db
from ..models import User
from ..services import audit_query
from ..services.exports import csv_stream
from ..services.tx import release
from ..timeutil import local_zone, parse_date, parse_instant
from .access import principal, roles_required
from .paging import Page, page_number, page_size

bp = Blueprint("audit", __name__)

READERS = ("admin", "manager", "finance")
EXPORTERS = ("finance", "admin")
MAX_ID = 2**31 - 1


def _int(raw) -> int | None:
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        return None
    return value if 0 < value <= MAX_ID else None


def _instant(raw: str | None, *, end: bool, tz) -> datetime | None:
    """A date (its local midnight; an end date counts whole) or an ISO instant."""
    if not raw or not raw.strip():
        return None
    text = raw.strip()
    if len(text) == 10:
        day = parse_date(text)
        if end:
            day += timedelta(days=1)
        return datetime.combine(day, time(0), tz).astimezone(timezone.utc)
    return parse_instant(text, tz)


def filters_from(args, *, person_field: str = "person") -> tuple[audit_query.AuditFilter, list[str]]:
    """The filters a page or API call asked for, and the problems with them (a sentence each)."""
    tz = local_zone()
    problems: list[str] = []
    actor_id = None
    person = (args.get(person_field) or args.get("actor_id") or "").strip()[:255]
    if person:
        actor_id = _int(person)
        if actor_id is None:
            found = db.session.execute(select(User.id).where(func.lower(User.email) == person.lower())).scalar()
            if found is None:
                problems.append(f"Nobody has the email or id '{person}'.")
                actor_id = -1
            else:
                actor_id = found
    object_type = (args.get("object_type") or "").strip() or None
    if object_type and object_type not in audit_query.OBJECT_TYPES:
        problems.append("Unknown object type: choose one of " + ", ".join(audit_query.OBJECT_TYPES) + ".")
        object_type = None
    object_id = None
    if (args.get("object_id") or "").strip():
        object_id = _int(args.get("object_id"))
        if object_id is None:
            problems.append("An object id is a positive whole number.")
    kind = (args.get("kind") or "").strip() or None
    if kind and kind not in audit_query.KINDS:
        problems.append("Unknown kind of change: choose one of " + ", ".join(audit_query.KINDS) + ".")
        kind = None
    start = end = None
    try:
        start = _instant(args.get("from"), end=False, tz=tz)
        end = _instant(args.get("to"), end=True, tz=tz)
    except ValueError as exc:
        problems.append(f"Period: {exc}.")
    return audit_query.AuditFilter(actor_id=actor_id, object_type=object_type, object_id=object_id, kind=kind,
                                   start=start, end=end), problems


def _query_args() -> dict:
    return {k: request.args.get(k) for k in ("person", "object_type", "object_id", "kind", "from", "to")
            if request.args.get(k)}


@bp.get("/admin/audit")
@roles_required(*READERS)
def index():
    filters, problems = filters_from(request.args)
    per_page = page_size()
    number = page_number()
    rows, total = audit_query.page(db.session, filters, offset=(number - 1) * per_page, limit=per_page)
    if number > 1 and not rows and total:
        number = -(-total // per_page)
        rows, total = audit_query.page(db.session, filters, offset=(number - 1) * per_page, limit=per_page)
    query = _query_args()
    return render_template("audit/index.html", page=Page(rows, number, per_page, total), problems=problems,
                           args=request.args, object_types=audit_query.OBJECT_TYPES, kinds=audit_query.KINDS,
                           can_export=principal().role in EXPORTERS,
                           export_url=url_for("audit.export", **query),
                           page_url=lambda n: url_for("audit.index", page=n, **query))


@bp.get("/admin/audit.csv")
@roles_required(*EXPORTERS)
def export():
    filters, problems = filters_from(request.args)
    if problems:
        return render_template("error.html", status=400, message=" ".join(problems)), 400
    release(db.session)  # the file streams on its own session
    response = Response(csv_stream(audit_query.audit_export(db.engine, filters), local_zone()), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="audit.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


def audit_history(object_type: str, object_id) -> list:
    """For the history include: the object's own events, for staff only (empty otherwise)."""
    user = principal()
    if user is None or user.role not in READERS or not isinstance(object_id, int):
        return []
    return audit_query.history(db.session, object_type, object_id)


def change_lines(event) -> list[tuple[str, object, object]]:
    """(field, before, after) for a change row's changed fields."""
    before, after = event.before or {}, event.after or {}
    return [(key, before.get(key), after.get(key)) for key in sorted(set(before) | set(after))]


@bp.record_once
def _register(state) -> None:
    state.app.jinja_env.globals.update(audit_history=audit_history, audit_change_lines=change_lines)
