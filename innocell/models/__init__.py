"""SQLAlchemy 2.x typed models: data and constraints only, no business rules."""
from .accounts import ROLES, ApiToken, LoginAttempt, User
from .housing import (
    APPLICATION_STATUSES,
    LEASE_STATUSES,
    OFFER_KINDS,
    OFFER_STATUSES,
    UNIT_TYPES,
    AllocationRound,
    HousingApplication,
    Lease,
    Offer,
    Unit,
    UnitOutage,
    WaitlistEntry,
)
from .ops import AuditEvent, JobRun, Notification, ReportSnapshot
from .spaces import (
    BOOKING_STATUSES,
    DEFAULT_OPENING_HOURS,
    Authorisation,
    Blackout,
    Booking,
    RecurringBlackout,
    SlotRequest,
    Space,
    SpaceKind,
)

__all__ = [
    "ROLES", "ApiToken", "LoginAttempt", "User",
    "APPLICATION_STATUSES", "LEASE_STATUSES", "OFFER_KINDS", "OFFER_STATUSES", "UNIT_TYPES",
    "AllocationRound", "HousingApplication", "Lease", "Offer", "Unit", "UnitOutage", "WaitlistEntry",
    "AuditEvent", "JobRun", "Notification", "ReportSnapshot",
    "BOOKING_STATUSES", "DEFAULT_OPENING_HOURS", "Authorisation", "Blackout", "Booking",
    "RecurringBlackout", "SlotRequest", "Space", "SpaceKind",
]
