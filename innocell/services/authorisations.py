"""Authorisations: who is trained for a space that requires it. `usable_spaces` is the one rule the
booking check, its suggestions and the free-space search all ask, so no answer offers a space
a person may not book."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Authorisation, Space, User
from . import NotFound, RuleViolation
from .audit import record
from .roles import MANAGER_ROLES
from .spaces import get_space
from .tx import transaction
from .phrasing import gettext


def usable_spaces(session: Session, user: User, spaces: list[Space], now: datetime) -> set[int]:
    """The ids of `spaces` this person may book: those that need no training, every space for
    the people who run them, and the spaces the person holds an authorisation for that is
    neither revoked nor expired at `now`. One query at most, whatever the number of spaces."""
    if user.role in MANAGER_ROLES:
        return {space.id for space in spaces}
    trained = [space.id for space in spaces if space.requires_authorisation]
    held = set(session.execute(
        select(Authorisation.space_id).where(
            Authorisation.user_id == user.id, Authorisation.space_id.in_(trained), Authorisation.revoked_at.is_(None),
            (Authorisation.expires_at.is_(None)) | (Authorisation.expires_at > now))
    ).scalars()) if trained else set()
    return {space.id for space in spaces if not space.requires_authorisation or space.id in held}


@transaction
def grant_authorisation(session: Session, *, user_id: int, space_id: int, expires_at: datetime | None, actor: User,
                        now: datetime, note: str = "") -> Authorisation:
    user = session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None:
        raise NotFound(gettext("There is no such person."))
    get_space(session, space_id)
    if expires_at is not None and expires_at <= now:
        raise RuleViolation(gettext("The authorisation must expire in the future."),
                            violations=[{"rule": "expires_at", "message": gettext("The expiry must be in the future.")}])
    note = (note or "").strip()[:300]
    auth = Authorisation(user_id=user_id, space_id=space_id, granted_by_id=actor.id, granted_at=now,
                         expires_at=expires_at, note=note)
    session.add(auth)
    session.flush()
    record(session, actor_id=actor.id, action="authorisation.grant", target_type="authorisation", target_id=auth.id,
           now=now, user_id=user_id, space_id=space_id,
           expires_at=expires_at.isoformat() if expires_at else None)
    return auth


@transaction
def revoke_authorisation(session: Session, authorisation_id: int, *, actor: User, now: datetime) -> Authorisation:
    """Revoking twice changes nothing."""
    auth = session.get(Authorisation, authorisation_id, populate_existing=True)
    if auth is None:
        raise NotFound(gettext("There is no authorisation %(authorisation_id)s.", authorisation_id=authorisation_id))
    if auth.revoked_at is None:
        auth.revoked_at = now
        record(session, actor_id=actor.id, action="authorisation.revoke", target_type="authorisation",
               target_id=auth.id, now=now, user_id=auth.user_id, space_id=auth.space_id)
    return auth


def list_authorisations(session: Session, *, space_id: int | None = None) -> list[Authorisation]:
    stmt = select(Authorisation).order_by(Authorisation.revoked_at.is_not(None), Authorisation.granted_at.desc(),
                                          Authorisation.id.desc())
    if space_id is not None:
        stmt = stmt.where(Authorisation.space_id == space_id)
    return list(session.execute(stmt).scalars())
