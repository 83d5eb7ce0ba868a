"""The estimated wait in the pure core: renewal rates smoothed towards a default, the range of
months by which enough units free for the people ahead, and the monthly forecast."""
from __future__ import annotations

from datetime import date

import pytest

from innocell.allocation import wait_estimate as w

TODAY = date(2026, 12, 1)


def test_renewal_rate_uses_the_default_without_history_and_the_record_with_much():
    assert w.renewal_rate(0, 0) == w.DEFAULT_RENEWAL_RATE
    assert w.renewal_rate(1, 1) == pytest.approx((1 + 0.5 * 2) / 3)
    assert w.renewal_rate(200, 150) == pytest.approx(0.75, abs=0.01)
    assert w.renewal_rate(3, 9) == pytest.approx((3 + 1) / 5)  # accepted never exceeds offered


def test_first_in_line_with_a_free_unit_waits_no_longer_than_the_move_in_day():
    est = w.estimate(today=TODAY, unit_type="solo", ahead=0, free_now=1, ends=[], rate=0.5)
    assert (est.earliest, est.likely, est.latest) == (TODAY, TODAY, TODAY)
    assert est.range_text == "in December 2026"
    later = w.estimate(today=TODAY, unit_type="solo", ahead=0, free_now=1, ends=[], rate=0.5,
                       move_in=date(2027, 2, 15))
    assert later.earliest == date(2027, 2, 15)


def test_certain_vacancies_give_exact_dates_and_people_ahead_push_the_wait_back():
    ends = [w.LeaseEnd(date(2027, 3, 1), certain=True), w.LeaseEnd(date(2027, 5, 1), certain=True)]
    first = w.estimate(today=TODAY, unit_type="suite", ahead=0, free_now=0, ends=ends, rate=0.9)
    second = w.estimate(today=TODAY, unit_type="suite", ahead=1, free_now=0, ends=ends, rate=0.9)
    third = w.estimate(today=TODAY, unit_type="suite", ahead=2, free_now=0, ends=ends, rate=0.9)
    assert (first.earliest, first.latest) == (date(2027, 3, 1), date(2027, 3, 1))
    assert (second.earliest, second.latest) == (date(2027, 5, 1), date(2027, 5, 1))
    assert third.earliest is None and third.range_text == "after December 2027"
    assert second.sentence.startswith("1 person is ahead of you; 2 suite leases end in the next 12 months")


def test_uncertain_renewals_widen_the_range_and_a_higher_rate_delays_it():
    ends = [w.LeaseEnd(date(2027, m, 1)) for m in range(1, 13)]
    low = w.estimate(today=TODAY, unit_type="twin", ahead=1, free_now=0, ends=ends, rate=0.2)
    high = w.estimate(today=TODAY, unit_type="twin", ahead=1, free_now=0, ends=ends, rate=0.6)
    assert low.earliest <= low.likely <= low.latest
    assert low.earliest < low.latest  # a range, not a day
    assert high.likely > low.likely and high.latest >= low.latest
    assert low.range_text.startswith("between ")


def test_range_text_reads_like_people_say_it():
    assert w.range_text(date(2027, 3, 4), date(2027, 5, 1)) == "between March and May 2027"
    assert w.range_text(date(2027, 11, 4), date(2028, 2, 1)) == "between November 2027 and February 2028"
    assert w.range_text(date(2027, 3, 4), date(2027, 3, 20)) == "in March 2027"
    assert w.range_text(date(2027, 3, 4), None, date(2027, 12, 1)) == \
        "from March 2027, possibly after December 2027"


def test_monthly_forecast_counts_free_units_now_and_the_share_not_renewed():
    ends = [w.LeaseEnd(date(2027, 1, 31)), w.LeaseEnd(date(2027, 1, 1), certain=True), w.LeaseEnd(date(2028, 1, 1))]
    months = w.monthly_forecast(today=TODAY, free_now=2, ends=ends, rate=0.25)
    assert len(months) == 12 and months[0] == (date(2026, 12, 1), 2.0)
    assert months[1] == (date(2027, 1, 1), 1.75)
    assert sum(v for _, v in months) == pytest.approx(3.75)  # the 2028 end is past the horizon


@pytest.mark.parametrize("kwargs, sentence", [
    (dict(unit_type="suite", ahead=2, free_now=1,
          ends=[w.LeaseEnd(date(2027, 3, 1), True), w.LeaseEnd(date(2027, 6, 1), True)],
          rate=w.renewal_rate(4, 3), offered=4, accepted=3),
     "2 people are ahead of you; 1 suite unit is free now, 2 suite leases end in the next 12 months and 3 of 4 "
     "renewal offers for suite units were accepted in the past year (so about 67% renew): a unit is likely to free "
     "for you in June 2027."),
    (dict(unit_type="solo", ahead=0, free_now=0, ends=[w.LeaseEnd(date(2027, 2, 1), True)], rate=0.5),
     "No one is ahead of you; 1 solo lease ends in the next 12 months and with no renewal history for solo units "
     "we assume 50% renew: a unit is likely to free for you in February 2027."),
    (dict(unit_type="twin", ahead=1, free_now=2, ends=[], rate=0.5),
     "1 person is ahead of you; 2 twin units are free now, no twin leases end in the next 12 months and with no "
     "renewal history for twin units we assume 50% renew: a unit is likely to free for you in December 2026."),
])
def test_the_reasoning_is_one_sentence_naming_each_input(kwargs, sentence):
    assert w.estimate(today=TODAY, **kwargs).sentence == sentence


def test_a_lease_end_already_passed_frees_today_and_one_past_the_horizon_does_not_count():
    ends = [w.LeaseEnd(date(2026, 11, 1), True), w.LeaseEnd(date(2027, 12, 1), True)]
    est = w.estimate(today=TODAY, unit_type="solo", ahead=0, free_now=0, ends=ends, rate=0.5)
    assert est.earliest == TODAY  # an end already passed frees today
    assert "1 solo lease ends" in est.sentence
    assert est.horizon_end == date(2027, 12, 1)
