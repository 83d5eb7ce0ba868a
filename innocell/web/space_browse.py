"""Find a space by what it has: the spaces list filtered by kind, equipment (every ticked piece),
minimum seats and floor. A space the person is not trained for stays in the list, greyed, with
the reason and how to get access, and its Book button disabled."""
from __future__ import annotations

from flask import Blueprint, render_template, request

from ..extensions import db
from ..forms import select_choices
from ..forms.space_attributes import SpaceFilterForm
from ..services import space_attributes as attributes
from ..services import spaces as space_service
from ..timeutil import utcnow
from .access import principal, roles_required
from .display import kind_label

bp = Blueprint("space_browse", __name__)

BOOKERS = ("resident", "manager", "admin")


@bp.get("/spaces/browse")
@roles_required(*BOOKERS)
def browse():
    spaces = space_service.list_spaces(db.session)
    form = SpaceFilterForm(formdata=request.args)
    kinds = list(dict.fromkeys(s.kind for s in spaces))
    form.kind.choices = select_choices([("", "Every kind")] + [(k, kind_label(k)) for k in kinds])
    form.equipment.choices = [(t, t) for t in attributes.equipment_tags(spaces)]
    form.floor.choices = select_choices([("", "Any floor")] + [(f, f) for f in attributes.floors(spaces)])
    shown = spaces
    if request.args and form.validate():
        kind = form.kind.data or None
        shown = [s for s in spaces if (kind is None or s.kind == kind)
                 and attributes.matches(s, **form.wanted(), floor=form.floor.data)]
    notes = attributes.access_notes(db.session, principal(), shown, utcnow())
    return render_template("spaces/browse.html", form=form, spaces=shown, notes=notes, total=len(spaces))
