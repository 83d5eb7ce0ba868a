"""English and Traditional Chinese (Hong Kong) pages (issue 17): every marked string is in the
Chinese catalogue, the resident's pages read in the chosen language with dates and money in
that locale, the footer's switch remembers the choice per person or per browser, and exports
keep their English column keys."""
from __future__ import annotations

import os
import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import innocell.web.housing as housing_pages
from innocell.extensions import db
from innocell.models import Booking, Space, User
from innocell.services import housing as hs

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "translations" / "zh_Hant_HK" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "N_": None, "pgettext": ((1, "c"), 2)}


def _extracted() -> set:
    """Every msgid marked in innocell/ and templates/, read now with Babel's extractor."""
    method_map = [("innocell/**.py", "python"), ("templates/**.html", "jinja2")]
    ids = set()
    for folder in ("innocell", "templates"):
        for _file, _line, message, _comments, _context in extract_from_dir(
                str(ROOT / folder), [(p.split("/", 1)[1], m) for p, m in method_map if p.startswith(folder)],
                keywords=KEYWORDS):
            ids.add(message if isinstance(message, str) else message[0])
    return ids


def test_every_marked_string_has_a_chinese_translation():
    with PO.open("rb") as handle:
        catalogue = read_po(handle, locale="zh_Hant_HK")
    translated = {}
    for message in catalogue:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        translated[key] = bool(all(strings)) and not message.fuzzy
    marked = _extracted()
    assert "Skip to content" in marked and "My bookings" in marked  # the extractor reads the templates
    missing = sorted(m for m in marked if m not in translated)
    untranslated = sorted(m for m in marked if m in translated and not translated[m])
    assert not missing, f"marked but not in {PO.name} (run `make translations`, then translate): {missing}"
    assert not untranslated, f"untranslated or fuzzy in {PO.name}: {untranslated}"


def _space(session, now):
    space = Space(code="MR1", name="Meeting Room Peak", kind="meeting_room", hourly_rate=Decimal("150"), created_at=now)
    session.add(space)
    session.flush()
    start = now + timedelta(days=1)  # 2026-12-02 10:00 in Hong Kong
    return space, start


def test_resident_pages_read_in_chinese_with_chinese_dates(client, session, make_user, login, now):
    resident = make_user("resident", language="zh_Hant_HK", email_verified_at=now)
    space, start = _space(session, now)
    session.add(Booking(space_id=space.id, user_id=resident.id, start_at=start, end_at=start + timedelta(hours=1),
                        hold_end_at=start + timedelta(hours=1), status="confirmed", created_at=now))
    session.commit()
    login(resident)
    home = client.get("/home").get_data(as_text=True)
    assert '<html lang="zh-Hant-HK">' in home
    assert "跳至內容" in home and "我的預約" in home and "登出" in home and "收件匣" in home
    assert "Skip to content" not in home and "My bookings" not in home
    assert "2026年12月2日週三 10:00" in home  # the booking's start, the Chinese way
    assert "已確認" in home  # its status
    spaces = client.get("/spaces").get_data(as_text=True)
    assert "搜尋場地" in spaces and "HK$150.00" in spaces
    bookings = client.get("/bookings").get_data(as_text=True)
    assert "我的預約" in bookings and "已確認" in bookings
    week = client.get(f"/spaces/{space.id}?week=2026-11-30").get_data(as_text=True)
    assert "週次：" in week and "2026年11月30日" in week
    for path in ("/housing", "/inbox", "/account"):
        page = client.get(path)
        assert page.status_code == 200 and '<html lang="zh-Hant-HK">' in page.get_data(as_text=True)


def test_english_stays_the_default(client, session, make_user, login, now):
    login(make_user("resident"))
    page = client.get("/home").get_data(as_text=True)
    assert '<html lang="en">' in page and "Skip to content" in page and "My bookings" in page


def test_switch_saves_the_language_for_the_signed_in_person(client, session, make_user, login):
    resident = make_user("resident")
    login(resident)
    response = client.post("/language", data={"language": "zh_Hant_HK", "next": "/bookings?tab=past"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/bookings?tab=past")
    db.session.expire_all()
    assert db.session.get(User, resident.id).language == "zh_Hant_HK"
    client.delete_cookie("lang")  # the saved choice, not the cookie, follows the person
    assert '<html lang="zh-Hant-HK">' in client.get("/home").get_data(as_text=True)
    # Another browser (no cookie) signed in as the same person reads Chinese too.
    other = client.application.test_client()
    other.post("/login", data={"email": resident.email, "password": "tram-harbour-7"})
    assert "我的預約" in other.get("/bookings").get_data(as_text=True)
    client.post("/language", data={"language": "en", "next": "/home"})
    db.session.expire_all()
    assert db.session.get(User, resident.id).language == "en"
    assert '<html lang="en">' in client.get("/home").get_data(as_text=True)


def test_switch_remembers_an_anonymous_visitor_in_a_cookie(client):
    assert '<html lang="en">' in client.get("/login").get_data(as_text=True)
    response = client.post("/language", data={"language": "zh_Hant_HK", "next": "/login"})
    assert response.status_code == 303
    assert "lang=zh_Hant_HK" in response.headers["Set-Cookie"]
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="zh-Hant-HK">' in page and "登入 InnoCell" in page and "忘記密碼？" in page
    assert "在此裝置保持登入" in page  # the form's labels too


def test_switch_refuses_unknown_languages_and_foreign_return_addresses(client):
    assert client.post("/language", data={"language": "xx"}).status_code == 400
    response = client.post("/language", data={"language": "en", "next": "//evil.example/x"})
    assert response.status_code == 303 and "evil.example" not in response.headers["Location"]


def test_browser_language_decides_until_one_is_chosen(client):
    page = client.get("/login", headers={"Accept-Language": "zh-HK,zh;q=0.9,en;q=0.5"}).get_data(as_text=True)
    assert '<html lang="zh-Hant-HK">' in page and "登入" in page
    page = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in page
    client.post("/language", data={"language": "en", "next": "/login"})
    page = client.get("/login", headers={"Accept-Language": "zh-HK"}).get_data(as_text=True)
    assert '<html lang="en">' in page  # the cookie's choice beats the browser's


def test_csv_exports_keep_english_column_keys_in_chinese(client, session, make_user, login):
    finance = make_user("finance")
    login(finance)
    params = {"from": "2026-11-01", "to": "2026-12-01"}
    english = client.get("/reports/occupancy.csv", query_string=params)
    assert english.status_code == 200
    client.post("/language", data={"language": "zh_Hant_HK", "next": "/reports"})
    assert '<html lang="zh-Hant-HK">' in client.get("/home").get_data(as_text=True)
    chinese = client.get("/reports/occupancy.csv", query_string=params)
    header = english.get_data(as_text=True).splitlines()[0]
    assert chinese.get_data(as_text=True).splitlines()[0] == header
    assert re.match(r"^\ufeff?group,group_label,", header)


def test_a_changed_catalogue_is_compiled_again_at_start(tmp_path):
    from babel.support import Translations

    from innocell.web.language import compile_catalogues

    folder = tmp_path / "zh_Hant_HK" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    po = folder / "messages.po"
    header = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
    po.write_text(header + 'msgid "Home"\nmsgstr "主頁"\n', encoding="utf-8")
    compile_catalogues(tmp_path)
    assert Translations.load(str(tmp_path), ["zh_Hant_HK"]).gettext("Home") == "主頁"
    po.write_text(header + 'msgid "Home"\nmsgstr "首頁"\n', encoding="utf-8")
    mo = folder / "messages.mo"
    os.utime(po, (mo.stat().st_mtime + 5, mo.stat().st_mtime + 5))  # the .po edited after the build
    compile_catalogues(tmp_path)
    assert Translations.load(str(tmp_path), ["zh_Hant_HK"]).gettext("Home") == "首頁"


def _page(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def test_staff_pages_read_in_chinese(client, session, make_user, login, now):
    """Finance's reports and ledger, the admin's people page: marked and translated, so they fail
    here if a heading loses its marking."""
    login(make_user("finance", language="zh_Hant_HK"))
    reports = _page(client, "/reports?from=2026-11-01&to=2026-12-01")
    assert '<html lang="zh-Hant-HK">' in reports
    for chinese in ("入住率（按單位類型）", "使用率（按場地）", "每月收入", "今晚空置單位", "輪候名單", "月結", "已入住單位晚數",
                    "2026年11月1日", "共 30 晚"):
        assert chinese in reports, chinese
    for english in ("Occupancy by unit type", "Revenue by month", "Vacant units tonight", "Month-end",
                    "Occupied unit nights", "nights."):
        assert english not in reports, english
    ledger = _page(client, "/finance/charges?month=2026-10")
    for chinese in ("2026年10月 的收費", "計算本月收費", "收費類別", "首次收費", "逾時取消", "暫時沒有項目。"):
        assert chinese in ledger, chinese
    for english in ("Charges for October 2026", "Charge month", "First charges", "No lines yet."):
        assert english not in ledger, english
    payments = _page(client, "/finance/payments")
    assert "記錄付款" in payments and "逾期欠款" in payments and "Record a payment" not in payments
    client.post("/language", data={"language": "en", "next": "/reports"})  # the same pages in English
    english_reports = _page(client, "/reports?from=2026-11-01&to=2026-12-01")
    assert "Occupancy by unit type" in english_reports and "Showing <strong>01 Nov 2026</strong>" in english_reports
    assert "Charges for October 2026" in _page(client, "/finance/charges?month=2026-10")

    client.post("/logout")
    admin = make_user("admin", language="zh_Hant_HK")
    resident = make_user("resident", name="Ada Lovelace", email_verified_at=now)
    login(admin)
    people = _page(client, "/admin/people")
    for chinese in ("<h1>人員</h1>", "姓名、電郵或公司", "上次登入", "審計紀錄", "邀請人員", "住戶", "生效中"):
        assert chinese in people, chinese
    for english in ("<h1>People</h1>", "Name, email or company", "Last sign-in", "Invite a person", "<td>resident</td>"):
        assert english not in people, english
    person = _page(client, f"/admin/people/{resident.id}")
    assert "更改角色、公司或級別" in person and "最近預約" in person and "Recent bookings" not in person


def test_cancel_confirmation_reads_in_chinese(client, session, make_user, login, now):
    resident = make_user("resident", language="zh_Hant_HK", email_verified_at=now)
    space, start = _space(session, now)
    booking = Booking(space_id=space.id, user_id=resident.id, start_at=start, end_at=start + timedelta(hours=1),
                      hold_end_at=start + timedelta(hours=1), status="confirmed", created_at=now)
    session.add(booking)
    session.commit()
    login(resident)
    page = client.get(f"/bookings/{booking.id}/cancel").get_data(as_text=True)
    assert "取消這個預約？" in page and "該時間會即時開放給其他人。此操作無法復原。" in page
    assert "是，取消" in page and "保留" in page and "Meeting Room Peak" in page
    assert "Cancel this booking?" not in page and "Yes, cancel it" not in page and "Keep it" not in page


def test_offer_page_reads_in_chinese(client, session, make_user, login, now, monkeypatch):
    monkeypatch.setattr(housing_pages, "utcnow", lambda: now)
    manager = make_user("manager")
    resident = make_user("resident", language="zh_Hant_HK", email_verified_at=now)
    unit = hs.create_unit(session, {"code": "01-01", "unit_type": "solo", "floor": 1, "monthly_rent": "9800",
                                    "occupancy": 1}, actor=manager, now=now)
    offer = hs.make_offer(session, kind="allocation", user_id=resident.id, unit_id=unit.id, start=date(2027, 1, 1),
                          end=date(2028, 1, 1), monthly_rent=unit.monthly_rent, expires_at=now + timedelta(days=7),
                          now=now)
    login(resident)
    page = client.get(f"/housing/offers/{offer.id}").get_data(as_text=True)
    assert "單位 01-01 的要約" in page and "1 樓" in page and "最多 1 人" in page and "每月 HK$9,800.00" in page
    assert "2027年1月1日 至 2028年1月1日（遷出日）" in page and "接受單位 01-01…" in page
    for english in ("Offer of unit", "floor 1", "up to 1 person", "a month", "move-out day", "Accept unit"):
        assert english not in page, english


def test_unit_page_reads_in_chinese_for_a_manager(client, session, make_user, login, now):
    manager = make_user("manager", language="zh_Hant_HK")
    unit = hs.create_unit(session, {"code": "01-01", "unit_type": "solo", "floor": 1, "monthly_rent": "9800",
                                    "occupancy": 2}, actor=manager, now=now)
    login(manager)
    page = client.get(f"/manage/housing/units/{unit.id}").get_data(as_text=True)
    assert "單位 01-01" in page and "租約紀錄" in page and "此單位從未出租。" in page and "記錄租約" in page
    assert "每月 HK$9,800.00" in page and "最多 2 人" in page
    for english in ("Lease history", "This unit has never been let.", "Record a lease", "Out of service", "a month"):
        assert english not in page, english


def test_manager_timeline_and_space_kinds_read_in_chinese(client, session, make_user, login, now):
    _space(session, now)
    session.commit()
    login(make_user("manager", language="zh_Hant_HK"))
    timeline = _page(client, "/timeline?date=2026-12-02")
    assert "<h1>時間表</h1>" in timeline and "已預約（已確認）" in timeline and "所有類別" in timeline
    assert "<h1>Timeline</h1>" not in timeline and "Booked (confirmed)" not in timeline
    kinds = _page(client, "/manage/space-kinds")
    assert "<h1>場地類別</h1>" in kinds and "每週配額" in kinds and "新增類別" in kinds
    assert "<h1>Space kinds</h1>" not in kinds and "Add a kind" not in kinds


def test_space_management_reads_in_chinese(client, session, make_user, login, now):
    space, _ = _space(session, now)
    session.commit()
    login(make_user("manager", language="zh_Hant_HK"))
    index = _page(client, "/manage/spaces")
    for chinese in ("<h1>場地</h1>", "新增場地", "審批隊列", "停用時段", "開放時間（星期一）"):
        assert chinese in index, chinese
    for english in ("<h1>Spaces</h1>", "New space", "Approval queue", "Hours (Mon)", ">Blackouts<"):
        assert english not in index, english
    blackouts = _page(client, f"/manage/spaces/{space.id}/blackouts")
    assert "停用時段 · MR1" in blackouts and "加入單次停用時段" in blackouts and "每週關閉時段" in blackouts
    assert "Weekly closures" not in blackouts and "Add a one-off blackout" not in blackouts
    assert "沒有等候審批的預約。" in _page(client, "/manage/approvals")
    assert "尚未授予任何授權。" in _page(client, "/manage/authorisations")
    deactivate = _page(client, f"/manage/spaces/{space.id}/deactivate")
    assert "停用 MR1？" in deactivate and "Deactivate MR1?" not in deactivate


def test_manager_housing_pages_read_in_chinese(client, session, make_user, login, now):
    """A Chinese-reading manager's offers list and forecast: headings, counts, statuses and the
    offer kind in Chinese, the English gone."""
    manager = make_user("manager", language="zh_Hant_HK")
    resident = make_user("resident", email_verified_at=now)
    unit = hs.create_unit(session, {"code": "01-01", "unit_type": "solo", "floor": 1, "monthly_rent": "9800",
                                    "occupancy": 1}, actor=manager, now=now)
    hs.make_offer(session, kind="allocation", user_id=resident.id, unit_id=unit.id, start=date(2027, 1, 1),
                  end=date(2028, 1, 1), monthly_rent=unit.monthly_rent, expires_at=now + timedelta(days=7), now=now)
    login(manager)
    offers = _page(client, "/manage/housing/offers")
    for chinese in ("<h1>要約</h1>", "1 個要約", "任何狀態", "概覽", "單位及平面圖", "回覆期限"):
        assert chinese in offers, chinese
    for english in ("<h1>Offers</h1>", "1 offer", "Any status", "Overview", "Answer by", "<td>allocation</td>"):
        assert english not in offers, english
    forecast = _page(client, "/manage/housing/forecast")
    assert "預測：空置與需求對比" in forecast and "續約率" in forecast and "50% 調整" in forecast
    assert "Forecast: vacancies against demand" not in forecast and "Renewal rate" not in forecast


def test_form_labels_read_in_chinese(client, make_user, login, now):
    """The labels the form classes carry (not only the templates' text) follow the reader."""
    login(make_user("resident", language="zh_Hant_HK", email_verified_at=now))
    page = client.get("/housing/apply").get_data(as_text=True)
    assert "入住日期" in page and "第一選擇" in page and "1 至 12 個月的租約" in page
    assert "Move-in date" not in page and "First choice" not in page and "A lease of 1 to 12 months" not in page


def test_floor_plan_states_and_weekly_closures_read_in_chinese(client, session, make_user, login, now):
    """The floor plan's legend and a weekly closure's weekday come from the server's words."""
    from innocell.models import RecurringBlackout

    manager = make_user("manager", language="zh_Hant_HK")
    hs.create_unit(session, {"code": "02-01", "unit_type": "solo", "floor": 2, "monthly_rent": "9000"},
                   actor=manager, now=now)
    space, _start = _space(session, now)
    session.add(RecurringBlackout(space_id=space.id, weekday=0, start_time="12:00", end_time="13:00", reason="Lunch",
                                  created_at=now))
    session.commit()
    login(manager)
    plan = client.get("/manage/housing/units?floor=2").get_data(as_text=True)
    assert "空置" in plan and "已出租" in plan and "Offered (awaiting answer)" not in plan
    closures = client.get(f"/manage/spaces/{space.id}/blackouts").get_data(as_text=True)
    assert "星期一" in closures and "Monday" not in closures
