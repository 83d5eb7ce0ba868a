"""Emailed single-use links: password reset, invitation, email confirmation (of the sign-in
address, or of a new contact address). One mechanism for all four:

- only the SHA-256 of the link's secret is stored (like API tokens); the notice that carries
  the link goes through the outbox and the mailer (services/notifications.py, mailer.py);
- a link works once: it is taken with a conditional UPDATE (unused and unexpired -> used), so
  two racing uses cannot both win, and a refused use (a weak new password) rolls the taking
  back with the rest of its transaction;
- it expires (PASSWORD_RESET_MINUTES, INVITATION_DAYS, EMAIL_VERIFICATION_DAYS), and a new
  link of the same kind for the same person ends the earlier ones;
- at most ACCOUNT_LINKS_PER_HOUR links of a kind per person an hour: more requests send
  nothing and answer the same (a reset request never says whether an email has an account).

Setting a password from a link (reset or invitation) ends every browser session and revokes
every API token of the account (accounts.change_password), and confirms the email: the
person has shown they read mail sent there."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..models import AccountLink, User
from . import Forbidden, NotFound, RuleViolation
from .accounts import change_password, normalise_email
from .audit import record
from .login_throttle import EMAIL_MAX
from .notifications import notify
from .settings import setting
from .tx import transaction
from .wording import Text, _
from .phrasing import gettext
from ..allocation.phrasing import N_

LIFETIMES = {"password_reset": ("PASSWORD_RESET_MINUTES", "minutes"), "invitation": ("INVITATION_DAYS", "days"),
             "email_verification": ("EMAIL_VERIFICATION_DAYS", "days"), "contact_email": ("EMAIL_VERIFICATION_DAYS", "days")}
PASSWORD_PURPOSES = ("password_reset", "invitation")
CONFIRM_PURPOSES = ("email_verification", "contact_email")
GONE = N_("This link has expired or has already been used. Ask for a new one.")


def digest(plain: str) -> str:
    return hashlib.sha256(plain.encode("utf-8", "surrogatepass")).hexdigest()


def lifetime(purpose: str) -> timedelta:
    name, unit = LIFETIMES[purpose]
    return timedelta(**{unit: int(setting(name))})


def lifetime_text(purpose: str) -> Text:
    """How long the link works, '30 minutes' / '3 days', in the reader's language."""
    name, unit = LIFETIMES[purpose]
    n = int(setting(name))
    if unit == "minutes":
        return _("%(num)s minute", num=n) if n == 1 else _("%(num)s minutes", num=n)
    return _("%(num)s day", num=n) if n == 1 else _("%(num)s days", num=n)


def path_for(purpose: str, plain: str) -> str:
    """The link's path; the mailer puts PUBLIC_URL in front of it."""
    return f"/password/{plain}" if purpose in PASSWORD_PURPOSES else f"/confirm/{plain}"


def sent_recently(session: Session, user_id: int, purpose: str, now: datetime) -> int:
    return session.execute(select(func.count(AccountLink.id)).where(
        AccountLink.user_id == user_id, AccountLink.purpose == purpose,
        AccountLink.created_at > now - timedelta(hours=1))).scalar_one()


def may_send(session: Session, user_id: int, purpose: str, now: datetime) -> bool:
    return sent_recently(session, user_id, purpose, now) < int(setting("ACCOUNT_LINKS_PER_HOUR"))


def end_links(session: Session, user_id: int, purposes, now: datetime) -> None:
    """Unused links of these kinds stop working now."""
    session.execute(update(AccountLink).where(
        AccountLink.user_id == user_id, AccountLink.purpose.in_(tuple(purposes)), AccountLink.used_at.is_(None),
        AccountLink.expires_at > now).values(expires_at=now).execution_options(synchronize_session=False))


def issue(session: Session, user: User, purpose: str, *, now: datetime, email: str | None = None) -> str:
    """A new link (a step of the caller's transaction); earlier unused links of the kind end.
    Returns the secret, which is stored nowhere."""
    end_links(session, user.id, (purpose,), now)
    plain = secrets.token_urlsafe(32)
    session.add(AccountLink(user_id=user.id, purpose=purpose, token_hash=digest(plain), email=email or user.email,
                            created_at=now, expires_at=now + lifetime(purpose)))
    session.flush()
    return plain


def waiting_link(session: Session, user_id: int, purpose: str, *, now: datetime) -> AccountLink | None:
    """The person's latest link of this kind that still works (e.g. a contact email waiting
    for its confirmation)."""
    return session.execute(select(AccountLink).where(
        AccountLink.user_id == user_id, AccountLink.purpose == purpose, AccountLink.used_at.is_(None),
        AccountLink.expires_at > now).order_by(AccountLink.id.desc())).scalars().first()


def peek(session: Session, plain: str, purposes, now: datetime) -> AccountLink | None:
    """The link if it would work now (the page shows its form), else None."""
    if not isinstance(plain, str) or not plain or len(plain) > 200:
        return None
    link = session.execute(select(AccountLink).where(AccountLink.token_hash == digest(plain))).scalar_one_or_none()
    if link is None or link.purpose not in purposes or link.used_at is not None or link.expires_at <= now:
        return None
    return link


def _take(session: Session, plain: str, purposes, now: datetime) -> tuple[AccountLink, User]:
    """Use the link (once, whoever races), and lock its person."""
    if not isinstance(plain, str) or not plain or len(plain) > 200:
        raise NotFound(gettext(GONE))
    taken = session.execute(update(AccountLink).where(
        AccountLink.token_hash == digest(plain), AccountLink.purpose.in_(tuple(purposes)),
        AccountLink.used_at.is_(None), AccountLink.expires_at > now).values(used_at=now)
        .execution_options(synchronize_session=False))
    if taken.rowcount != 1:
        raise NotFound(gettext(GONE))
    link = session.execute(select(AccountLink).where(AccountLink.token_hash == digest(plain))
                           .execution_options(populate_existing=True)).scalar_one()
    user = session.execute(select(User).where(User.id == link.user_id).with_for_update()
                           .execution_options(populate_existing=True)).scalar_one()
    if normalise_email(link.email) != user.email and link.purpose != "contact_email":
        raise NotFound(gettext(GONE))  # the account's email changed since the link was sent
    return link, user


# ----------------------------------------------------------------------------- passwords


@transaction
def request_password_reset(session: Session, email, *, now: datetime) -> None:
    """Send a reset link to the account with this email, if there is one that may sign in.
    Answers nothing either way (the caller says the same to everyone)."""
    email = normalise_email(email if isinstance(email, str) else "")
    if not email or len(email) > EMAIL_MAX or not email.isprintable():
        return
    user = session.execute(select(User).where(User.email == email)).scalar_one_or_none()
    if user is None or not user.active or user.pending_approval:
        return
    if not may_send(session, user.id, "password_reset", now):
        return
    plain = issue(session, user, "password_reset", now=now)
    notify(session, user_id=user.id, kind="password_reset", now=now, to_email=user.email,
           subject=_("Reset your InnoCell password"), link=path_for("password_reset", plain),
           body=_("Someone asked to reset the password of your InnoCell account. Open the link to choose a new "
                  "one; it works once, for %(lifetime)s. Setting a new password signs you out everywhere and "
                  "revokes your API tokens. If you did not ask, ignore this message: your password stays as it is.",
                  lifetime=lifetime_text("password_reset")))


@transaction
def set_password_with_link(session: Session, plain: str, new_password: str, *, now: datetime) -> User:
    """Choose a password from a reset or invitation link: the link is used up, the email
    counts as confirmed, other sessions end and API tokens are revoked."""
    link, user = _take(session, plain, PASSWORD_PURPOSES, now)
    if not user.active:
        raise Forbidden(gettext("This account is deactivated; ask the park office."))
    change_password(session, user, new_password, now=now)
    if user.email_verified_at is None:
        user.email_verified_at = now
    end_links(session, user.id, PASSWORD_PURPOSES, now)
    record(session, actor_id=user.id, action="user.password_set", target_type="user", target_id=user.id, now=now,
           how=link.purpose)
    return user


# ----------------------------------------------------------------------------- confirming addresses


@transaction
def send_verification(session: Session, user: User, *, now: datetime) -> bool:
    """Email a link that confirms the sign-in address; False when already confirmed or when
    the hour's links are spent."""
    if user.email_verified_at is not None or not may_send(session, user.id, "email_verification", now):
        return False
    plain = issue(session, user, "email_verification", now=now)
    notify(session, user_id=user.id, kind="email_verification", now=now, to_email=user.email,
           subject=_("Confirm your email address for InnoCell"), link=path_for("email_verification", plain),
           body=_("Open the link to confirm that %(email)s is yours; it works once, for %(lifetime)s. You can book "
                  "spaces and apply for housing once it is confirmed.", email=user.email,
                  lifetime=lifetime_text("email_verification")))
    return True


@transaction
def request_contact_email(session: Session, user: User, new_email, *, now: datetime) -> str | None:
    """Notices go to a new address once it is confirmed by a link sent there. The sign-in
    address (or nothing) takes effect at once. Returns the address a link went to, or None."""
    email = normalise_email(new_email if isinstance(new_email, str) else "")
    user = session.execute(select(User).where(User.id == user.id).with_for_update()
                           .execution_options(populate_existing=True)).scalar_one()
    if not email or email == user.email:
        user.contact_email = None
        end_links(session, user.id, ("contact_email",), now)
        return None
    if "@" not in email or email.startswith("@") or email.endswith("@") or len(email) > EMAIL_MAX \
            or not email.isprintable() or " " in email:
        raise RuleViolation(gettext("Enter a valid email address."), violations=[
            {"rule": "contact_email", "message": gettext("Enter a valid email address.")}])
    if not may_send(session, user.id, "contact_email", now):
        raise RuleViolation(gettext("Too many confirmation links this hour; try again later."), violations=[
            {"rule": "contact_email", "message": gettext("Too many confirmation links this hour; try again later.")}])
    plain = issue(session, user, "contact_email", now=now, email=email)
    notify(session, user_id=user.id, kind="contact_email", now=now, to_email=email,
           subject=_("Confirm your contact email for InnoCell"), link=path_for("contact_email", plain),
           body=_("%(name)s asked InnoCell to send notices to %(email)s. Open the link to confirm; it works once, "
                  "for %(lifetime)s. If this was not you, ignore this message.", name=user.name, email=email,
                  lifetime=lifetime_text("contact_email")))
    return email


@transaction
def confirm_email(session: Session, plain: str, *, now: datetime) -> tuple[User, AccountLink]:
    """Use a confirmation link: the sign-in address is confirmed, or the contact address set."""
    link, user = _take(session, plain, CONFIRM_PURPOSES, now)
    if link.purpose == "email_verification":
        if user.email_verified_at is None:
            user.email_verified_at = now
    else:
        user.contact_email = link.email
    return user, link
