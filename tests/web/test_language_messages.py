"""Refusals read in the reader's language (issue 17): the booking core's violations and conflict
reasons, form validation errors and housing / short-stay refusals are written in Traditional
Chinese (Hong Kong) for a person who chose it, with times and days the Chinese way, while an
English reader in the same run reads the same refusals in English."""
from __future__ import annotations

import re
from datetime import date

from innocell.services import bookings as booking_service
from innocell.services import housing as hs
from innocell.services.housing.short_stays import book_short_stay
from innocell.services.housing.unit_types import update_type_info
from innocell.services import spaces as space_service
from innocell.timeutil import utcnow
from tests.conftest import FIXED_NOW
from tests.web.space_times import ALL_DAY, at, next_tuesday

CHINESE = "zh_Hant_HK"


def _lab(session, make_user):
    manager = make_user("manager")
    space = space_service.create_space(session, {
        "code": "WL-01", "name": "Wet Lab A", "kind": "wet_lab", "capacity": 1, "opening_hours": ALL_DAY,
        "slot_minutes": 30, "min_minutes": 60, "max_minutes": 480, "buffer_minutes": 30}, actor=manager, now=utcnow())
    session.commit()
    return space


def _form(day, start, end):
    return {"date": day.isoformat(), "start": start, "end": end, "title": "PCR run"}


def _errors(page: str) -> str:
    """The page's text with tags dropped, to read the messages as a person does."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def _signed_in(app, user):
    """A browser of its own for `user` (two readers side by side in one test)."""
    browser = app.test_client()
    assert browser.post("/login", data={"email": user.email, "password": "tram-harbour-7"}).status_code == 302
    return browser


def test_a_refused_booking_reads_in_the_readers_language(app, session, make_user):
    lab = _lab(session, make_user)
    day = next_tuesday()  # Tue 8 Dec 2026
    holder = make_user()
    booking_service.book(session, user=holder, space_id=lab.id, start=at(day, "10:00"), end=at(day, "12:00"),
                         title="", now=utcnow())
    session.commit()
    chinese, english = make_user(language=CHINESE), make_user()

    client = _signed_in(app, chinese)
    taken = client.post(f"/spaces/{lab.id}/book", data=_form(day, "11:00", "13:00"))
    assert taken.status_code == 409
    text = _errors(taken.get_data(as_text=True))
    assert "Wet Lab A無法於 2026年12月8日週二 11:00-13:00 預訂" in text
    assert "由 11:00 至 12:30 已被預訂" in text  # the holder's booking and its 30-minute buffer
    assert "cannot be booked" not in text and "is booked from" not in text

    broken = client.post(f"/spaces/{lab.id}/book", data=_form(day, "07:10", "07:40"))
    assert broken.status_code == 422
    text = _errors(broken.get_data(as_text=True))
    assert "開始時間（07:10）及結束時間（07:40）均不在時間格上" in text
    assert "Wet Lab A每次預訂最短為 1 小時；這次為 30 分鐘。" in text
    assert "逢星期二開放時間為 08:00-20:00" in text
    assert "The shortest booking" not in text and "grid from midnight" not in text

    client = _signed_in(app, english)
    taken = _errors(client.post(f"/spaces/{lab.id}/book", data=_form(day, "11:00", "13:00")).get_data(as_text=True))
    assert "Wet Lab A cannot be booked for Tue 08 Dec 2026 11:00-13:00: Wet Lab A is booked from 11:00 to 12:30." \
        in taken
    broken = _errors(client.post(f"/spaces/{lab.id}/book", data=_form(day, "07:10", "07:40")).get_data(as_text=True))
    assert "The shortest booking of Wet Lab A is 1 h; this one is 30 min." in broken
    assert "無法於" not in taken and "時間格" not in broken


def test_a_form_error_reads_in_chinese(client, session, make_user, login):
    lab = _lab(session, make_user)
    login(make_user(language=CHINESE))
    response = client.post(f"/spaces/{lab.id}/book", data={"date": "", "start": "", "end": ""})
    assert response.status_code == 422
    text = _errors(response.get_data(as_text=True))
    assert "請選擇日期。" in text and "請選擇開始時間。" in text
    assert "Choose a date." not in text


def test_a_short_stay_refusal_reads_in_chinese(app, session, make_user):
    manager = make_user("manager")
    units = {code: hs.create_unit(session, {"code": code, "unit_type": "solo", "floor": 30, "monthly_rent": 9000,
                                            "short_stay": True}, actor=manager, now=FIXED_NOW)
             for code in ("30-01", "30-02")}
    update_type_info(session, "solo", {"nightly_rate": "450", "stay_max_nights": 10}, actor=manager, now=FIXED_NOW)
    book_short_stay(session, user=make_user(), unit_id=units["30-01"].id, check_in=date(2026, 12, 4),
                    check_out=date(2026, 12, 7), now=FIXED_NOW)
    session.commit()
    client = _signed_in(app, make_user(language=CHINESE))

    taken = client.post(f"/housing/stays/book?unit={units['30-01'].id}",
                        data={"check_in": "2026-12-05", "check_out": "2026-12-06"})
    assert taken.status_code == 409
    text = _errors(taken.get_data(as_text=True))
    assert "單位 30-01 在 2026年12月5日 至 2026年12月6日 期間不可用：由 2026年12月4日 至 2026年12月7日 已租出" in text
    assert "以下是最接近的空檔日期。" in text and "is not free" not in text

    too_long = client.post(f"/housing/stays/book?unit={units['30-02'].id}",
                           data={"check_in": "2026-12-02", "check_out": "2026-12-21"})
    assert too_long.status_code == 422
    assert "短住最多 10 晚；這次為 19 晚。" in _errors(too_long.get_data(as_text=True))

    empty = client.post(f"/housing/stays/book?unit={units['30-02'].id}", data={"check_in": "", "check_out": ""})
    assert "請選擇入住日。" in _errors(empty.get_data(as_text=True))


def test_one_home_a_night_refusal_reads_in_chinese(app, session, make_user):
    manager = make_user("manager")
    unit = hs.create_unit(session, {"code": "30-01", "unit_type": "solo", "floor": 30, "monthly_rent": 9000,
                                    "short_stay": True}, actor=manager, now=FIXED_NOW)
    other = hs.create_unit(session, {"code": "12-07", "unit_type": "solo", "floor": 12, "monthly_rent": 9000},
                           actor=manager, now=FIXED_NOW)
    resident = make_user(language=CHINESE)
    hs.create_lease(session, unit_id=other.id, user_id=resident.id, start="2026-12-01", end="2027-06-01",
                    actor=manager, now=FIXED_NOW)
    session.commit()
    client = _signed_in(app, resident)
    refused = client.post(f"/housing/stays/book?unit={unit.id}", data={"check_in": "2026-12-05",
                                                                      "check_out": "2026-12-06"})
    assert refused.status_code == 409
    text = _errors(refused.get_data(as_text=True))
    assert "你在 2026年12月5日 至 2026年12月6日 期間的部分日子已持有租約：單位 12-07，由 2026年12月1日 至 2027年6月1日" in text
    assert "每人每晚只可持有一個住所。" in text


def test_the_api_keeps_its_codes_and_writes_the_message_in_the_persons_language(api, session, make_user):
    lab = _lab(session, make_user)
    day = next_tuesday().isoformat()
    chinese, english = api(make_user(language=CHINESE)), api(make_user())
    request = {"space_id": lab.id, "start": f"{day}T10:00", "end": f"{day}T10:30"}

    refused = chinese.post("/api/v1/bookings", json=request)
    assert refused.status_code == 422
    body = refused.get_json()
    assert body["error"] == "rule_violation" and [v["rule"] for v in body["violations"]] == ["too_short"]
    assert body["violations"][0]["message"] == "Wet Lab A每次預訂最短為 1 小時；這次為 30 分鐘。"

    body = english.post("/api/v1/bookings", json=request).get_json()
    assert body["error"] == "rule_violation" and [v["rule"] for v in body["violations"]] == ["too_short"]
    assert body["violations"][0]["message"] == "The shortest booking of Wet Lab A is 1 h; this one is 30 min."
