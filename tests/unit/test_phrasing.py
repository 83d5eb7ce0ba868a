"""The core's sentences in the reader's language (issue 17): with the default phrasing the core
writes its English exactly as before; with a `Localised` phrasing built from the Chinese
catalogue it writes the same facts in Traditional Chinese (Hong Kong), days, times and months
the Chinese way. Pure: the catalogue is read from the .po with Babel, no Flask."""
from __future__ import annotations

from datetime import date, datetime, timezone
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from innocell.allocation import conflict_reasons, short_stays, wait_estimate, waitlist
from innocell.allocation.phrasing import ENGLISH, Localised
from innocell.allocation.rules import SpaceSpec, rule_violations

HK = ZoneInfo("Asia/Hong_Kong")
UTC = timezone.utc
PO = Path(__file__).resolve().parents[2] / "translations" / "zh_Hant_HK" / "LC_MESSAGES" / "messages.po"


@pytest.fixture(scope="module")
def chinese() -> Localised:
    with PO.open("rb") as handle:
        catalogue = read_po(handle, locale="zh_Hant_HK")
    compiled = BytesIO()
    write_mo(compiled, catalogue)
    compiled.seek(0)
    return Localised(Translations(fp=compiled), Locale.parse("zh_Hant_HK"))


def hk(day: int, hhmm: str) -> datetime:
    h, m = map(int, hhmm.split(":"))
    return datetime(2026, 12, day, h, m, tzinfo=HK).astimezone(UTC)


def test_english_days_times_and_lengths_keep_the_cores_formats():
    local = datetime(2026, 12, 8, 14, 5)
    assert ENGLISH.moment(local) == "Tue 08 Dec 2026 14:05"
    assert ENGLISH.day(local.date()) == "Tue 08 Dec 2026"
    assert ENGLISH.plain_day(local.date()) == "08 Dec 2026"
    assert ENGLISH.date(date(2027, 3, 1)) == "1 Mar 2027"
    assert ENGLISH.clock(local) == "14:05"
    assert [ENGLISH.duration(m) for m in (45, 60, 90)] == ["45 min", "1 h", "1 h 30 min"]
    assert [ENGLISH.weekdays(i) for i in (0, 6)] == ["Mondays", "Sundays"]
    assert ENGLISH.ngettext("%(num)s night", "%(num)s nights", 1) == "1 night"
    assert ENGLISH.ngettext("%(num)s night", "%(num)s nights", 3) == "3 nights"
    assert ENGLISH("no %(x)s here", x="placeholder") == "no placeholder here"
    assert ENGLISH("50% as written") == "50% as written"  # no parameters: no formatting


def test_chinese_days_times_and_lengths(chinese):
    local = datetime(2026, 12, 8, 14, 5)
    assert chinese.moment(local) == "2026年12月8日週二 14:05"
    assert chinese.day(local.date()) == "2026年12月8日週二"
    assert chinese.plain_day(local.date()) == "2026年12月8日"
    assert chinese.date(date(2027, 3, 1)) == "2027年3月1日"
    assert chinese.clock(local) == "14:05"
    assert [chinese.duration(m) for m in (45, 60, 90)] == ["45 分鐘", "1 小時", "1 小時 30 分鐘"]
    assert chinese.weekdays(1) == "星期二"


def test_the_booking_rules_in_chinese_with_the_same_rule_codes(chinese):
    spec = SpaceSpec(name="Wet Lab A", min_minutes=60, max_days_ahead=3,
                     opening_hours={"tue": [["08:00", "20:00"]]})
    now = hk(1, "10:00")
    english = rule_violations(spec, hk(8, "07:10"), hk(8, "07:40"), now, HK)
    words = rule_violations(spec, hk(8, "07:10"), hk(8, "07:40"), now, HK, phrasing=chinese)
    assert [v["rule"] for v in words] == [v["rule"] for v in english] == \
        ["too_far_ahead", "outside_opening_hours", "off_grid", "too_short"]
    messages = [v["message"] for v in words]
    assert messages[0] == "Wet Lab A最多只可預早 3 日預訂，即最遲為 2026年12月4日週五 10:00。"
    assert messages[1] == "Wet Lab A在此時段部分時間不開放：逢星期二開放時間為 08:00-20:00。"
    assert "開始時間（07:10）及結束時間（07:40）均不在時間格上" in messages[2]
    assert messages[3] == "Wet Lab A每次預訂最短為 1 小時；這次為 30 分鐘。"
    assert english[3]["message"] == "The shortest booking of Wet Lab A is 1 h; this one is 30 min."


def test_conflict_reasons_and_the_refusal_sentence_in_chinese(chinese):
    spec = SpaceSpec(name="Wet Lab A", buffer_minutes=30)
    holds = [(hk(8, "10:00"), hk(8, "12:30"))]
    reasons = conflict_reasons.explain(spec, hk(8, "11:00"), hk(8, "13:00"), holds, [], HK, chinese)
    assert [r["reason"] for r in reasons] == ["booked"]
    assert conflict_reasons.sentence(spec, "2026年12月8日週二 11:00-13:00", reasons, chinese) == \
        "Wet Lab A無法於 2026年12月8日週二 11:00-13:00 預訂：Wet Lab A由 11:00 至 12:30 已被預訂。"
    buffer = conflict_reasons.explain(spec, hk(8, "09:00"), hk(8, "10:00"), holds, [], HK, chinese)
    assert buffer[0]["message"] == "你的預訂之後的 30 分鐘緩衝時間會與 10:00 的下一個預訂重疊"
    assert conflict_reasons.sentence(spec, "x", [], chinese) == "Wet Lab A在 x 期間部分時段已被佔用。"


def test_short_stay_limits_in_chinese(chinese):
    limits = short_stays.StayLimits(max_nights=10, days_ahead=30, nightly_rate=450)
    today = date(2026, 12, 1)
    assert short_stays.violations(date(2026, 12, 2), date(2026, 12, 21), today, limits, chinese) == [
        ("check_out", "短住最多 10 晚；這次為 19 晚。")]
    assert short_stays.violations(date(2027, 1, 5), date(2027, 1, 6), today, limits, chinese) == [
        ("check_in", "短住最多可預早 30 日預訂（最遲 2026年12月31日 入住）。")]
    assert short_stays.violations(date(2027, 1, 5), date(2027, 1, 6), today, limits) == [
        ("check_in", "Short stays can be booked at most 30 days ahead (check-in by 2026-12-31).")]
    assert short_stays.violations(date(2026, 11, 30), date(2026, 11, 30), today, limits, chinese) == [
        ("check_out", "退房日必須在入住日之後：入住最少一晚。"), ("check_in", "入住日已過；請選擇今天或之後的日子。")]


def test_waitlist_place_and_wait_estimate_in_chinese(chinese):
    joined = datetime(2026, 11, 1, tzinfo=UTC)
    me = waitlist.QueueEntry(id=3, tier=2, joined_at=joined)
    ahead = [waitlist.QueueEntry(id=1, tier=1, joined_at=joined), waitlist.QueueEntry(id=2, tier=2, joined_at=joined)]
    assert waitlist.explain(me, ahead, phrasing=chinese) == \
        "第 2 級；前面有 2 位申請人：1 位第 1 級、1 位較早加入的第 2 級。"
    assert waitlist.explain(me, [], phrasing=chinese) == "第 2 級；前面沒有人：你排第一。"
    assert wait_estimate.range_text(date(2027, 3, 5), date(2027, 5, 1), None, chinese) == "3月至2027年5月之間"
    assert wait_estimate.range_text(None, None, None, chinese) == "未能估計"
    assert wait_estimate.range_text(date(2027, 3, 5), date(2027, 5, 1)) == "between March and May 2027"


def test_a_stamp_in_either_language(chinese):
    local = datetime(2026, 12, 8, 14, 5)
    assert ENGLISH.stamp(local) == "08 Dec 2026 14:05"
    assert chinese.stamp(local) == "2026年12月8日 14:05"


def test_a_space_change_names_the_broken_rules_in_chinese(chinese):
    from innocell.allocation.space_change import Held, broken_by_change

    spec = SpaceSpec(name="Wet Lab A", slot_minutes=60, opening_hours={"tue": [["12:00", "20:00"]]})
    booking = Held(7, hk(8, "10:30"), hk(8, "11:30"), False)
    english = broken_by_change(spec, [booking], HK)[7]
    words = broken_by_change(spec, [booking], HK, phrasing=chinese)[7]
    assert [r["rule"] for r in words] == [r["rule"] for r in english] == ["off_grid", "outside_opening_hours"]
    assert english[1]["message"] == "It would be outside the opening hours: on Tuesdays it would be open 12:00-20:00."
    assert [r["message"] for r in words] == ["它的開始及結束時間不在新的 60 分鐘時間格上。",
                                             "它會在開放時間以外：逢星期二開放時間將為 12:00-20:00。"]
