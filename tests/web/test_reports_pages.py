"""The reports dashboard, the freeze confirmation and the frozen-month page."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from innocell.models import AuditEvent, Booking, Lease, ReportSnapshot, Space, Unit
from innocell.services import reports as report_service
from innocell.timeutil import utcnow

UTC = timezone.utc
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
HTML = {"Accept": "text/html"}


def local_today(app):
    from zoneinfo import ZoneInfo

    return utcnow().astimezone(ZoneInfo(app.config["INNOCELL_TIMEZONE"])).date()


@pytest.fixture
def tower(session, make_user):
    resident = make_user("resident")
    unit = Unit(code="07-01", unit_type="suite", floor=7, monthly_rent=Decimal("21000"), created_at=NOW)
    spare = Unit(code="07-02", unit_type="suite", floor=7, monthly_rent=Decimal("21000"), created_at=NOW)
    session.add_all([unit, spare])
    session.flush()
    session.add(Lease(unit_id=unit.id, user_id=resident.id, start_date=date(2020, 1, 1), end_date=date(2035, 1, 1),
                      monthly_rent=Decimal("21000"), status="active", created_at=NOW))
    lab = Space(code="WL-09", name="Wet Lab Nine", kind="wet_lab", capacity=1, hourly_rate=Decimal("100"),
                created_at=datetime(2020, 1, 1, tzinfo=UTC))
    session.add(lab)
    session.commit()
    return {"resident": resident, "unit": unit, "lab": lab}


@pytest.mark.parametrize("role", ["finance", "admin", "manager"])
def test_dashboard_renders_for_staff_readers(tower, client, make_user, login, role):
    login(make_user(role))
    response = client.get("/reports")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for testid in ("occupancy-chart", "revenue-chart", "heat-map", "occupancy-table", "utilisation-table",
                   "trend-table", "heat-table", "revenue-table", "vacancy-table", "waitlist-table"):
        assert f'data-testid="{testid}"' in html, testid
    assert "07-02" in html  # the vacant unit is listed
    downloads = 'data-testid="download-occupancy-xlsx"' in html
    assert downloads == (role != "manager")  # files are for finance and admin
    assert ('data-testid="raw-downloads"' in html) == (role != "manager")


def test_dashboard_refuses_residents_and_asks_strangers_to_sign_in(tower, client, make_user, login):
    response = client.get("/reports")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login(make_user("resident"))
    assert client.get("/reports").status_code == 403


def test_period_picker_last_month_and_custom(tower, app, client, make_user, login):
    login(make_user("finance"))
    today = local_today(app)
    start, end = report_service.last_month(today)
    html = client.get("/reports?period=last_month").get_data(as_text=True)
    assert f'value="{start.isoformat()}"' in html and f'value="{end.isoformat()}"' in html
    assert f"/reports/occupancy.xlsx?group=unit_type&amp;from={start.isoformat()}&amp;to={end.isoformat()}" in html
    nights = (end - start).days
    # the suite let all month: 2 units, one let every night
    table = html[html.index('data-testid="occupancy-table"'):]
    row = re.search(r'<td>suite <span class="muted">Suite</span></td>(.*?)</tr>', table, re.S).group(1)
    assert [c.strip() for c in re.findall(r'<td class="num">(.*?)</td>', row)] == [
        str(2 * nights), str(nights), "50.0%", "21,000.00"]

    html = client.get("/reports?period=custom&from=2026-02-01&to=2026-02-15&occupancy_group=unit"
                      "&utilisation_group=kind").get_data(as_text=True)
    assert "Showing <strong>01 Feb 2026</strong> to <strong>15 Feb 2026</strong>" in html
    assert "Occupancy by unit" in html and "Utilisation by kind" in html
    assert "10,500.00" in html  # 21000 × 14 / 28


@pytest.mark.parametrize("query,message", [
    ("period=custom&from=2026-02-30&to=2026-03-01", "not a date"),
    ("from=2026-03-01&to=2026-02-01", "must end after"),
    ("occupancy_group=planet", "not an occupancy grouping"),
    ("space=abc", "not one of the active spaces"),
])
def test_bad_dashboard_parameters_show_a_message_not_an_error(tower, client, make_user, login, query, message):
    login(make_user("finance"))
    response = client.get(f"/reports?{query}")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'data-testid="report-error"' in html and message in html
    assert 'data-testid="occupancy-table"' in html  # the page still shows this month


def test_heat_map_for_one_space(tower, app, client, make_user, login, session):
    login(make_user("finance"))
    start, _ = report_service.last_month(local_today(app))
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(app.config["INNOCELL_TIMEZONE"])
    s = datetime(start.year, start.month, 2, 10, 0, tzinfo=tz).astimezone(UTC)
    e = datetime(start.year, start.month, 2, 11, 0, tzinfo=tz).astimezone(UTC)
    session.add(Booking(space_id=tower["lab"].id, user_id=tower["resident"].id, start_at=s, end_at=e, hold_end_at=e,
                        status="confirmed", title="x", created_at=NOW))
    session.commit()
    html = client.get(f"/reports?period=last_month&space={tower['lab'].id}").get_data(as_text=True)
    weekday = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[start.replace(day=2).weekday()]
    assert f"{weekday} 10:00: " in html and "(1.0 of " in html
    assert "WL-09 · Wet Lab Nine" in html


def test_freeze_a_month_then_see_frozen_against_today(tower, app, client, make_user, login, session):
    finance = make_user("finance")
    login(finance)
    month = report_service.last_month(local_today(app))[0]
    key = month.strftime("%Y-%m")
    html = client.get("/reports").get_data(as_text=True)
    assert f'data-testid="freeze-{key}"' in html
    confirm = client.get(f"/reports/freeze?month={key}")
    assert confirm.status_code == 200 and "cannot be unfrozen" in confirm.get_data(as_text=True)
    assert session.query(ReportSnapshot).count() == 0  # looking changes nothing

    response = client.post("/reports/freeze", data={"month": key})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/reports/frozen/{key}")
    # every report by every grouping: occupancy ×4, utilisation ×3 (by company too), revenue
    assert session.query(ReportSnapshot).count() == 8
    assert session.query(AuditEvent).filter_by(action="report.freeze", actor_id=finance.id).count() == 8

    # a record changes afterwards: the spare suite is let for the whole month
    session.add(Lease(unit_id=session.query(Unit).filter_by(code="07-02").one().id, user_id=tower["resident"].id,
                      start_date=month, end_date=date(2040, 1, 1), monthly_rent=Decimal("20000"), status="active",
                      created_at=NOW))
    session.commit()
    page = client.get(f"/reports/frozen/{key}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "frozen figures and today" in html
    assert "+20,000.00" in html  # rent due today minus frozen
    dash = client.get("/reports?period=last_month").get_data(as_text=True)
    assert 'data-testid="frozen-note"' in dash
    # freezing again is refused with a message
    again = client.post("/reports/freeze", data={"month": key}, follow_redirects=True)
    assert "already frozen" in again.get_data(as_text=True)
    assert session.query(ReportSnapshot).count() == 8


def test_freezing_an_open_month_or_as_a_manager_is_refused(tower, app, client, make_user, login, session):
    login(make_user("finance"))
    this_month = local_today(app).strftime("%Y-%m")
    assert client.get(f"/reports/freeze?month={this_month}").status_code == 400
    response = client.post("/reports/freeze", data={"month": this_month}, follow_redirects=True)
    assert "is not over yet" in response.get_data(as_text=True)
    assert client.post("/reports/freeze", data={"month": "garbage"}).status_code == 400
    client.post("/logout")
    login(make_user("manager"))
    last = report_service.last_month(local_today(app))[0].strftime("%Y-%m")
    assert client.post("/reports/freeze", data={"month": last}).status_code == 403
    assert client.get(f"/reports/freeze?month={last}").status_code == 403
    assert session.query(ReportSnapshot).count() == 0
    # managers read the dashboard and a frozen month's page
    assert client.get("/reports").status_code == 200


def test_frozen_page_of_a_month_never_frozen_sends_back_to_the_dashboard(tower, client, make_user, login):
    login(make_user("finance"))
    response = client.get("/reports/frozen/2025-03", follow_redirects=True)
    assert "has not been frozen" in response.get_data(as_text=True)
    assert client.get("/reports/frozen/March").status_code == 400


def test_every_table_on_the_dashboard_ends_with_its_totals(tower, app, client, make_user, login, session):
    login(make_user("finance"))
    html = client.get("/reports?period=last_month&occupancy_group=unit").get_data(as_text=True)
    for testid in ("occupancy-table-totals", "utilisation-table-totals", "revenue-table-totals",
                   "vacancy-table-totals", "waitlist-table-totals"):
        assert f'data-testid="{testid}"' in html, testid
    nights = (report_service.last_month(local_today(app))[1] - report_service.last_month(local_today(app))[0]).days
    totals = html[html.index('data-testid="occupancy-table-totals"'):]
    cells = [c.strip() for c in re.findall(r'<td class="num">(.*?)</td>', totals.split("</tr>")[0])]
    assert cells == [str(2 * nights), str(nights), "50.0%", "21,000.00"]  # 07-01 let, 07-02 free
    assert "Total: 1 unit" in html and "promised, not free" in html
    assert "07-01 <span class=\"muted\">Suite</span>" in html  # a unit's type beside its code


def test_the_frozen_page_shows_totals_and_offers_the_changes_file(tower, app, client, make_user, login, session):
    finance = make_user("finance")
    login(finance)
    month = report_service.last_month(local_today(app))[0]
    key = month.strftime("%Y-%m")
    client.post("/reports/freeze", data={"month": key})
    html = client.get(f"/reports/frozen/{key}").get_data(as_text=True)
    for name in ("occupancy", "utilisation", "revenue"):
        assert f'data-testid="frozen-{name}-totals"' in html
        assert f'data-testid="download-{name}-changes-csv"' in html
    changes = client.get(f"/reports/occupancy-changes.csv?from={month.isoformat()}&to="
                         f"{report_service.last_month(local_today(app))[1].isoformat()}", headers=HTML)
    assert changes.status_code == 200 and changes.mimetype == "text/csv"


def test_paging_the_vacancy_list_does_not_compute_the_dashboard_again(tower, app, client, make_user, login, session,
                                                                       monkeypatch):
    """Twelve more vacant units make two pages of ten; the dashboard shows the first and its
    pager leads to the vacancy page, which lists the rest without running a single report."""
    session.add_all([Unit(code=f"09-{n:02d}", unit_type="studio", floor=9, monthly_rent=Decimal("9000"), created_at=NOW)
                     for n in range(1, 13)])
    session.commit()
    login(make_user("finance"))
    html = client.get("/reports").get_data(as_text=True)
    assert "13 units free tonight" in html
    assert 'href="/reports/vacancy?vacancy_page=2#vacancy"' in html
    first = html[html.index('data-testid="vacancy-table"'):]
    assert "07-02" in first and "09-09" in first and "09-10" not in first.split("</tbody>")[0]

    def refuse(*args, **kwargs):
        raise AssertionError("the vacancy page computed a report")
    for name in ("report", "occupancy_trend", "revenue", "heat_map", "waitlist"):
        monkeypatch.setattr(report_service, name, refuse)
    response = client.get("/reports/vacancy?vacancy_page=2")
    assert response.status_code == 200
    second = response.get_data(as_text=True)
    rows = second[second.index('data-testid="vacancy-table"'):].split("</tbody>")[0]
    assert re.findall(r"<tr><td>(\d\d-\d\d)</td>", rows) == ["09-10", "09-11", "09-12"]
    assert "Total: 13 units" in second and 'data-testid="download-vacancy-csv"' in second
    assert 'href="/reports/vacancy?vacancy_page=1#vacancy"' in second

    resident = app.test_client()
    resident.post("/login", data={"email": tower["resident"].email, "password": "tram-harbour-7"})
    assert resident.get("/reports/vacancy").status_code == 403
