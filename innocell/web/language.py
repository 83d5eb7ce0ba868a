"""Which language a page is written in (issue 17): Flask-Babel with a locale selector, the
catalogue compiled from its .po at start, and the footer's switch (a POST form, no script).

The choice, in order: the signed-in person's saved language (a bearer token's person for the
API); else the `lang` cookie an anonymous visitor set with the switch; else the browser's
Accept-Language; else English."""
from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

from flask import Blueprint, Flask, abort, g, redirect, request, url_for
from flask_babel import Babel, get_locale
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..services import languages as language_service
from ..services.languages import CHINESE_HK, ENGLISH, HTML_TAGS, LANGUAGES

bp = Blueprint("language", __name__)

COOKIE = "lang"
COOKIE_AGE = 365 * 24 * 3600
# Accept-Language tags we answer in Traditional Chinese (Hong Kong); Simplified asks get English.
_CHINESE_TAGS = ("zh-Hant-HK", "zh-HK", "zh-Hant", "zh-TW", "zh-MO", "zh")


def select_locale() -> str:
    if not request:
        return ENGLISH
    try:
        # The API's bearer-token user (web/access.principal, once it has asked), else the session's.
        person = g.get("principal") or (current_user if current_user.is_authenticated else None)
        if person is not None and language_service.known(person.language):
            return person.language
    except SQLAlchemyError:  # the database is down: the error page still renders
        pass
    chosen = language_service.known(request.cookies.get(COOKIE))
    if chosen:
        return chosen
    best = request.accept_languages.best_match(("en",) + _CHINESE_TAGS)
    if best and best != "en" and best.lower().startswith("zh"):
        return CHINESE_HK
    return ENGLISH


def current_code() -> str:
    locale = get_locale()
    return str(locale) if locale is not None and str(locale) in LANGUAGES else ENGLISH


def compile_catalogues(directory: Path) -> None:
    """Build each messages.mo from its messages.po when missing or older (the .mo is not kept in
    git, so it never lags the .po). Written to a temporary file and moved into place, so
    processes starting together never read half a file."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po_path in directory.glob("*/LC_MESSAGES/*.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=po_path.parent.parent.name)
        try:
            fd, tmp = tempfile.mkstemp(dir=po_path.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as out:
                write_mo(out, catalog, use_fuzzy=False)
            os.replace(tmp, mo_path)
        except OSError as exc:  # a read-only install: `make translations` must have built it
            logging.getLogger(__name__).warning("could not compile %s: %s", po_path, exc)


def install(app: Flask, translations: Path) -> None:
    compile_catalogues(translations)
    app.config.setdefault("BABEL_DEFAULT_LOCALE", ENGLISH)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(translations)
    Babel(app, locale_selector=select_locale)

    @app.context_processor
    def _language():
        code = current_code()
        return {"html_lang": HTML_TAGS[code], "language_code": code, "languages": LANGUAGES}


def _back() -> str:
    """Where the switch returns: the page it was on (a local path only), else home."""
    target = request.form.get("next", "")
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("main.index")


@bp.post("/language")
def switch():
    code = language_service.known(request.form.get("language"))
    if code is None:
        abort(400)
    if current_user.is_authenticated:
        language_service.set_language(db.session, current_user._get_current_object(), code)
    response = redirect(_back(), 303)
    response.set_cookie(COOKIE, code, max_age=COOKIE_AGE, samesite="Lax", httponly=True,
                        secure=request.is_secure)
    return response
