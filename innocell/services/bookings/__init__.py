"""Bookings of spaces by the hour: the guarded write around the pure allocation core.

- common.py   the shape of a request (times, title), the overlap scan bound, spans for people
- reads.py    bounded reads of what occupies a space (holds, blackouts, holidays)
- check.py    the check and its suggestions (writes nothing)
- write.py    book, cancel (or end early once begun), approve, reject, free what a
              blackout covers
- series.py   a recurrence booked as one series (preview, all or only the free ones), the
              old weekly repeat, cancel one / this and later / the whole series
- change.py   change a booking (time, length, space, title) with its own hold excluded; book on
              behalf of a resident (managers)
- series_change.py  change this and every later occurrence, or the whole series, all or nothing
- queries.py  lists of bookings as a viewer may see them
- week.py     availability, free spaces, the week calendar

Dependencies point one way: bookings uses spaces, authorisations, notifications and settings;
none of those imports bookings. `from ..services import bookings` gives the public API below.
"""
from __future__ import annotations

from .change import book_for, change, resident_to_book_for, residents_to_book_for
from .check import CheckResult, check, suggestions_for
from .common import clean_title, fmt_span, validate_times
from .queries import (
    count_bookings,
    get_booking,
    list_bookings,
    live_bookings_within,
    pending_bookings,
    upcoming_bookings,
)
from .week import availability, free_spaces, week_view
from .series import book_recurring, book_series, cancel_series, preview as preview_series
from .series_change import change_series
from .write import approve, book, cancel, cancel_for_blackout, ends_early_at, is_late, reject

__all__ = [
    "CheckResult", "approve", "availability", "book", "book_recurring", "book_series", "cancel", "cancel_series", "cancel_for_blackout", "check",
    "clean_title", "count_bookings", "ends_early_at", "fmt_span", "free_spaces", "get_booking", "is_late",
    "list_bookings",
    "live_bookings_within", "pending_bookings", "preview_series", "reject", "suggestions_for", "upcoming_bookings", "validate_times",
    "week_view",
    "book_for", "change", "change_series", "resident_to_book_for", "residents_to_book_for",
]
