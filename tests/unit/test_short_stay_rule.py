"""The pure rule of short stays (allocation/short_stays.py): the limits a stay's dates keep,
its price, the nearest free dates; and a stay's rent due by the night (allocation/usage.py)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

from innocell.allocation import short_stays as rule
from innocell.allocation import usage

TODAY = date(2027, 3, 10)
LIMITS = rule.StayLimits(max_nights=7, days_ahead=30, nightly_rate=Decimal("350.00"))


def fields(check_in, check_out):
    return [f for f, _ in rule.violations(check_in, check_out, TODAY, LIMITS)]


def test_a_stay_is_one_night_to_the_longest_within_the_days_ahead():
    assert fields(date(2027, 3, 10), date(2027, 3, 11)) == []  # tonight, one night
    assert fields(date(2027, 4, 9), date(2027, 4, 16)) == []  # 30 days ahead, 7 nights
    assert fields(date(2027, 3, 12), date(2027, 3, 12)) == ["check_out"]
    assert fields(date(2027, 3, 12), date(2027, 3, 20)) == ["check_out"]  # 8 nights
    assert fields(date(2027, 3, 9), date(2027, 3, 11)) == ["check_in"]
    assert fields(date(2027, 4, 10), date(2027, 4, 11)) == ["check_in"]  # 31 days ahead
    message = dict(rule.violations(date(2027, 3, 12), date(2027, 3, 20), TODAY, LIMITS))["check_out"]
    assert "at most 7 nights; this is 8" in message


def test_the_price_is_the_rate_times_the_nights_and_the_default_rate_is_a_thirtieth_of_the_rent():
    assert rule.total(LIMITS.nightly_rate, date(2027, 3, 12), date(2027, 3, 15)) == Decimal("1050.00")
    assert rule.default_nightly_rate(Decimal("9100")) == Decimal("303.33")


def test_nearest_free_dates_skip_the_busy_nights_and_the_limits_nearest_first():
    busy = [(date(2027, 3, 14), date(2027, 3, 18))]
    found = rule.nearest_free(busy, date(2027, 3, 15), date(2027, 3, 17), TODAY, LIMITS, limit=3)
    # Two nights: ending by 14 Mar (start 12th, 2 days before) or from the 18th (3 days after).
    assert found == [date(2027, 3, 12), date(2027, 3, 18), date(2027, 3, 11)]
    # Never before today.
    assert rule.nearest_free([(date(2027, 3, 10), date(2027, 3, 12))], date(2027, 3, 10), date(2027, 3, 11),
                             TODAY, LIMITS, limit=1) == [date(2027, 3, 12)]


def test_a_stays_rent_due_is_its_nights_at_the_nightly_rate_in_each_month():
    stay = usage.LeaseInfo(1, date(2027, 3, 30), date(2027, 4, 3), Decimal("0"), "active", Decimal("350.00"))
    assert usage.lease_rent_due(stay, date(2027, 3, 1), date(2027, 4, 1)) == Fraction(700)
    assert usage.lease_rent_due(stay, date(2027, 4, 1), date(2027, 5, 1)) == Fraction(700)
    called_off = usage.LeaseInfo(1, date(2027, 3, 30), date(2027, 3, 30), Decimal("0"), "terminated", Decimal("350"))
    assert usage.lease_rent_due(called_off, date(2027, 3, 1), date(2027, 4, 1)) == 0
