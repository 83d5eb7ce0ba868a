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
    UnitTypeInfo,
    WaitlistEntry,
)
from .ledger import CHARGE_KINDS, Charge, Payment
from .ops import AuditEvent, CalendarFeed, IdempotencyKey, JobRun, LongTask, Notification, ReportSnapshot
from .people import COMPANY_STATUSES, LINK_PURPOSES, AccountLink, Company, SiteSetting
from .spaces import (
    BOOKING_STATUSES,
    DEFAULT_OPENING_HOURS,
    Authorisation,
    Blackout,
    Booking,
    RecurringBlackout,
    SlotRequest,
    Space,
    SpaceActivePeriod,
    SpaceKind,
)
from .webhooks import WEBHOOK_EVENTS, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent

__all__ = [
    "ROLES", "ApiToken", "LoginAttempt", "User",
    "APPLICATION_STATUSES", "LEASE_STATUSES", "OFFER_KINDS", "OFFER_STATUSES", "UNIT_TYPES",
    "CHARGE_KINDS", "Charge", "Payment",
    "AllocationRound", "HousingApplication", "Lease", "Offer", "Unit", "UnitOutage", "UnitTypeInfo", "WaitlistEntry",
    "AuditEvent", "CalendarFeed", "IdempotencyKey", "JobRun", "LongTask", "Notification", "ReportSnapshot",
    "COMPANY_STATUSES", "LINK_PURPOSES", "AccountLink", "Company", "SiteSetting",
    "BOOKING_STATUSES", "DEFAULT_OPENING_HOURS", "Authorisation", "Blackout", "Booking",
    "RecurringBlackout", "SlotRequest", "Space", "SpaceActivePeriod", "SpaceKind",
    "WEBHOOK_EVENTS", "WebhookAttempt", "WebhookDelivery", "WebhookEndpoint", "WebhookEvent",
]
