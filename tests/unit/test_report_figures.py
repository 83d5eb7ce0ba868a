"""The pure rules behind finance figures that reconcile: totals are sums with rates recomputed
(never averaged), open hours only while a space existed and was active, pending time apart
from booked and billed time, a unit with an open offer is promised, and the waitlist's totals
are taken over every entry."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from innocell.allocation import listings, usage
from innocell.allocation.hours import WEEKDAYS
from innocell.allocation.totals import total_of, totals

HK = ZoneInfo("Asia/Hong_Kong")
UTC = timezone.utc


def hk(month, day, hour=0):
    return datetime(2026, month, day, hour, tzinfo=HK).astimezone(UTC)


def test_totals_sum_the_figures_and_recompute_the_rate_from_the_sums():
    rows = [{"open": Decimal("10.00"), "booked": Decimal("9.00"), "rate": 0.9},
            {"open": Decimal("90.00"), "booked": Decimal("9.00"), "rate": 0.1}]
    got = totals(rows, ("open", "booked"), {"rate": ("booked", "open")})
    assert got == {"open": Decimal("100.00"), "booked": Decimal("18.00"), "rate": 0.18}  # not (0.9 + 0.1) / 2
    assert totals([], ("open", "booked"), {"rate": ("booked", "open")}) == {"open": 0, "booked": 0, "rate": None}
    assert total_of([{"x": None}, {"x": None}], "x") is None  # a figure the rows do not have
    assert total_of([{"x": 2}, {"x": None}, {"x": 3}], "x") == 5


def test_a_space_counts_open_hours_only_while_it_existed_and_was_active():
    hours = {d: [["08:00", "20:00"]] for d in WEEKDAYS}
    ws, we = usage.period_instants(date(2026, 11, 1), date(2026, 12, 1), HK)
    always = usage.SpaceInfo(1, "L", "wet_lab", 2, hours)
    assert usage.space_figures(always, [], ws, we, HK).open_hours == 30 * 12 * 2
    created_today = usage.SpaceInfo(1, "L", "wet_lab", 2, hours, active_periods=((hk(11, 30, 14), None),))
    assert usage.space_figures(created_today, [], ws, we, HK).open_hours == 6 * 2  # 14:00-20:00 on the 30th
    toggled = usage.SpaceInfo(1, "L", "wet_lab", 1, hours,
                              active_periods=((hk(10, 1), hk(11, 3)), (hk(11, 28), None)))
    assert usage.space_figures(toggled, [], ws, we, HK).open_hours == 5 * 12  # 1-2 and 28-30 November
    never = usage.SpaceInfo(1, "L", "wet_lab", 1, hours, active_periods=())
    assert usage.space_figures(never, [], ws, we, HK).open_hours == 0


def test_pending_time_is_apart_and_unbilled():
    space = usage.SpaceInfo(1, "L", "wet_lab", 1, {d: [["08:00", "20:00"]] for d in WEEKDAYS}, Decimal("100"))
    ws, we = usage.period_instants(date(2026, 11, 1), date(2026, 12, 1), HK)
    bookings = [usage.BookingInfo(1, hk(11, 2, 9), hk(11, 2, 11), "confirmed"),
                usage.BookingInfo(1, hk(11, 3, 9), hk(11, 3, 12), "pending"),
                usage.BookingInfo(1, hk(11, 4, 9), hk(11, 4, 12), "cancelled")]
    f = usage.space_figures(space, bookings, ws, we, HK)
    assert (f.booked_hours, f.pending_hours, f.fees) == (2, 3, 200)
    assert f.utilisation_rate == float(Fraction(2, 30 * 12))


def test_a_unit_with_an_open_offer_is_promised_not_free():
    today = date(2026, 12, 1)
    units = [usage.UnitInfo(1, "A", "solo", 1), usage.UnitInfo(2, "B", "solo", 1), usage.UnitInfo(3, "C", "solo", 1)]
    offers = {1: [(date(2026, 11, 25), date(2027, 5, 25))],  # offered over tonight: promised
              2: [(date(2026, 12, 10), date(2027, 6, 10))]}  # offered from the 10th: free for 9 nights
    got = listings.vacancies(units, {}, {}, today, offers)
    assert [v.unit.code for v in got] == ["B", "C"]
    b, c = got
    assert (b.promised_from, b.next_lease_start, b.free_nights_ahead(today)) == (date(2026, 12, 10), None, 9)
    assert (c.promised_from, c.free_nights_ahead(today)) == (None, None)
    lease = {2: [usage.LeaseInfo(2, date(2026, 12, 5), date(2027, 1, 1), Decimal(1))]}
    assert listings.vacancies(units[1:2], {}, lease, today, offers)[0].free_nights_ahead(today) == 4


def test_waitlist_totals_take_the_median_over_every_entry():
    now = datetime(2026, 12, 1, tzinfo=UTC)
    entries = [("suite", now - timedelta(days=d)) for d in (1, 2, 3)] + [("solo", now - timedelta(days=40))]
    by_type = {s.unit_type: s for s in listings.waitlist_stats(entries, now)}
    assert (by_type["suite"].median_wait_days, by_type["solo"].median_wait_days) == (2.0, 40.0)
    total = listings.waitlist_totals(entries, now)
    assert (total.waiting, total.median_wait_days, total.longest_wait_days) == (4, 2.5, 40.0)  # not (2 + 40) / 2
    assert listings.waitlist_totals([], now).median_wait_days is None
