"""What each unit type offers, as residents browse it (size, furnishings, a photo and a floor
plan link), edited by managers (audited); and the terms an offer is accepted on (deposit,
house rules: configuration)."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from urllib.parse import urlparse

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import UNIT_TYPES, Offer, UnitTypeInfo, User
from .. import BadRequest, NotFound
from ..audit import record
from ..settings import setting
from ..tx import transaction
from ..fields import money as money_field
from .common import Violations, as_int
from ..phrasing import gettext

EDITABLE = ("name_zh", "size_sqm", "furnishings", "photo_url", "plan_url", "nightly_rate", "stay_max_nights", "stay_days_ahead")
STAY_LIMITS = {"stay_max_nights": ("longest short stay in nights", 1, 365),
               "stay_days_ahead": ("days ahead a short stay may be booked", 0, 730)}


def type_infos(session: Session) -> dict[str, UnitTypeInfo]:
    return {i.unit_type: i for i in session.execute(select(UnitTypeInfo)).scalars()}


def chinese_names(session: Session) -> dict[str, str]:
    """unit type -> its Traditional Chinese name, for the types that have one."""
    return dict(session.execute(select(UnitTypeInfo.unit_type, UnitTypeInfo.name_zh)
                                .where(UnitTypeInfo.name_zh.is_not(None))).all())


def _url(value, field: str, v: Violations) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        v.add(field, gettext("The link must be text."))
        return None
    value = value.strip()
    parsed = urlparse(value)
    if len(value) > 500 or (parsed.scheme not in ("http", "https") and not value.startswith("/")) or \
            (parsed.scheme and not parsed.netloc) or value.startswith("//"):
        v.add(field, gettext("The link must be an http(s) address or a path on this site (at most 500 characters)."))
        return None
    return value


@transaction
def update_type_info(session: Session, unit_type, data: dict, *, actor: User, now: datetime) -> UnitTypeInfo:
    """Set what a unit type offers; only the fields given change."""
    if unit_type not in UNIT_TYPES:
        raise NotFound(gettext("There is no unit type %(unit_type)s.", unit_type=unit_type))
    if not isinstance(data, dict):
        raise BadRequest(gettext("Send the changes as a JSON object."))
    v = Violations()
    fields = {}
    if "size_sqm" in data:
        raw = data["size_sqm"]
        fields["size_sqm"] = None if raw in (None, "") else as_int(raw, "size_sqm", v, minimum=1, maximum=1000,
                                                                     label="size in square metres")
    if "name_zh" in data:
        name = data["name_zh"]
        if name is not None and not isinstance(name, str):
            v.add("name_zh", "The Chinese name must be text.")
        elif name and len(name.strip()) > 100:
            v.add("name_zh", "The Chinese name can be at most 100 characters.")
        else:
            fields["name_zh"] = (name or "").strip() or None
    if "furnishings" in data:
        text = data["furnishings"]
        if text is not None and not isinstance(text, str):
            v.add("furnishings", gettext("The furnishings must be text."))
        elif text and len(text.strip()) > 1000:
            v.add("furnishings", gettext("Describe the furnishings in at most 1000 characters."))
        else:
            fields["furnishings"] = (text or "").strip() or None
    for name in ("photo_url", "plan_url"):
        if name in data:
            fields[name] = _url(data[name], name, v)
    if "nightly_rate" in data:
        raw = data["nightly_rate"]
        if raw in (None, ""):
            fields["nightly_rate"] = None
        else:
            try:
                fields["nightly_rate"] = money_field(raw, label="nightly rate", allow_minimum=False)
            except ValueError as exc:
                v.add("nightly_rate", str(exc))
    for name, (label, lo, hi) in STAY_LIMITS.items():
        if name in data:
            raw = data[name]
            fields[name] = None if raw in (None, "") else as_int(raw, name, v, minimum=lo, maximum=hi, label=label)
    v.raise_if_any()
    info = session.get(UnitTypeInfo, unit_type, with_for_update=True)
    if info is None:
        info = UnitTypeInfo(unit_type=unit_type)
        session.add(info)
    changes = {}
    for key, value in fields.items():
        if getattr(info, key) != value:
            changes[key] = [getattr(info, key), value]
            setattr(info, key, value)
    info.updated_at = now
    session.flush()
    if changes:
        record(session, actor_id=actor.id, action="unit_type.update", target_type="unit_type", target_id=None,
               now=now, unit_type=unit_type, changes={k: [str(a) if a is not None else None,
                                                          str(b) if b is not None else None]
                                                      for k, (a, b) in changes.items()})
    return info


def offer_terms(offer: Offer) -> dict:
    """The terms a resident agrees to by accepting: deposit and house rules (configuration)."""
    months = setting("HOUSING_DEPOSIT_MONTHS")
    deposit = (Decimal(offer.monthly_rent) * months).quantize(Decimal("0.01")) if months and offer.kind != "renewal" \
        else None
    return {"deposit": deposit, "deposit_months": months, "house_rules": setting("HOUSE_RULES")}
