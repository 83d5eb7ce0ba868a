"""The month grid (allocation/month_grid.py) gives the finance page's months in one pass:
each month of it equals the figures of that month computed on its own, and its rent equals
`usage.lease_rent_due` lease by lease, exactly (no rounding anywhere)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from innocell.allocation import month_grid, usage
from tests.unit.test_usage import HK, date_ranges, housing, spaces_case


@settings(max_examples=120, deadline=None)
@given(housing(), date_ranges(max_len=400), st.sampled_from(usage.OCCUPANCY_GROUPS))
def test_each_month_of_the_grid_is_that_month_on_its_own(data, period, group):
    units, outages, leases = data
    start, end = period
    grid = month_grid.occupancy_by_month(units, outages, leases, start, end, group)
    pieces = usage.month_pieces(start, end)
    assert list(grid) == [month for month, _, _ in pieces]
    for month, a, b in pieces:
        alone = month_grid.occupancy_over_period(units, outages, leases, a, b, group)
        assert [(label, f.available_unit_nights, f.occupied_unit_nights, f.rent_due) for label, f in grid[month]] \
            == [(label, f.available_unit_nights, f.occupied_unit_nights, f.rent_due) for label, f in alone]


@settings(max_examples=120, deadline=None)
@given(housing(), date_ranges(max_len=400))
def test_rent_per_unit_is_the_sum_of_each_leases_rent_due(data, period):
    units, outages, leases = data
    start, end = period
    got = {label: f.rent_due for label, f in month_grid.occupancy_over_period(units, outages, leases, start, end,
                                                                               "unit")}
    for unit in units:
        assert got[unit.code] == sum((usage.lease_rent_due(lease, start, end) for lease in leases[unit.id]),
                                     Fraction(0))


def test_a_lease_over_a_leap_february_is_prorated_by_each_months_length():
    unit = usage.UnitInfo(1, "A", "solo", 1)
    lease = usage.LeaseInfo(1, date(2028, 1, 20), date(2028, 3, 10), Decimal("2900.00"))
    short = usage.LeaseInfo(1, date(2028, 3, 20), date(2028, 3, 23), Decimal("9999"), nightly_rate=Decimal("450.50"))
    grid = month_grid.occupancy_by_month([unit], {}, {1: [lease, short]}, date(2028, 1, 15), date(2028, 4, 1), "unit")
    [(_, jan)], [(_, feb)], [(_, mar)] = grid.values()
    assert (jan.available_unit_nights, jan.occupied_unit_nights, jan.rent_due) == (17, 12, Fraction(2900) * 12 / 31)
    assert (feb.available_unit_nights, feb.occupied_unit_nights, feb.rent_due) == (29, 29, Fraction(2900))
    assert (mar.occupied_unit_nights, mar.rent_due) == (9 + 3, Fraction(2900) * 9 / 31 + Fraction("450.50") * 3)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spaces_case())
def test_lab_fees_of_each_month_are_the_utilisation_reports_fees_of_that_month(case):
    """Periods of spaces_case run from 30 November into December: a booking over midnight
    of 1 December pays each month its own part."""
    space, bookings, blackouts, recurring, holidays, (start, end) = case
    pieces = usage.month_pieces(start, end)
    bounds = [usage.period_instants(a, b, HK)[0] for _, a, b in pieces] + [usage.period_instants(start, end, HK)[1]]
    got = month_grid.lab_fees_by_month([space], bookings, bounds, HK, holidays)
    want = [usage.space_figures(space, bookings, *usage.period_instants(a, b, HK), HK, holidays=holidays,
                                blackouts=blackouts, recurring=recurring).fees for _, a, b in pieces]
    assert got == want
