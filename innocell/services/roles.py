"""Who may do what with spaces and bookings, named once for every service that asks."""
from __future__ import annotations

MANAGER_ROLES = ("manager", "admin")  # run the spaces: approve, cancel anyone's booking, need no training
STAFF_ROLES = ("manager", "admin", "finance")  # see every booking
BOOKER_ROLES = ("resident", "manager", "admin")  # make bookings and wait for slots
