"""Housing use cases, one module per noun: units (and outages), leases (and the claims that
keep a unit to one occupier a night), applications, rounds, offers and waitlists; common holds
what they share. Every function that changes data is one transaction (@transaction: it
commits, or rolls back and raises a ServiceError); `now` is always passed in; every manager
action is audited. JSON shapes live beside the API (innocell/web/api/housing_json.py).

The application imports from the noun modules. The use cases are re-exported here so that
`from innocell.services import housing` keeps working for scripts, tests and branches
written against the single module."""
from .applications import get_application, list_applications, submit_application, withdraw_application
from .leases import claims, create_lease, get_lease, lease_history, list_leases, terminate_lease
from .offers import accept_offer, decline_offer, expire_offers, get_offer, list_offers, make_offer
from .rounds import commit_round, list_rounds, preview_round
from .units import (
    add_outage,
    create_unit,
    floor_plan,
    floors,
    get_unit,
    list_outages,
    list_units,
    unit_type_summary,
    update_unit,
)
from .waitlists import join_waitlist, reorder_waitlist, waitlist, waitlist_position

__all__ = [
    "accept_offer", "add_outage", "claims", "commit_round", "create_lease", "create_unit", "decline_offer",
    "expire_offers", "floor_plan", "floors", "get_application", "get_lease", "get_offer", "get_unit",
    "join_waitlist", "lease_history", "list_applications", "list_leases", "list_offers", "list_outages",
    "list_rounds", "list_units", "make_offer", "preview_round", "reorder_waitlist", "submit_application",
    "terminate_lease", "unit_type_summary", "update_unit", "waitlist", "waitlist_position", "withdraw_application",
]
