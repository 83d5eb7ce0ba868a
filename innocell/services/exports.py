"""CSV and XLSX files of the reports and of the raw records, in bounded memory.

- CSV is produced line batch by line batch from an iterator of rows; the raw exports read
  their rows in a generator that opens its OWN session on the engine (the request's scoped
  session is gone once the view returns) and fetches with `yield_per`.
- XLSX is written by XlsxWriter in constant-memory mode into a temporary file, with
  `strings_to_formulas`, `strings_to_urls` and `strings_to_numbers` off.
- Numbers are numbers (no thousands separators or currency signs in CSV; numeric cells in
  XLSX), dates are dates, one header row.
- Text that a spreadsheet would run (`=`, `+`, `-`, `@`, tab, CR at the start) gets a leading
  apostrophe in CSV (OWASP, CWE-1236) and is a plain string cell with Excel's quote prefix in
  XLSX. Only text columns are touched: a negative number stays a number.
- Every report file ends with its totals row (bold in XLSX); kinds and unit types carry their
  label in a column beside the key. A frozen month's file has the same columns as any other
  month's; the frozen-versus-today differences are a file of their own (`changes_export`).
"""
from __future__ import annotations

import csv
import io
import os
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Callable, Iterable, Iterator
from zoneinfo import ZoneInfo

import xlsxwriter
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ..allocation import usage
from ..models import Booking, Lease, Space, Unit, User
from . import copy_export
from . import reports as reports_service
from .long_tasks import N_

TEXT, INT, NUMBER, MONEY, HOURS, RATE, DATE, DATETIME = (
    "text", "int", "number", "money", "hours", "rate", "date", "datetime")
DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_BATCH_ROWS = 500
YIELD_PER = 1000
XLSX_MAX_ROWS = 1_048_576


@dataclass(frozen=True)
class Column:
    key: str
    kind: str = TEXT
    header: str | None = None
    width: int = 14

    @property
    def title(self) -> str:
        return self.header or self.key


@dataclass
class Export:
    """A file to send: its name stem (no extension), columns, an iterator of row dicts and
    the totals row written last (None: a list of records, which has none)."""

    stem: str
    columns: list[Column]
    rows: Iterable[dict]
    sheet: str = "Report"
    totals: dict | None = None
    # The CSV rows written by the database itself (PostgreSQL COPY: services/copy_export.py),
    # the same text as `rows` would give; the header still comes from `columns`.
    csv_rows: Callable[[], Iterator[bytes]] | None = None

    def all_rows(self) -> Iterator[tuple[dict, bool]]:
        """(row, is the totals row), the totals last."""
        for row in self.rows:
            yield row, False
        if self.totals is not None:
            yield self.totals, True


def _plain(key: str) -> str:
    return key


@dataclass(frozen=True)
class Labels:
    """How keys read for people, given by the caller (the web layer's display helpers):
    `kind` and `unit_type` labels, and the label of a report row's group."""

    kind: Callable[[str], str] = _plain
    unit_type: Callable[[str], str] = _plain
    group: Callable[[str], str] = _plain


def neutralise(text: str) -> str:
    """Make text inert in a spreadsheet: a leading apostrophe before a formula character."""
    if text and text.startswith(DANGEROUS_PREFIXES):
        return "'" + text
    return text


def is_dangerous(text: str) -> bool:
    return bool(text) and text.startswith(DANGEROUS_PREFIXES)


def _local_naive(value: datetime, tz: ZoneInfo) -> datetime:
    return value.astimezone(tz).replace(tzinfo=None) if value.tzinfo else value


# --------------------------------------------------------------------------- CSV


def _csv_text(value) -> str:
    return neutralise(value if isinstance(value, str) else str(value))


def _csv_money(value) -> str:
    return f"{usage.to_decimal(value, 2):f}"


def _csv_number(value) -> str:
    return f"{Decimal(str(value)).normalize():f}" if not isinstance(value, int) else str(value)


def _csv_datetime(tz: ZoneInfo) -> Callable[[datetime], str]:
    def local(value: datetime) -> str:
        # isoformat, not strftime: the same text, several times faster over a million rows
        return (value.astimezone(tz) if value.tzinfo else value).isoformat(" ", "seconds")[:19]
    return local


CSV_FORMATS: dict[str, Callable] = {
    TEXT: _csv_text, INT: lambda v: str(int(v)), MONEY: _csv_money, HOURS: _csv_money,
    RATE: lambda v: repr(round(float(v), 4)), NUMBER: _csv_number, DATE: date.isoformat,
}


def csv_formatters(columns: list[Column], tz: ZoneInfo) -> list[Callable]:
    """One function per column turning a value (never None) into its CSV text."""
    return [_csv_datetime(tz) if c.kind == DATETIME else CSV_FORMATS[c.kind] for c in columns]


def csv_chunks(export: Export, tz: ZoneInfo) -> Iterator[str]:
    """The CSV text in chunks of a few hundred rows (header first)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(c.title) for c in export.columns])
    cells = list(zip([c.key for c in export.columns], csv_formatters(export.columns, tz)))
    count = 0
    for row, _ in export.all_rows():
        writer.writerow(["" if (value := row.get(key)) is None else form(value) for key, form in cells])
        count += 1
        if count % CSV_BATCH_ROWS == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate(0)
    yield buffer.getvalue()


def csv_stream(export: Export, tz: ZoneInfo) -> Iterator[bytes]:
    """UTF-8 with a byte-order mark, so Excel reads names with accents right."""
    yield "\ufeff".encode()
    if export.csv_rows is not None:
        yield next(csv_chunks(Export(export.stem, export.columns, ()), tz)).encode("utf-8")  # the header
        yield from export.csv_rows()
        return
    for chunk in csv_chunks(export, tz):
        yield chunk.encode("utf-8")


# --------------------------------------------------------------------------- XLSX


def write_xlsx(export: Export, path: str, tz: ZoneInfo) -> int:
    """Write the export to `path` in constant memory; returns the number of data rows."""
    workbook = xlsxwriter.Workbook(path, {
        "constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
        "strings_to_numbers": False, "tmpdir": tempfile.gettempdir(),
    })
    try:
        sheet = workbook.add_worksheet(export.sheet[:31])
        header = workbook.add_format({"bold": True, "bottom": 1})
        formats = {
            INT: workbook.add_format({"num_format": "0"}),
            NUMBER: workbook.add_format({"num_format": "0.0##"}),
            MONEY: workbook.add_format({"num_format": "#,##0.00"}),
            HOURS: workbook.add_format({"num_format": "0.00"}),
            RATE: workbook.add_format({"num_format": "0.00%"}),
            DATE: workbook.add_format({"num_format": "yyyy-mm-dd"}),
            DATETIME: workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
        }
        quoted = workbook.add_format({"quote_prefix": True})
        bold = {kind: workbook.add_format({**spec, "bold": True, "top": 1}) for kind, spec in (
            (INT, {"num_format": "0"}), (NUMBER, {"num_format": "0.0##"}), (MONEY, {"num_format": "#,##0.00"}),
            (HOURS, {"num_format": "0.00"}), (RATE, {"num_format": "0.00%"}), (DATE, {"num_format": "yyyy-mm-dd"}),
            (DATETIME, {"num_format": "yyyy-mm-dd hh:mm"}), (TEXT, {}))}
        for index, column in enumerate(export.columns):
            sheet.set_column(index, index, column.width)
        for index, column in enumerate(export.columns):
            sheet.write_string(0, index, column.title, header)
        sheet.freeze_panes(1, 0)
        row_number = 0
        for row, is_total in export.all_rows():
            row_number += 1
            if row_number >= XLSX_MAX_ROWS:
                break
            for index, column in enumerate(export.columns):
                value = row.get(column.key)
                if value is None:
                    continue
                kind = column.kind
                style = bold[kind] if is_total else formats.get(kind)
                if kind == TEXT:
                    text = str(value)
                    sheet.write_string(row_number, index, text, quoted if is_dangerous(text) else style)
                elif kind in (MONEY, HOURS):
                    sheet.write_number(row_number, index, float(usage.to_decimal(value, 2)), style)
                elif kind == RATE:
                    sheet.write_number(row_number, index, round(float(value), 4), style)
                elif kind in (INT, NUMBER):
                    sheet.write_number(row_number, index, value if kind == INT else float(value), style)
                elif kind == DATE:
                    sheet.write_datetime(row_number, index, datetime.combine(value, datetime.min.time()), style)
                elif kind == DATETIME:
                    sheet.write_datetime(row_number, index, _local_naive(value, tz), style)
        return row_number
    finally:
        workbook.close()


def xlsx_tempfile(export: Export, tz: ZoneInfo) -> str:
    """Build the workbook in a temporary file and return its path (the caller removes it)."""
    handle, path = tempfile.mkstemp(prefix="innocell-", suffix=".xlsx")
    os.close(handle)
    try:
        write_xlsx(export, path, tz)
    except BaseException:
        os.unlink(path)
        raise
    return path


# --------------------------------------------------------------------------- report exports

REPORT_KIND = {reports_service.INT: INT, reports_service.RATE: RATE, reports_service.MONEY: MONEY,
               reports_service.HOURS: HOURS}


def _period_stem(name: str, start: date, end: date, group: str | None = None, default: str | None = None) -> str:
    middle = f"_{group}" if group and group != default else ""
    return f"{name}{middle}_{start.isoformat()}_{end.isoformat()}"


def _report_columns(result: reports_service.ReportResult) -> list[Column]:
    if result.report == "revenue":
        return [Column("group", TEXT, width=10), Column("month", DATE, width=12)]
    return [Column("group", TEXT, width=18), Column("group_label", TEXT, width=24)]


def _labelled(result: reports_service.ReportResult, rows: list[dict], labels: Labels) -> list[dict]:
    out = []
    for row in rows:
        row = dict(row)
        if result.report == "revenue":
            row["month"] = date.fromisoformat(row["group"] + "-01") if row["group"] != reports_service.TOTAL else None
        else:
            row["group_label"] = labels.group(row["group"]) if row["group"] != reports_service.TOTAL else ""
        out.append(row)
    return out


def report_export(result: reports_service.ReportResult, labels: Labels = Labels()) -> Export:
    """Occupancy, utilisation or revenue as shown (a frozen month's frozen figures, in the same
    columns as any month), with a label beside each group and the totals row last."""
    spec = reports_service.SPECS[result.report]
    columns = _report_columns(result)
    columns += [Column(key, REPORT_KIND[kind], width=max(14, len(key) + 2)) for key, kind in spec.fields]
    stem = _period_stem(result.report, result.start, result.end, result.group, spec.default_group)
    if result.frozen:
        stem += "_frozen"
    rows, totals = _labelled(result, result.rows, labels), _labelled(result, [result.totals], labels)[0]
    return Export(stem, columns, rows, sheet=result.report.title(), totals=totals)


def changes_export(result: reports_service.ReportResult, labels: Labels = Labels()) -> Export:
    """A frozen month against today: per group and figure the frozen value, today's and the
    change (today minus frozen), with the totals row last."""
    spec = reports_service.SPECS[result.report]
    columns = _report_columns(result) + [Column("frozen_at", DATETIME, width=18)]
    for key, kind in spec.fields:
        columns += [Column(f"{prefix}_{key}", REPORT_KIND[kind], width=len(key) + 9)
                    for prefix in ("frozen", "today", "change")]
    frozen = {r["group"]: r for r in result.rows}
    today = {r["group"]: r for r in result.current or []}
    changes = {r["group"]: r for r in result.changes or []}

    def row_of(group, f, t, c):
        row = {"group": group, "frozen_at": result.frozen_at}
        for key, _ in spec.fields:
            row.update({f"frozen_{key}": f.get(key), f"today_{key}": t.get(key), f"change_{key}": c.get(key)})
        return row

    rows = [row_of(g, frozen.get(g, {}), today.get(g, {}), changes.get(g, {})) for g in changes]
    totals = row_of(reports_service.TOTAL, result.totals, result.current_totals or {}, result.change_totals or {})
    stem = _period_stem(result.report, result.start, result.end, result.group, spec.default_group) + "_changes"
    return Export(stem, columns, _labelled(result, rows, labels), sheet=f"{result.report.title()} changes",
                  totals=_labelled(result, [totals], labels)[0])


VACANCY_COLUMNS = [Column("unit", TEXT), Column("unit_type", TEXT), Column("unit_type_label", TEXT, width=24),
                   Column("floor", INT), Column("monthly_rent", MONEY), Column("free_since", DATE),
                   Column("vacant_nights", INT), Column("next_lease_start", DATE, width=16),
                   Column("promised_from", DATE, width=14), Column("free_nights_ahead", INT, width=18),
                   Column("units", INT, width=8)]
WAITLIST_COLUMNS = [Column("unit_type", TEXT), Column("unit_type_label", TEXT, width=24), Column("waiting", INT),
                    Column("median_wait_days", NUMBER, width=18), Column("longest_wait_days", NUMBER, width=18)]


def vacancy_export(rows: list[dict], totals: dict, today: date, labels: Labels = Labels()) -> Export:
    """Units free tonight, one a row (`units` is 1), and the totals: how many, their rent."""
    rows = [{**r, "unit_type_label": labels.unit_type(r["unit_type"]), "units": 1} for r in rows]
    return Export(f"vacancy_{today.isoformat()}", VACANCY_COLUMNS, rows, sheet="Vacancy", totals=totals)


def _days(row: dict) -> dict:
    return {**row, **{k: None if row[k] is None else round(row[k], 1) for k in ("median_wait_days",
                                                                          "longest_wait_days")}}


def waitlist_export(rows: list[dict], totals: dict, today: date, labels: Labels = Labels()) -> Export:
    rounded = [{**_days(r), "unit_type_label": labels.unit_type(r["unit_type"])} for r in rows]
    return Export(f"waitlist_{today.isoformat()}", WAITLIST_COLUMNS, rounded, sheet="Waitlist",
                  totals=_days(totals))


# --------------------------------------------------------------------------- raw records

BOOKING_COLUMNS = [
    Column("id", INT, width=8), Column("space", TEXT), Column("space_name", TEXT, width=24), Column("kind", TEXT),
    Column("kind_label", TEXT, width=18), Column("user_email", TEXT, width=26), Column("user_name", TEXT, width=20),
    Column("company", TEXT, width=20),
    Column("start", DATETIME, width=18), Column("end", DATETIME, width=18), Column("hours", HOURS, width=8),
    Column("status", TEXT, width=11), Column("title", TEXT, width=30), Column("hourly_rate", MONEY, width=12),
    Column("created_at", DATETIME, width=18),
]
LEASE_COLUMNS = [
    Column("id", INT, width=8), Column("unit", TEXT), Column("unit_type", TEXT),
    Column("unit_type_label", TEXT, width=24), Column("floor", INT, width=8),
    Column("user_email", TEXT, width=26), Column("user_name", TEXT, width=20), Column("company", TEXT, width=20),
    Column("start", DATE, width=12), Column("end", DATE, width=12), Column("nights", INT, width=8),
    Column("monthly_rent", MONEY), Column("status", TEXT, width=11),
    Column("nights_in_period", INT, width=16), Column("rent_due_in_period", MONEY, width=18),
]


def booking_rows(engine: Engine, start: date, end: date, tz: ZoneInfo, labels: Labels = Labels()) -> Iterator[dict]:
    """Every booking meeting the period (cancelled ones too, with their status), oldest first,
    read with a session of its own in batches."""
    ws, we = usage.period_instants(start, end, tz)
    session = Session(engine)
    try:
        stmt = (select(Booking.id, Space.code, Space.name, Space.kind, User.email, User.name, User.company,
                       Booking.start_at, Booking.end_at, Booking.status, Booking.title, Space.hourly_rate,
                       Booking.created_at)
                .join(Space, Space.id == Booking.space_id).join(User, User.id == Booking.user_id)
                .where(Booking.start_at < we, Booking.end_at > ws)
                .order_by(Booking.start_at, Booking.id)
                .execution_options(yield_per=YIELD_PER))
        for (bid, code, name, kind, email, uname, company, s, e, status, title, rate,
             created) in session.execute(stmt):
            yield {"id": bid, "space": code, "space_name": name, "kind": kind, "kind_label": labels.kind(kind),
                   "user_email": email,
                   "user_name": uname, "company": company, "start": s, "end": e,
                   "hours": usage.hours(usage.micros(e - s)), "status": status, "title": title,
                   "hourly_rate": rate, "created_at": created}
    finally:
        session.close()


def lease_rows(engine: Engine, start: date, end: date, labels: Labels = Labels()) -> Iterator[dict]:
    """Every lease meeting the period, with its nights and rent due inside the period."""
    session = Session(engine)
    try:
        stmt = (select(Lease.id, Unit.code, Unit.unit_type, Unit.floor, User.email, User.name, User.company,
                       Lease.start_date, Lease.end_date, Lease.monthly_rent, Lease.status, Lease.unit_id,
                       Lease.nightly_rate)
                .join(Unit, Unit.id == Lease.unit_id).join(User, User.id == Lease.user_id)
                .where(Lease.start_date < end, Lease.end_date > start)
                .order_by(Unit.code, Lease.start_date, Lease.id)
                .execution_options(yield_per=YIELD_PER))
        for (lid, code, unit_type, floor, email, uname, company, a, b, rent, status,
             unit_id, nightly) in session.execute(stmt):
            info = usage.LeaseInfo(unit_id, a, b, Decimal(rent), status, None if nightly is None else Decimal(nightly))
            yield {"id": lid, "unit": code, "unit_type": unit_type, "unit_type_label": labels.unit_type(unit_type),
                   "floor": floor, "user_email": email,
                   "user_name": uname, "company": company, "start": a, "end": b, "nights": (b - a).days,
                   "monthly_rent": rent, "status": status,
                   "nights_in_period": usage.occupied_nights([info], start, end),
                   "rent_due_in_period": usage.lease_rent_due(info, start, end)}
    finally:
        session.close()


def bookings_export(engine: Engine, start: date, end: date, tz: ZoneInfo, labels: Labels = Labels()) -> Export:
    """On PostgreSQL the CSV's rows come from COPY (a million rows at the database's pace); the
    XLSX, and the CSV on SQLite, from `booking_rows`."""
    copied = None
    if engine.dialect.name == "postgresql":
        ws, we = usage.period_instants(start, end, tz)
        keys = [c.key for c in BOOKING_COLUMNS]
        copied = lambda: copy_export.bookings_copy(engine, keys, ws, we, tz, labels.kind)  # noqa: E731
    return Export(_period_stem("bookings", start, end), BOOKING_COLUMNS, booking_rows(engine, start, end, tz, labels),
                  sheet="Bookings", csv_rows=copied)


def leases_export(engine: Engine, start: date, end: date, labels: Labels = Labels()) -> Export:
    return Export(_period_stem("leases", start, end), LEASE_COLUMNS, lease_rows(engine, start, end, labels),
                  sheet="Leases")



# --------------------------------------------------------------------------- prepared off the request

# What an export's progress page says (services/long_tasks.py).
WRITING_ROWS = N_("Writing rows %(done)s of %(total)s")
FINISHING_XLSX = N_("Packing the workbook")


def record_count(session: Session, name: str, start: date, end: date, tz: ZoneInfo) -> int:
    """How many rows the bookings or leases file of the period has (its progress total)."""
    if name == "bookings":
        ws, we = usage.period_instants(start, end, tz)
        stmt = select(func.count(Booking.id)).where(Booking.start_at < we, Booking.end_at > ws)
    elif name == "leases":
        stmt = select(func.count(Lease.id)).where(Lease.start_date < end, Lease.end_date > start)
    else:
        raise ValueError(name)
    return int(session.execute(stmt).scalar_one())


def counted(rows: Iterable[dict], progress: Callable[..., None], total: int, then: str | None = None) -> Iterator[dict]:
    """The rows, telling `progress` how many have been written of `total`, then `then`."""
    done = 0
    progress(WRITING_ROWS, done=0, total=total)
    for row in rows:
        yield row
        done += 1
        progress(WRITING_ROWS, done=done, total=max(total, done))
    if then:
        progress(then)


def file_bytes(export: Export, fmt: str, tz: ZoneInfo, progress: Callable[..., None], total: int) -> bytes:
    """The whole file in memory (to store for its download), telling `progress` how far it
    is: CSV, or XLSX built in a temporary file (packed once the last row is written)."""
    export.rows = counted(export.rows, progress, total, then=FINISHING_XLSX if fmt == "xlsx" else None)
    if fmt == "csv":
        return b"".join(csv_stream(export, tz))
    path = xlsx_tempfile(export, tz)
    try:
        with open(path, "rb") as handle:
            return handle.read()
    finally:
        os.unlink(path)
