"""Reports API (CONTRACT.md "Reports"): finance and admin only.

GET /api/v1/reports/occupancy?from=&to=&group=unit_type|unit|floor
GET /api/v1/reports/utilisation?from=&to=&group=space|kind
GET /api/v1/reports/revenue?from=&to=            one row per month
GET /api/v1/reports/vacancy                      units free tonight
GET /api/v1/reports/waitlist                     length and median wait per unit type
POST /api/v1/reports/frozen-months {"month"}     freeze a finished month (as the page's Freeze)

Rows carry the contract's keys with the figures rounded as in the files (money and hours to
cents, rates to four places), and every answer carries `"totals"`: the same fields summed over
the rows, rates recomputed from the sums. A month frozen by finance answers its frozen rows,
with `"frozen": true`, `frozen_at`, today's rows in `current_rows` (totals `current_totals`)
and `changes` (today minus frozen; totals `change_totals`)."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask import g, jsonify, request

from ...extensions import db
from ...services import reports as report_service
from ...timeutil import iso_local, local_zone, utcnow
from ..access import REPORT_READERS
from ..reports import parse_month, parse_period, today_local
from . import api_roles, bp, json_body
from .declare import documented
from .schemas import DATE, INT, STR, obj


def _plain(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return iso_local(value, local_zone())
    if isinstance(value, date):
        return value.isoformat()
    return value


def _rows(rows: list[dict] | None) -> list[dict] | None:
    if rows is None:
        return None
    return [{k: _plain(v) for k, v in row.items()} for row in rows]


def _totals(totals: dict | None) -> dict | None:
    """A totals row without its "Total" group label: the fields only."""
    if totals is None:
        return None
    return {k: _plain(v) for k, v in totals.items() if k not in ("group", "unit", "unit_type")}


def _report(name: str):
    tz = local_zone()
    period = parse_period(request.args, today_local())
    result = report_service.report(db.session, name, start=period.start, end=period.end,
                                   group=request.args.get("group"), tz=tz)
    body = {"rows": _rows(result.rows), "totals": _totals(result.totals), "from": period.start.isoformat(),
            "to": period.end.isoformat(), "group": result.group, "frozen": result.frozen}
    if result.frozen:
        body.update(frozen_at=iso_local(result.frozen_at, tz), frozen_by=result.frozen_by,
                    current_rows=_rows(result.current), changes=_rows(result.changes),
                    current_totals=_totals(result.current_totals), change_totals=_totals(result.change_totals))
    return jsonify(body)


@bp.get("/reports/occupancy")
@api_roles(*REPORT_READERS)
@documented("Occupancy of units over a period", query={"from": DATE, "to": DATE, "group": STR}, answers={200: "Report"})
def report_occupancy():
    return _report("occupancy")


@bp.get("/reports/utilisation")
@api_roles(*REPORT_READERS)
@documented("Utilisation of spaces over a period", query={"from": DATE, "to": DATE, "group": STR}, answers={200: "Report"})
def report_utilisation():
    return _report("utilisation")


@bp.get("/reports/revenue")
@api_roles(*REPORT_READERS)
@documented("Revenue per month", query={"from": DATE, "to": DATE}, answers={200: "Report"})
def report_revenue():
    return _report("revenue")


@bp.get("/reports/vacancy")
@api_roles(*REPORT_READERS)
@documented("Units free tonight", answers={200: "Report"})
def report_vacancy():
    today = today_local()
    rows = report_service.vacancy(db.session, today=today)
    return jsonify({"date": today.isoformat(), "rows": _rows(rows),
                    "totals": _totals(report_service.vacancy_totals(rows))})


@bp.get("/reports/waitlist")
@api_roles(*REPORT_READERS)
@documented("Waitlist length and waits per unit type", answers={200: "Report"})
def report_waitlist():
    now = utcnow()
    rows = report_service.waitlist(db.session, now=now)
    totals = report_service.waitlist_totals(db.session, now=now)
    for row in rows + [totals]:
        for key in ("median_wait_days", "longest_wait_days"):
            if row[key] is not None:
                row[key] = round(row[key], 1)
    return jsonify({"rows": rows, "totals": _totals(totals)})


@bp.post("/reports/frozen-months")
@api_roles(*REPORT_READERS)
@documented("Freeze a finished month: every report in every grouping keeps its figures from now on",
            body=obj({"month": STR}, ["month"], closed=True),
            answers={201: obj({"month": STR, "frozen": INT}, ["month", "frozen"]), 409: "Error"})
def freeze_month():
    raw = json_body()["month"]
    month = parse_month(raw)
    made = report_service.freeze_month(db.session, month=month, actor=g.user, now=utcnow(), tz=local_zone())
    return jsonify({"month": f"{month:%Y-%m}", "frozen": made}), 201
