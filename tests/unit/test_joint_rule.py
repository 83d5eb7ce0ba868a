"""The pure rule of joint applications (allocation/joint.py) and a blocked applicant in the
round optimiser: a pair waits for the partner, the partner must be someone else and the unit
type must take two, and the partner's own lease keeps the pair out with a reason."""
from __future__ import annotations

from datetime import date

from innocell.allocation import joint
from innocell.allocation import rounds as core
from innocell.allocation.homes import Home


def test_only_a_confirmed_joint_application_enters_rounds():
    assert joint.enters_rounds(None, None)
    assert joint.enters_rounds(7, "confirmed")
    assert not joint.enters_rounds(7, "pending") and not joint.enters_rounds(7, "declined")


def test_the_partner_must_be_another_resident_for_a_unit_that_takes_two():
    assert "no resident" in joint.partner_problem(1, None, 2)
    assert "someone else" in joint.partner_problem(1, 1, 2)
    assert "takes two" in joint.partner_problem(1, 2, 1)
    assert joint.partner_problem(1, 2, 2) is None


def test_the_partners_lease_blocks_the_pair_and_the_round_says_why():
    homes = [Home(lease_id=5, unit_code="03-01", start=date(2026, 9, 1), end=date(2027, 3, 1))]
    reason = joint.blocked("Pat", homes, date(2027, 2, 1), date(2027, 8, 1))
    assert reason.startswith("Your partner Pat already holds a lease") and "03-01" in reason
    assert joint.blocked("Pat", homes, date(2027, 3, 1), date(2027, 9, 1)) is None  # from the day it ends
    pair = core.Applicant(id=1, tier=3, unit_type="twin", move_in=date(2027, 2, 1), end=date(2027, 8, 1),
                          occupants=2, blocked=reason)
    free = core.CandidateUnit(id=9, unit_type="twin", occupancy=2)
    result = core.solve_round([pair], [free])
    assert result.assignments == () and result.unassigned[0].reason == reason
