"""On PostgreSQL the bookings CSV comes from COPY (services/copy_export.py): the file must be
the very bytes the generic path writes from Python rows, for awkward rows too (formula-like
text, quotes, commas and newlines in titles, empty and missing text, Chinese, microseconds,
half-cent hours, people with and without a company), and row ends must stay CRLF however the
server cuts its blocks. On SQLite the generic path is the only one."""
from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from innocell.extensions import db
from innocell.models import Booking, Company, Space
from innocell.services import copy_export, exports

HK = ZoneInfo("Asia/Hong_Kong")
UTC = timezone.utc
TITLES = ['=HYPERLINK("http://evil.example/")', "+1", "-2", "@SUM(A1)", "\t=1", "\r=2", "two\nlines", "cr\r\nlf",
          'He said "hi", then left', "", "實驗室 預訂 🧪", "trailing space ", "\\.", '"', ","]


def _labels(kind: str) -> str:
    return {"wet_lab": "濕實驗室", "meeting_room": "=Meeting, room"}.get(kind, kind)


def test_the_copied_csv_is_the_generic_csv_byte_for_byte(app, session, make_user, backend):
    company = Company(name='Acme "Bio", Ltd', name_key="acme bio ltd", created_at=datetime(2026, 1, 1, tzinfo=UTC),
                      updated_at=datetime(2026, 1, 1, tzinfo=UTC))
    session.add(company)
    session.flush()
    people = [make_user("resident", name="=cmd|' /C calc'!A0", company_id=company.id),
              make_user("resident", name="陳大文")]
    lab = Space(code="WL-01", name="Wet Lab, One", kind="wet_lab", capacity=2, hourly_rate=Decimal("180.55"),
                created_at=datetime(2026, 1, 1, tzinfo=UTC))
    room = Space(code="-MR", name="Room \"A\"", kind="meeting_room", capacity=1, hourly_rate=Decimal("0"),
                 created_at=datetime(2026, 1, 1, tzinfo=UTC))
    session.add_all([lab, room])
    session.flush()
    start = datetime(2026, 11, 2, 1, 0, 59, 723456, tzinfo=UTC)  # cut, not rounded, to the second
    lengths = [timedelta(seconds=18), timedelta(seconds=450), timedelta(minutes=20), timedelta(hours=2, minutes=30),
               timedelta(hours=26)]
    for i, title in enumerate(TITLES):
        s = start + timedelta(days=i, minutes=7 * i)
        e = s + lengths[i % len(lengths)]
        session.add(Booking(space_id=(lab if i % 2 else room).id, user_id=people[i % 2].id, start_at=s, end_at=e,
                            hold_end_at=e, status=("cancelled", "confirmed", "pending")[i % 3], title=title,
                            created_at=s - timedelta(days=3, microseconds=999)))
    before = datetime(2026, 10, 31, 15, 30, tzinfo=UTC)  # crosses into the period (HK midnight 1 Nov)
    session.add(Booking(space_id=lab.id, user_id=people[0].id, start_at=before, end_at=before + timedelta(hours=1),
                        hold_end_at=before + timedelta(hours=1), status="confirmed", title="over midnight",
                        created_at=before))
    session.commit()

    labels = exports.Labels(kind=_labels)
    export = exports.bookings_export(db.engine, date(2026, 11, 1), date(2026, 12, 1), HK, labels)
    generic = b"".join(exports.csv_stream(dataclasses.replace(export, csv_rows=None), HK))
    assert generic.count(b"\r\n") > len(TITLES)  # the header and every booking
    assert b'"\'=Meeting, room"' in generic and b'"=Meeting' not in generic  # labels made inert too
    if backend == "sqlite":
        assert export.csv_rows is None
        return
    assert export.csv_rows is not None  # PostgreSQL: the rows come from COPY
    fresh = exports.bookings_export(db.engine, date(2026, 11, 1), date(2026, 12, 1), HK, labels)
    assert b"".join(exports.csv_stream(fresh, HK)) == generic

    # However the server cuts its blocks, only the row ends become CRLF.
    copied = b"".join(fresh.csv_rows())
    lf = copied.replace(b"\r\n", b"\n").replace(b"cr\n", b"cr\r\n")  # COPY's own text, LF row ends
    one_byte_blocks = [lf[i:i + 1] for i in range(len(lf))]
    assert b"".join(copy_export.crlf_rows(one_byte_blocks)) == copied
