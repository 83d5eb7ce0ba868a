"""The reader's language for what the services say (issue 17): the core's sentences are worded
through `current()`, and refusals the services raise are marked with `_` (Flask-Babel's gettext)
so a person reading Traditional Chinese sees them in Chinese, on pages and in the API's
`message` (the `error` and `rule` codes stay the same English words). Outside a request (the
command line, scheduled jobs) both are English."""
from __future__ import annotations

from flask import has_request_context
from flask_babel import get_locale, get_translations
from flask_babel import gettext  # noqa: F401  (the services' marker for raised messages)
from flask_babel import ngettext  # noqa: F401

from ..allocation.phrasing import ENGLISH, Localised, Phrasing


def day_text(day) -> str:
    """A day in the reader's language: '1 Mar 2027', '2027年3月1日'."""
    return current().date(day)


def current() -> Phrasing:
    """The core's phrasing in the request's language; English outside a request."""
    if not has_request_context():
        return ENGLISH
    locale = get_locale()
    if locale is None or locale.language == "en":
        return ENGLISH
    return Localised(get_translations(), locale)
