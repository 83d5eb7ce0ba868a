"""Finance pages and files: the reports dashboard (finance, admin; managers may read it),
month-end freezing (finance, admin) and the CSV / XLSX downloads (finance, admin, by browser
session or bearer token). Thin: figures come from innocell.services.reports, files from
innocell.services.exports."""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, timedelta

from flask import Blueprint, Response, current_app, flash, jsonify, redirect, render_template, request, send_file, \
    url_for
from flask_babel import gettext
from werkzeug.exceptions import Unauthorized

from ..allocation import usage
from ..extensions import db
from ..jobs import background
from ..jobs.background import TaskOutcome
from ..services import BadRequest, ServiceError, long_tasks
from ..services import exports
from ..services import reports as report_service
from ..services.tx import release
from ..timeutil import local_zone, parse_date, utcnow
from .access import REPORT_READERS, principal, roles_required
from .display import N_, day_format, kind_labeller, money, unit_type_labeller

from .paging import Page, page_number  # noqa: E402

bp = Blueprint("reports", __name__)

DASHBOARD_READERS = ("finance", "admin", "manager")
FILE_REPORTS = ("occupancy", "utilisation", "revenue", "vacancy", "waitlist", "bookings", "leases")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TREND_MONTHS = 12
WEEKDAY_LABELS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))
PALETTE = ("#0b6e4f", "#2f6fb3", "#c26a00", "#8a3ffc", "#b3261e", "#5f6b7a")
GROUP_LABELS = {"unit_type": N_("unit type"), "unit": N_("unit"), "floor": N_("floor"), "space": N_("space"),
                "kind": N_("kind"), "month": N_("month"), "company": N_("company")}


def group_labels() -> dict[str, str]:
    """GROUP_LABELS in the reader's language."""
    return {key: gettext(label) for key, label in GROUP_LABELS.items()}


# --------------------------------------------------------------------------- parameters


@dataclass
class Period:
    start: date
    end: date
    preset: str  # this_month | last_month | custom


def parse_period(args, today: date) -> Period:
    """`from` and `to` (dates, `to` exclusive), or `period=this_month|last_month`; neither
    means this month. Raises BadRequest with a sentence a person understands."""
    preset = args.get("period", "")
    raw_from, raw_to = args.get("from", "").strip(), args.get("to", "").strip()
    if preset == "last_month":
        return Period(*report_service.last_month(today), "last_month")
    if preset == "this_month" or (preset in ("", "custom") and not raw_from and not raw_to):
        return Period(*report_service.default_period(today), "this_month")
    if preset not in ("", "custom"):
        raise BadRequest(f"'{preset}' is not a period; use this_month, last_month or custom with from and to.")
    if not raw_from or not raw_to:
        raise BadRequest("Give both 'from' and 'to' as dates (YYYY-MM-DD); 'to' is exclusive.")
    try:
        start, end = parse_date(raw_from), parse_date(raw_to)
    except ValueError as exc:
        raise BadRequest(f"Bad period: {exc}.") from None
    report_service.check_period(start, end)
    preset = "custom"
    if (start, end) == report_service.default_period(today):
        preset = "this_month"
    elif (start, end) == report_service.last_month(today):
        preset = "last_month"
    return Period(start, end, preset)


def today_local() -> date:
    return utcnow().astimezone(local_zone()).date()


def parse_month(raw: str | None) -> date:
    try:
        return parse_date(f"{(raw or '').strip()}-01")
    except ValueError:
        raise BadRequest(f"'{raw}' is not a month (YYYY-MM) from 2000 to 2199.") from None


# --------------------------------------------------------------------------- files


def _wants_page() -> bool:
    """A browser asks for pages (Accept: text/html) and carries no Authorization header."""
    return "text/html" in request.headers.get("Accept", "") and not request.headers.get("Authorization")


def _refuse(status: int, message: str):
    if _wants_page():
        return render_template("error.html", status=status, message=message), status
    code = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found"}.get(status, "bad_request")
    return jsonify({"error": code, "message": message}), status


def _file_reader():
    """(user, None) for finance and admin; (None, response) otherwise: 401 for clients without
    a valid token, a sign-in redirect for browsers, 403 for other roles."""
    try:
        user = principal()
    except Unauthorized:
        return None, _refuse(401, "Your bearer token is not valid (expired or revoked). Ask for a new one.")
    if user is None:
        if _wants_page():
            return None, current_app.login_manager.unauthorized()
        return None, _refuse(401, "Sign in first: send a valid bearer token or use a browser session.")
    if user.role not in REPORT_READERS:
        return None, _refuse(403, "Only finance and administrators may download reports.")
    return user, None


def _send(export: exports.Export, fmt: str, tz):
    if fmt == "csv":
        response = Response(exports.csv_stream(export, tz), mimetype="text/csv")
        response.headers["Content-Type"] = "text/csv; charset=utf-8"
        response.headers["Content-Disposition"] = f'attachment; filename="{export.stem}.csv"'
    else:
        path = exports.xlsx_tempfile(export, tz)
        handle = open(path, "rb")
        os.unlink(path)  # the open handle keeps the data until the response is sent
        response = send_file(handle, mimetype=XLSX_MIME, as_attachment=True, download_name=f"{export.stem}.xlsx")
    response.headers["Cache-Control"] = "no-store"
    return response


def group_labeller(group: str):
    """How a report row's group reads for people, beside its key: a unit type's or kind's
    label, a space's name, a unit's type, a floor."""
    if group == "unit_type":
        return unit_type_labeller()
    if group == "kind":
        return kind_labeller()
    if group == "space":
        names = report_service.space_names(db.session)
        return lambda code: names.get(code, "")
    if group == "unit":
        types, label = report_service.unit_types(db.session), unit_type_labeller()
        return lambda code: label(types[code]) if code in types else ""
    if group == "floor":
        return lambda floor: f"Floor {floor}"
    return lambda key: ""


def labels_for(group: str | None = None) -> exports.Labels:
    return exports.Labels(kind=kind_labeller(), unit_type=unit_type_labeller(), group=group_labeller(group or ""))


def build_export(name: str, args, tz) -> exports.Export:
    today = today_local()
    if name == "vacancy":
        rows = report_service.vacancy(db.session, today=today)
        return exports.vacancy_export(rows, report_service.vacancy_totals(rows), today, labels_for())
    if name == "waitlist":
        now = utcnow()
        return exports.waitlist_export(report_service.waitlist(db.session, now=now),
                                       report_service.waitlist_totals(db.session, now=now), today, labels_for())
    period = parse_period(args, today)
    if name == "bookings":
        return exports.bookings_export(db.engine, period.start, period.end, tz, labels_for())
    if name == "leases":
        return exports.leases_export(db.engine, period.start, period.end, labels_for())
    result = report_service.report(db.session, name, start=period.start, end=period.end,
                                   group=args.get("group"), tz=tz)
    return exports.report_export(result, labels_for(result.group))


@bp.get("/reports/<any(occupancy,utilisation,revenue,vacancy,waitlist,bookings,leases):name>.<any(csv,xlsx):fmt>")
def download(name: str, fmt: str):
    user, refusal = _file_reader()
    if refusal is not None:
        return refusal
    tz = local_zone()
    try:
        export = build_export(name, request.args, tz)
    except ServiceError as exc:
        return _refuse(exc.status, exc.message)
    response = _send(export, fmt, tz)
    release(db.session)  # the file streams on its own session; hold no read transaction meanwhile
    return response


def _export_work(name: str, fmt: str, start: date, end: date, tz, labels: exports.Labels, total: int):
    """A raw-records file as long work (jobs/background.py): rows written go to the progress page."""

    def work(session, progress):
        if name == "bookings":
            export = exports.bookings_export(db.engine, start, end, tz, labels)
        else:
            export = exports.leases_export(db.engine, start, end, labels)
        data = exports.file_bytes(export, fmt, tz, progress, total)
        return TaskOutcome(result={"rows": total, "name": name, "fmt": fmt}, output=data,
                           output_name=f"{export.stem}.{fmt}",
                           output_mime=XLSX_MIME if fmt == "xlsx" else "text/csv; charset=utf-8")

    return work


@bp.post("/reports/exports")
def prepare_export():
    """The dashboard's raw-record buttons: an XLSX, or a CSV over EXPORT_BACKGROUND_ROWS rows, is
    prepared off the request with a progress page, then downloaded from it; a smaller CSV is
    the contract's streamed file at once. (The GET file endpoints stay as they are for
    integrations and bookmarks.)"""
    user, refusal = _file_reader()
    if refusal is not None:
        return refusal
    name, fmt = request.form.get("name"), request.form.get("fmt")
    if name not in ("bookings", "leases") or fmt not in ("csv", "xlsx"):
        return _refuse(400, gettext("Choose the bookings or leases file, as CSV or XLSX."))
    tz = local_zone()
    try:
        period = parse_period(request.form, today_local())
    except ServiceError as exc:
        return _refuse(exc.status, exc.message)
    query = {"from": period.start.isoformat(), "to": period.end.isoformat()}
    total = exports.record_count(db.session, name, period.start, period.end, tz)
    if fmt == "csv" and total <= int(current_app.config.get("EXPORT_BACKGROUND_ROWS", 20_000)):
        return redirect(url_for("reports.download", name=name, fmt=fmt, **query))
    labels = labels_for()  # read now: the worker has no request (the reader's language, the kinds' labels)
    task = long_tasks.create_task(db.session, kind="export", owner=user, params={"name": name, "fmt": fmt, **query},
                                  now=utcnow())
    background.submit(current_app._get_current_object(), task.id,
                      _export_work(name, fmt, period.start, period.end, tz, labels, total))
    return redirect(url_for("tasks.show", task_id=task.id))


@bp.get("/reports/<any(occupancy,utilisation,revenue):name>-changes.<any(csv,xlsx):fmt>")
def download_changes(name: str, fmt: str):
    """A frozen month's figures against today's: frozen, today and change per figure."""
    user, refusal = _file_reader()
    if refusal is not None:
        return refusal
    tz = local_zone()
    try:
        period = parse_period(request.args, today_local())
        result = report_service.report(db.session, name, start=period.start, end=period.end,
                                       group=request.args.get("group"), tz=tz)
    except ServiceError as exc:
        return _refuse(exc.status, exc.message)
    if not result.frozen:
        return _refuse(404, f"The {name} report by {GROUP_LABELS[result.group]} for {period.start} to {period.end} "
                            f"is not a frozen month, so it has no changes since freezing.")
    response = _send(exports.changes_export(result, labels_for(result.group)), fmt, tz)
    release(db.session)
    return response


# --------------------------------------------------------------------------- charts


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def line_chart(months: list[date], series: dict[str, list], width=720, height=260) -> dict:
    """Geometry for an SVG line chart of rates (0..100 %)."""
    left, right, top, bottom = 48, 16, 16, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(months) - 1, 1)

    def xy(i, rate):
        return round(left + i * step, 1), round(top + plot_h * (1 - rate), 1)

    lines = []
    for n, (name, rates) in enumerate(series.items()):
        points = [(i, r) for i, r in enumerate(rates) if r is not None]
        lines.append({"name": name, "colour": PALETTE[n % len(PALETTE)],
                      "path": " ".join(f"{x},{y}" for x, y in (xy(i, r) for i, r in points)),
                      "dots": [{"x": xy(i, r)[0], "y": xy(i, r)[1],
                                "title": f"{name}, {day_format(months[i], '%b %Y')}: {r * 100:.1f}%"} for i, r in points]})
    ticks = [{"y": round(top + plot_h * (1 - t / 100), 1), "label": f"{t}%"} for t in (0, 25, 50, 75, 100)]
    labels = [{"x": round(left + i * step, 1), "label": day_format(m, "%b %y")} for i, m in enumerate(months)]
    return {"width": width, "height": height, "lines": lines, "ticks": ticks, "labels": labels,
            "left": left, "right": width - right, "bottom": top + plot_h}


def bar_chart(rows: list[dict], width=720, height=260) -> dict:
    """Stacked bars of rent due and lab fees per month."""
    left, right, top, bottom = 72, 16, 16, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = _nice_max(max((float(r["total"]) for r in rows), default=0.0))
    slot = plot_w / max(len(rows), 1)
    bar_w = max(min(slot * 0.6, 48), 4)
    bars = []
    for i, r in enumerate(rows):
        x = round(left + i * slot + (slot - bar_w) / 2, 1)
        rent_h = plot_h * float(r["rent_due"]) / peak
        fee_h = plot_h * float(r["lab_fees"]) / peak
        month = date.fromisoformat(r["group"] + "-01")
        bars.append({"x": x, "w": round(bar_w, 1), "label": day_format(month, "%b %y"),
                     "rent_y": round(top + plot_h - rent_h, 1), "rent_h": round(rent_h, 1),
                     "fee_y": round(top + plot_h - rent_h - fee_h, 1), "fee_h": round(fee_h, 1),
                     "cx": round(left + i * slot + slot / 2, 1),
                     "title": gettext("%(month)s: rent %(rent)s, lab fees %(fees)s", month=r["group"],
                                      rent=money(r["rent_due"]), fees=money(r["lab_fees"]))})
    ticks = [{"y": round(top + plot_h * (1 - f), 1), "label": f"{peak * f:,.0f}"} for f in (0, 0.25, 0.5, 0.75, 1)]
    return {"width": width, "height": height, "bars": bars, "ticks": ticks, "left": left,
            "right": width - right, "bottom": top + plot_h}


def heat_grid(heat: usage.HeatMap) -> dict:
    """Rows Mon..Sun, columns the hours that are open at some point; a cell's shade is its rate."""
    hours = sorted({h for (_, h), us in heat.open.items() if us}) or list(range(8, 22))
    first, last = hours[0], hours[-1]
    columns = list(range(first, last + 1))
    rates = [r for wd in range(7) for h in columns if (r := heat.rate(wd, h)) is not None]
    darkest = max(rates, default=0.0) or 1.0  # shades are relative to the busiest hour
    rows = []
    for wd in range(7):
        cells = []
        for h in columns:
            rate = heat.rate(wd, h)
            cells.append({"hour": h, "rate": rate,
                          "booked": float(usage.hours(heat.booked.get((wd, h), 0))),
                          "open": float(usage.hours(heat.open.get((wd, h), 0))),
                          "shade": None if rate is None else round(0.06 + 0.94 * min(rate / darkest, 1.0), 3)})
        rows.append({"label": gettext(WEEKDAY_LABELS[wd]), "cells": cells})
    cell_w, cell_h, left, top = 26, 22, 44, 22
    return {"columns": columns, "rows": rows, "cell_w": cell_w, "cell_h": cell_h, "left": left, "top": top,
            "width": left + cell_w * len(columns) + 8, "height": top + cell_h * 7 + 8,
            "darkest": darkest if rates else None}


def trend_months(end: date) -> list[date]:
    last = (end - timedelta(days=1)).replace(day=1)
    months = [last]
    while len(months) < TREND_MONTHS:
        months.insert(0, (months[0] - timedelta(days=1)).replace(day=1))
    return months


def closed_months(today: date, count: int = 6) -> list[date]:
    """The last `count` months that are over, newest first."""
    month = report_service.last_month(today)[0]
    out = []
    for _ in range(count):
        out.append(month)
        month = (month - timedelta(days=1)).replace(day=1)
    return out


# --------------------------------------------------------------------------- pages

VACANCY_PAGE_SIZE = 10


@bp.get("/reports")
@roles_required(*DASHBOARD_READERS)
def index():
    tz = local_zone()
    today = today_local()
    error = None
    try:
        period = parse_period(request.args, today)
    except BadRequest as exc:
        error = exc.message
        period = Period(*report_service.default_period(today), "this_month")
    occ_group = request.args.get("occupancy_group") or "unit_type"
    util_group = request.args.get("utilisation_group") or "space"
    if occ_group not in report_service.SPECS["occupancy"].groups:
        error, occ_group = f"'{occ_group}' is not an occupancy grouping.", "unit_type"
    if util_group not in report_service.SPECS["utilisation"].groups:
        error, util_group = f"'{util_group}' is not a utilisation grouping.", "space"
    spaces = report_service.active_spaces(db.session)
    space_id = None
    raw_space = request.args.get("space", "")
    if raw_space:
        if raw_space.isdigit() and int(raw_space) in {s.id for s in spaces}:
            space_id = int(raw_space)
        else:
            error = "That space is not one of the active spaces."

    occupancy = report_service.report(db.session, "occupancy", start=period.start, end=period.end,
                                      group=occ_group, tz=tz)
    utilisation = report_service.report(db.session, "utilisation", start=period.start, end=period.end,
                                        group=util_group, tz=tz)
    months = trend_months(period.end)
    trend = report_service.occupancy_trend(db.session, months=months)
    revenue_rows = report_service.present("revenue", report_service.revenue(
        db.session, start=months[0], end=usage.next_month(months[-1]), tz=tz))
    now = utcnow()
    heat = report_service.heat_map(db.session, start=period.start, end=period.end, tz=tz, space_id=space_id)
    frozen = {m["month"]: m for m in report_service.frozen_months(db.session)}
    user = principal()
    query = {"from": period.start.isoformat(), "to": period.end.isoformat()}
    context = dict(
        period=period, error=error, occ_group=occ_group, util_group=util_group, spaces=spaces, space_id=space_id,
        occupancy=occupancy, utilisation=utilisation, trend=trend, trend_chart=line_chart(months, trend["series"]),
        revenue_rows=revenue_rows, revenue_chart=bar_chart(revenue_rows), heat=heat_grid(heat),
        **vacancy_context(today, 1),
        waitlist=report_service.waitlist(db.session, now=now),
        waitlist_totals=report_service.waitlist_totals(db.session, now=now),
        revenue_totals=report_service.totals_of("revenue", revenue_rows),
        occupancy_label=group_labeller(occ_group), utilisation_label=group_labeller(util_group),
        frozen=frozen, closed_months=closed_months(today), today=today,
        can_download=user.role in REPORT_READERS, can_freeze=user.role in REPORT_READERS,
        query=query, group_labels=group_labels(), occupancy_spec=report_service.SPECS["occupancy"],
        utilisation_spec=report_service.SPECS["utilisation"], timedelta1=timedelta(days=1),
        revenue_end=usage.next_month(months[-1]),
        this_month=report_service.default_period(today), last_month=report_service.last_month(today),
    )
    return render_template("reports/index.html", **context), (400 if error else 200)


def vacancy_context(today: date, number: int) -> dict:
    """The vacancy card's page `number`; its pager leads to the vacancy page, so paging the
    list never computes the dashboard's reports again."""
    vacancy = report_service.vacancy(db.session, today=today)
    by_type: dict[str, int] = {}
    for v in vacancy:
        by_type[v["unit_type"]] = by_type.get(v["unit_type"], 0) + 1
    return dict(vacancy=Page.of(vacancy, number, VACANCY_PAGE_SIZE), vacancy_by_type=by_type,
                vacancy_totals=report_service.vacancy_totals(vacancy),
                vacancy_url=lambda n: url_for("reports.vacancy", vacancy_page=n) + "#vacancy")


@bp.get("/reports/vacancy")
@roles_required(*DASHBOARD_READERS)
def vacancy():
    """The units free tonight, a page at a time."""
    return render_template("reports/vacancy.html", can_download=principal().role in REPORT_READERS,
                           **vacancy_context(today_local(), page_number("vacancy_page")))


@bp.get("/reports/frozen/<month>")
@roles_required(*DASHBOARD_READERS)
def frozen(month: str):
    """A frozen month: the figures as frozen, today's figures and the difference."""
    tz = local_zone()
    first = parse_month(month)
    end = usage.next_month(first)
    groups = {name: request.args.get(f"{name}_group") or spec.default_group
              for name, spec in report_service.SPECS.items()}
    results = {}
    for name, spec in report_service.SPECS.items():
        if groups[name] not in spec.groups:
            raise BadRequest(f"'{groups[name]}' is not a grouping of the {name} report.")
        results[name] = report_service.report(db.session, name, start=first, end=end, group=groups[name], tz=tz)
    if not any(r.frozen for r in results.values()):
        flash(gettext("%(month)s has not been frozen; these are today's figures.", month=day_format(first, "%B %Y")),
              "warning")
        return redirect(url_for("reports.index", **{"from": first.isoformat(), "to": end.isoformat()}))
    user = principal()
    return render_template("reports/frozen.html", month=first, end=end, results=results, groups=groups,
                           specs=report_service.SPECS, group_labels=group_labels(),
                           labellers={name: group_labeller(r.group) for name, r in results.items()},
                           can_download=user.role in REPORT_READERS,
                           query={"from": first.isoformat(), "to": end.isoformat()})


@bp.get("/reports/freeze")
@roles_required(*REPORT_READERS)
def freeze_confirm():
    month = parse_month(request.args.get("month"))
    today = today_local()
    if usage.next_month(month) > today:
        raise BadRequest(f"{month:%B %Y} is not over yet; freeze it from {usage.next_month(month)} on.")
    tz = local_zone()
    results = {name: report_service.report(db.session, name, start=month, end=usage.next_month(month),
                                           group=None, tz=tz) for name in report_service.SPECS}
    return render_template("reports/freeze.html", month=month, results=results, specs=report_service.SPECS,
                           group_labels=group_labels(), labellers={n: group_labeller(r.group) for n, r in results.items()})


@bp.post("/reports/freeze")
@roles_required(*REPORT_READERS)
def freeze():
    month = parse_month(request.form.get("month"))
    try:
        made = report_service.freeze_month(db.session, month=month, actor=principal(), now=utcnow(), tz=local_zone())
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(url_for("reports.index"))
    flash(gettext("%(month)s is frozen (%(made)s report groupings stored). Its exports now show these figures.",
                  month=day_format(month, "%B %Y"), made=made), "success")
    return redirect(url_for("reports.frozen", month=f"{month:%Y-%m}"))
