"""WTForms (Flask-WTF) forms; CSRF is on for every one."""
from __future__ import annotations

from collections.abc import Iterable

from wtforms.fields.choices import SelectChoice


def select_choices(pairs: Iterable[tuple[object, str]]) -> list[SelectChoice]:
    """(value, label) pairs as the options a SelectField or RadioField takes."""
    return [SelectChoice(value, label) for value, label in pairs]
