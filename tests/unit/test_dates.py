"""Lease terms in calendar months: the end date a resident is told and the tenure counted
against MAX_TENURE_MONTHS both come from these two functions."""
from __future__ import annotations

from datetime import date

from innocell.allocation.dates import add_months, months_between


def test_a_month_later_keeps_the_day_or_clamps_to_the_months_last_day():
    assert add_months(date(2027, 1, 15), 1) == date(2027, 2, 15)
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 11, 30), 14) == date(2028, 1, 30)


def test_months_can_be_counted_back_across_a_year():
    assert add_months(date(2027, 1, 1), -1) == date(2026, 12, 1)
    assert add_months(date(2027, 3, 31), -13) == date(2026, 2, 28)


def test_a_started_month_counts_as_a_month_of_tenure():
    assert months_between(date(2026, 1, 1), date(2027, 1, 1)) == 12
    assert months_between(date(2026, 1, 1), date(2026, 1, 2)) == 1
    assert months_between(date(2026, 1, 31), date(2026, 2, 28)) == 1
    assert months_between(date(2027, 1, 1), date(2026, 1, 1)) == 0
