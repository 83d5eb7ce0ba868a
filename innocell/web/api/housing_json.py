"""The housing API's JSON shapes (CONTRACT.md, Housing): one function per resource, beside the
handlers that answer them. Instants carry the local zone's offset; money is a number in cents."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from ...models import AllocationRound, HousingApplication, Lease, Offer, Unit, UnitOutage, WaitlistEntry
from ...services.housing.common import money
from ...services.housing.short_stays import cancellable, stay_total
from ...timeutil import iso_local, local_zone


def unit_json(unit: Unit, *, status_on: str | None = None) -> dict:
    """Unit: {"id","code","unit_type","floor","monthly_rent","occupancy","status"}; `status_on`
    (a state computed for a day, e.g. 'out_of_service' during an outage) overrides the status."""
    return {
        "id": unit.id,
        "code": unit.code,
        "unit_type": unit.unit_type,
        "floor": unit.floor,
        "monthly_rent": money(unit.monthly_rent),
        "occupancy": unit.occupancy,
        "status": status_on or unit.status,
        "description": unit.description,
        "short_stay": bool(unit.short_stay),
    }


def outage_json(outage: UnitOutage) -> dict:
    return {"id": outage.id, "unit_id": outage.unit_id, "start": outage.start_date.isoformat(),
            "end": outage.end_date.isoformat(), "reason": outage.reason}


def lease_json(lease: Lease) -> dict:
    return {
        "id": lease.id,
        "unit_id": lease.unit_id,
        "user_id": lease.user_id,
        "start": lease.start_date.isoformat(),
        "end": lease.end_date.isoformat(),
        "monthly_rent": money(lease.monthly_rent),
        "status": lease.status,
        "unit_code": lease.unit.code if lease.unit is not None else None,
        "previous_lease_id": lease.previous_lease_id,
        "termination_reason": lease.termination_reason,
        "overlap_allowed": bool(lease.overlap_allowed),
        "overlap_reason": lease.overlap_reason,
        "kind": lease.kind or "home",
        "nightly_rate": money(lease.nightly_rate),
    }


def offer_json(offer: Offer, tz: ZoneInfo | None = None) -> dict:
    tz = tz or local_zone()
    return {
        "id": offer.id,
        "kind": offer.kind,
        "user_id": offer.user_id,
        "unit_id": offer.unit_id,
        "lease_id": offer.lease_id,
        "start": offer.start_date.isoformat(),
        "end": offer.end_date.isoformat(),
        "expires_at": iso_local(offer.expires_at, tz),
        "status": offer.status,
        "monthly_rent": money(offer.monthly_rent),
        "unit_code": offer.unit.code if offer.unit is not None else None,
        "application_id": offer.application_id,
        "waitlist_entry_id": offer.waitlist_entry_id,
        "round_id": offer.round_id,
        "responded_at": iso_local(offer.responded_at, tz),
        "agreed_at": iso_local(offer.agreed_at, tz),
    }


def application_json(app: HousingApplication, tz: ZoneInfo | None = None) -> dict:
    return {
        "id": app.id,
        "user_id": app.user_id,
        "unit_type": app.unit_type,
        "move_in": app.move_in.isoformat(),
        "term_months": app.term_months,
        "status": app.status,
        "term_nights": app.term_nights,
        "occupants": app.occupants,
        "preferred_unit_ids": list(app.preferred_unit_ids or []),
        "preferred_floor": app.preferred_floor,
        "kind": app.kind,
        "change_reason": app.change_reason,
        "reason": app.reason,
        "created_at": iso_local(app.created_at, tz or local_zone()),
        # A transfer request: the dates overlap this lease of the applicant, which an accepted
        # offer ends the day the new lease starts.
        "transfer": app.transfer_from_lease_id is not None,
        "transfer_from_lease_id": app.transfer_from_lease_id,
        "transfer_from_unit": app.transfer_from.unit.code if app.transfer_from is not None else None,
        # A joint application (a twin unit for two): the partner and their answer.
        "partner_id": app.partner_id,
        "partner_name": app.partner.name if app.partner is not None else None,
        "partner_status": app.partner_status,
    }


def estimate_json(est) -> dict | None:
    """An estimated wait (allocation.wait_estimate.Estimate) as the API answers it."""
    if est is None:
        return None
    return {"earliest": est.earliest.isoformat() if est.earliest else None,
            "likely": est.likely.isoformat() if est.likely else None,
            "latest": est.latest.isoformat() if est.latest else None,
            "range": est.range_text, "renewal_rate": round(est.rate, 3), "reasoning": est.sentence}


def waitlist_entry_json(entry: WaitlistEntry, position: int | None, ahead: int | None,
                        explanation: str | None = None, tz: ZoneInfo | None = None, estimate=None) -> dict:
    out = {
        "id": entry.id,
        "unit_type": entry.unit_type,
        "position": position,
        "ahead": ahead,
        "priority_tier": entry.priority_tier,
        "joined_at": iso_local(entry.joined_at, tz or local_zone()),
        "status": entry.status,
        "user_id": entry.user_id,
        "application_id": entry.application_id,
        "explanation": explanation,
        "reason": entry.reason,
    }
    if estimate is not None:
        out["estimate"] = estimate_json(estimate)
    return out


def round_json(rnd: AllocationRound | dict) -> dict:
    """A committed round (its stored result) or a preview (the payload, id None)."""
    data = rnd if isinstance(rnd, dict) else dict(rnd.result or {}, id=rnd.id)
    return {"id": data.get("id"), "assignments": data.get("assignments", []),
            "unassigned": data.get("unassigned", []), "score": data.get("score", 0.0),
            "weights": data.get("weights"), "committed": data.get("committed", False)}


def short_stay_json(stay: Lease, *, today=None) -> dict:
    """ShortStay: a lease of kind short_stay seen as a stay (check-in, check-out, price)."""
    return {
        "id": stay.id,
        "unit_id": stay.unit_id,
        "unit_code": stay.unit.code,
        "user_id": stay.user_id,
        "check_in": stay.start_date.isoformat(),
        "check_out": stay.end_date.isoformat(),
        "nights": (stay.end_date - stay.start_date).days,
        "nightly_rate": money(stay.nightly_rate or 0),
        "total": money(stay_total(stay)),
        "status": stay.status,
        "cancellable": today is not None and cancellable(stay, today),
    }


def free_stay_json(row: dict) -> dict:
    return {"unit": unit_json(row["unit"]), "check_in": row["check_in"].isoformat(),
            "check_out": row["check_out"].isoformat(), "nights": row["nights"],
            "nightly_rate": money(row["nightly_rate"]), "total": money(row["total"])}
