"""Defaults for InnoCell; every upper-case name can be overridden by an environment
variable of the same name (see CONTRACT.md section 2)."""
from __future__ import annotations

import os

DEFAULTS: dict[str, object] = {
    # Infrastructure
    "DATABASE_URL": "",  # empty: SQLite file under instance/
    "SECRET_KEY": "",  # empty: generated once under instance/ (development only)
    "INNOCELL_ENV": "development",
    "INNOCELL_TIMEZONE": "Asia/Hong_Kong",
    "INNOCELL_SCHEDULER": False,
    "SMTP_URL": "",
    "SENTRY_DSN": "",  # optional error reporting (the `errors` extra); empty: off
    "MAIL_FROM": "InnoCell <no-reply@innocell.local>",
    # Accounts and security
    # Sign-in throttling (services/login_throttle.py): past a limit, each further failure doubles
    # the wait (1 s, 2 s, 4 s, ... up to LOGIN_MAX_DELAY_SECONDS); nobody is locked out.
    "LOGIN_MAX_FAILURES": 5,  # one account from one client address
    "LOGIN_ADDRESS_MAX_FAILURES": 20,  # one client address, any account (offices share one behind NAT)
    "LOGIN_ACCOUNT_MAX_FAILURES": 20,  # one account from all addresses its owner has not used recently
    "LOGIN_FAILURE_WINDOW_MINUTES": 24 * 60,  # failures older than this no longer count (and are pruned)
    "LOGIN_MAX_DELAY_SECONDS": 15 * 60,
    "LOGIN_FAMILIAR_DAYS": 30,  # an address the owner signed in from within this many days is theirs
    "API_TOKEN_HOURS": 24 * 30,
    # Emailed single-use links (services/account_links.py) and where they point
    "PUBLIC_URL": "http://127.0.0.1:5000",  # the app's address in emails (never taken from a request's Host)
    "PASSWORD_RESET_MINUTES": 60,
    "INVITATION_DAYS": 14,
    "EMAIL_VERIFICATION_DAYS": 7,
    "ACCOUNT_LINKS_PER_HOUR": 3,  # per account and kind; more requests in the hour send nothing
    "MAX_REQUEST_BYTES": 1024 * 1024,  # a larger body answers 413 too_large
    "IDEMPOTENCY_WAIT_SECONDS": 10,  # a retry waits this long for the first request's answer
    # Bookings
    "BOOKING_HORIZON_DAYS": 60,  # default max_days_ahead for new spaces
    "BOOKING_MAX_SCAN_HOURS": 24 * 7,  # longest booking + buffer the overlap scan must look back over
    "QUOTA_HOURS_PER_WEEK": {"wet_lab": 40, "dry_lab": 40, "meeting_room": 20, "event_space": 16, "gym": 14, "music_room": 10},
    "QUOTA_DEFAULT_HOURS_PER_WEEK": 40,
    # Bookings one resident may hold at the same instant, per kind (labs: one at a time).
    # Like the quotas above, these seed the managed list of kinds (space_kinds) and are the
    # defaults for a kind added without its own limits; afterwards the kind's row decides.
    "SIMULTANEOUS_BOOKINGS": {"wet_lab": 1, "dry_lab": 1},
    "SIMULTANEOUS_DEFAULT_BOOKINGS": 2,
    "SUGGESTION_COUNT": 5,
    "NO_SHOW_GRACE_MINUTES": 15,
    "REMINDER_HOURS": 24,
    # Housing
    "RENEWAL_NOTICE_DAYS": 60,
    "RENEWAL_RESPONSE_DAYS": 14,
    "OFFER_RESPONSE_DAYS": 7,
    "MAX_TENURE_MONTHS": 36,
    "RENEWAL_TERM_MONTHS": 12,
    # Shown when a resident accepts an offer, and agreed to with it (the time is recorded).
    "HOUSING_DEPOSIT_MONTHS": 1,  # deposit in months of rent (0: none)
    "HOUSE_RULES": ("Quiet hours are 23:00 to 07:00. No smoking anywhere in the building. Guests may stay "
                    "at most 3 nights a month. Keep corridors and fire exits clear. Report damage to the "
                    "housing team within 48 hours."),
    # Short stays booked directly (units marked short_stay): the limits when the unit type sets
    # none; a type without its own nightly rate charges its monthly rent / 30 a night
    "SHORT_STAY_MAX_NIGHTS": 28,
    "SHORT_STAY_DAYS_AHEAD": 180,
    # Allocation round weights: higher total weight wins (published on the manager page)
    "ALLOCATION_WEIGHT_TIER": 1000,  # per tier step above the lowest tier
    "ALLOCATION_WEIGHT_PREFERENCE": 100,  # for the first preferred unit, falling by rank
    "ALLOCATION_WEIGHT_WAIT_DAY": 1,  # per day the application has waited
    # Retention: people who left (deactivated, nothing live) are anonymised after this many months
    "RETENTION_MONTHS": 24,
    # Backups (SQLite installs): a daily copy into this folder, the newest N kept; empty: off
    "BACKUP_DIR": "",
    "BACKUP_KEEP": 7,
    # Charges ledger (issue 18): the charges job re-checks this many months before the last
    # finished one for adjustments; a balance unpaid this many days after its month is overdue;
    # account codes of the accounting journal per charge kind (JSON)
    "CHARGES_ADJUST_MONTHS": 2,
    "CHARGES_EVERY_MINUTES": 60,  # the charges job does its work at most this often
    "OVERDUE_DAYS": 30,
    "ACCOUNT_CODES": {"receivable": "1200", "bank": "1010", "rent": "4000", "booking": "4100",
                      "late_cancellation": "4150", "no_show": "4160"},
    # Scheduler
    "JOB_INTERVAL_SECONDS": 60,
    "JOB_MISFIRE_GRACE_SECONDS": 300,
    # Long work off the request (issue 17): worker threads per process; a running task whose
    # progress has not moved for this long is shown as lost (its process died); how often the
    # progress page polls (ms) or, without scripts, refreshes (s); a raw-records CSV over
    # this many rows is prepared with a progress page rather than streamed at once
    "TASK_WORKERS": 2,
    "TASK_STALE_SECONDS": 900,
    "TASK_POLL_MS": 1000,
    "TASK_REFRESH_SECONDS": 2,
    "EXPORT_BACKGROUND_ROWS": 20000,
    # Webhooks: attempts per delivery (back-off 1, 2, 4... minutes) and the receiver's timeout
    "WEBHOOK_MAX_ATTEMPTS": 6,
    "WEBHOOK_TIMEOUT_SECONDS": 5.0,
    # Paging
    "PAGE_SIZE": 25,
}


def _coerce(default: object, raw: str) -> object:
    """Turn an environment string into the type of the default it overrides."""
    import json

    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    if isinstance(default, (dict, list)):
        return json.loads(raw)
    return raw


def load(environ: dict[str, str] | None = None) -> dict[str, object]:
    """Defaults overridden by the environment; nothing else is read at import."""
    environ = dict(os.environ if environ is None else environ)
    values = dict(DEFAULTS)
    for key, default in DEFAULTS.items():
        if key in environ and environ[key] != "":
            try:
                values[key] = _coerce(default, environ[key])
            except (ValueError, TypeError) as exc:
                raise SystemExit(f"Configuration {key}={environ[key]!r} is not valid: {exc}") from None
    return values
