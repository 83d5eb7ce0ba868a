"""The languages the pages are offered in, and a person's choice among them (issue 17)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from ..models import User
from . import BadRequest
from .tx import transaction
from .phrasing import gettext

ENGLISH = "en"
CHINESE_HK = "zh_Hant_HK"
# Locale id (Babel) -> the name people pick it by, written in that language.
LANGUAGES = {ENGLISH: "English", CHINESE_HK: "繁體中文"}
# Locale id -> the BCP 47 tag for <html lang>.
HTML_TAGS = {ENGLISH: "en", CHINESE_HK: "zh-Hant-HK"}


def known(code: str | None) -> str | None:
    """The locale id `code` names, or None when it is not one we offer."""
    return code if code in LANGUAGES else None


@transaction
def set_language(session: Session, user: User, code: str) -> User:
    """Save the language a signed-in person reads the pages in."""
    if known(code) is None:
        raise BadRequest(gettext("Unknown language %(code)s; one of %(join)s.", code=repr(code), join=', '.join(LANGUAGES)))
    user.language = code
    return user
