"""Realistic demo data in the park's shape: a 17-floor tower of about 511 units in four
types, labs and rooms with opening hours, residents of several companies and tiers,
leases, bookings, open applications and a waitlist. Deterministic for a given `now`.
The data keeps every rule the allocator keeps: no unit let twice a night, one home a person a
night, no space over capacity, no resident over a kind's simultaneous limit."""
from __future__ import annotations

import random
import secrets
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..allocation.dates import add_months
from ..allocation.intervals import overlaps
from ..models import (
    Booking,
    Company,
    HousingApplication,
    Lease,
    Space,
    SpaceKind,
    Unit,
    UnitTypeInfo,
    User,
    WaitlistEntry,
)
from . import space_kinds
from .accounts import hash_password
from .tx import transaction

DEMO_LOGINS = (
    ("resident", "resident@innocell.demo", "resident-pass", "Rita Resident", "NanoBio Labs", 2),
    ("manager", "manager@innocell.demo", "manager-pass", "Max Manager", "InnoCell Facilities", 3),
    ("finance", "finance@innocell.demo", "finance-pass", "Fiona Finance", "InnoCell Finance", 3),
    ("admin", "admin@innocell.demo", "admin-pass", "Ada Admin", "InnoCell", 3),
)

UNIT_MIX = (("solo", 16, Decimal("9800"), 1), ("twin", 8, Decimal("13800"), 2),
            ("suite", 4, Decimal("16800"), 2), ("powerhub", 2, Decimal("24800"), 4))

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# The demo's unit types as Chinese readers know them (managers edit them on the type's page).
UNIT_TYPE_NAMES_ZH = {"solo": "單人單位", "twin": "雙人單位", "suite": "套房", "powerhub": "PowerHub 團隊單位"}


def _hours(weekday: tuple[str, str], weekend: tuple[str, str] | None) -> dict:
    hours = {d: [list(weekday)] for d in WEEKDAYS[:5]}
    if weekend:
        hours.update({d: [list(weekend)] for d in WEEKDAYS[5:]})
    return hours


SPACES = (
    # code, name, kind, capacity, hours, slot, min, max, buffer, rate, approval, authorisation, checkin, holidays
    ("WL-01", "Wet Lab 1", "wet_lab", 1, _hours(("08:00", "20:00"), None), 30, 60, 480, 30, "380", False, False, True, True),
    ("WL-02", "Wet Lab 2", "wet_lab", 1, _hours(("08:00", "20:00"), None), 30, 60, 480, 30, "380", False, False, True, True),
    ("WL-03", "Wet Lab 3", "wet_lab", 1, _hours(("08:00", "22:00"), ("09:00", "18:00")), 30, 60, 480, 30, "420", False, False, True, True),
    ("WL-SH", "Shared Wet Lab (4 benches)", "wet_lab", 4, _hours(("08:00", "22:00"), ("09:00", "18:00")), 30, 60, 480, 0, "150", False, True, True, True),
    ("DL-01", "Dry Lab 1", "dry_lab", 1, _hours(("08:00", "22:00"), ("09:00", "18:00")), 30, 30, 480, 0, "220", False, False, False, False),
    ("DL-02", "Dry Lab 2", "dry_lab", 1, _hours(("08:00", "22:00"), ("09:00", "18:00")), 30, 30, 480, 0, "220", False, False, False, False),
    ("DL-03", "Electronics Lab", "dry_lab", 6, _hours(("08:00", "22:00"), None), 30, 30, 480, 0, "90", False, False, False, False),
    ("MR-01", "Meeting Room Harbour", "meeting_room", 1, _hours(("08:00", "22:00"), ("09:00", "18:00")), 30, 30, 240, 0, "120", False, False, False, False),
    ("MR-02", "Meeting Room Peak", "meeting_room", 1, _hours(("08:00", "22:00"), ("09:00", "18:00")), 30, 30, 240, 0, "120", False, False, False, False),
    ("MR-03", "Meeting Room Lantau", "meeting_room", 1, _hours(("08:00", "22:00"), None), 30, 30, 240, 0, "100", False, False, False, False),
    ("MR-04", "Boardroom", "meeting_room", 1, _hours(("08:00", "20:00"), None), 30, 60, 480, 15, "300", True, False, False, False),
    ("EV-01", "Event Hall", "event_space", 1, _hours(("08:00", "23:00"), ("08:00", "23:00")), 60, 120, 720, 60, "900", True, False, False, False),
    ("GYM", "Residents' Gym", "gym", 12, _hours(("06:00", "23:00"), ("07:00", "22:00")), 30, 30, 120, 0, "0", False, False, False, False),
    ("MUS-01", "Music Room", "music_room", 1, _hours(("10:00", "22:00"), ("10:00", "22:00")), 30, 30, 180, 0, "0", False, False, False, False),
)

COMPANIES = ("NanoBio Labs", "QuantaSense", "Harbour Robotics", "GreenCell Energy", "MedAI Diagnostics",
             "FinLedger", "AquaGen", "Kowloon Devices", "Lion Rock Analytics", "Peak Materials")
# Company records: status, default tier, email domain (people there may register themselves).
COMPANY_RECORDS = {name: ("incubatee" if i < 4 else ("alumnus" if i == 9 else "tenant"), 1 if i < 4 else 3,
                          name.lower().replace(" ", "") + ".demo") for i, name in enumerate(COMPANIES)}
COMPANY_RECORDS.update({name: ("park", 3, None) for name in ("InnoCell", "InnoCell Facilities", "InnoCell Finance")})
FIRST = ("Alex", "Bonnie", "Chris", "Dana", "Eason", "Faye", "Gigi", "Hugo", "Ivy", "Jason", "Karen", "Leo",
         "Mandy", "Nick", "Olivia", "Paco", "Queenie", "Ray", "Sandy", "Tommy", "Vivian", "Wing", "Yan", "Zoe")
LAST = ("Chan", "Wong", "Lee", "Cheung", "Lau", "Ng", "Ho", "Leung", "Tang", "Lam", "Yip", "Tsang", "Kwok", "Mak")


def is_empty(session: Session) -> bool:
    return session.execute(select(func.count(User.id))).scalar_one() == 0


@transaction
def seed(session: Session, *, now: datetime, tz: ZoneInfo, scale: int = 1) -> dict:
    """Insert the demo data in one transaction; returns counts."""
    rng = random.Random(20261128)
    today = now.astimezone(tz).date()
    counts = {"users": 0, "units": 0, "spaces": 0, "leases": 0, "bookings": 0, "applications": 0, "waitlist": 0}

    # Companies, then accounts: the four demo logins, then generated residents sharing one hash
    # (argon2 is slow on purpose). Demo accounts count as verified.
    companies: dict[str, Company] = {}
    for name, (status, default_tier, domain) in COMPANY_RECORDS.items():
        companies[name] = session.execute(select(Company).where(Company.name_key == name.lower())).scalar_one_or_none() \
            or Company(name=name, name_key=name.lower(), status=status, default_priority_tier=default_tier,
                       email_domain=domain, billing_contact_name=f"Accounts, {name}",
                       billing_contact_email=f"accounts@{domain}" if domain else None, created_at=now, updated_at=now)
        session.add(companies[name])
    session.flush()
    users: dict[str, User] = {}
    for role, email, password, name, company, tier in DEMO_LOGINS:
        if session.execute(select(User).where(User.email == email)).scalar_one_or_none():
            users[role] = session.execute(select(User).where(User.email == email)).scalar_one()
            continue
        user = User(email=email, name=name, role=role, company_id=companies[company].id, priority_tier=tier,
                    password_hash=hash_password(password), session_token=secrets.token_hex(16), created_at=now,
                    email_verified_at=now)
        session.add(user)
        users[role] = user
        counts["users"] += 1
    shared_hash = hash_password("resident-pass")
    residents: list[User] = []
    n_residents = 460 * scale
    for i in range(n_residents):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        tier = 1 if i % 7 == 0 else (2 if i % 3 == 0 else 3)
        user = User(email=f"{first.lower()}.{last.lower()}.{i}@residents.demo", name=f"{first} {last}",
                    role="resident", company_id=companies[rng.choice(COMPANIES)].id, priority_tier=tier,
                    password_hash=shared_hash, session_token=secrets.token_hex(16),
                    created_at=now - timedelta(days=rng.randint(30, 900)))
        user.email_verified_at = user.created_at
        session.add(user)
        residents.append(user)
    counts["users"] += n_residents

    # The tower: 17 floors per scale step, 30 units a floor plus one penthouse powerhub.
    units: list[Unit] = []
    for tower in range(1, scale + 1):
        prefix = "" if scale == 1 else f"T{tower}-"
        for floor in range(1, 18):
            number = 1
            for unit_type, per_floor, rent, occupancy in UNIT_MIX:
                for _ in range(per_floor):
                    units.append(Unit(code=f"{prefix}{floor:02d}-{number:02d}", unit_type=unit_type, floor=floor,
                                      monthly_rent=rent + Decimal(100 * (floor // 5)), occupancy=occupancy,
                                      status="available", created_at=now))
                    number += 1
        units.append(Unit(code=f"{prefix}17-PH", unit_type="powerhub", floor=17, monthly_rent=Decimal("32800"),
                          occupancy=4, status="available", created_at=now))
    session.add_all(units)
    counts["units"] = len(units)

    for unit_type, name_zh in UNIT_TYPE_NAMES_ZH.items():  # what Chinese readers call the types
        info = session.get(UnitTypeInfo, unit_type) or UnitTypeInfo(unit_type=unit_type)
        info.name_zh, info.updated_at = info.name_zh or name_zh, now
        session.add(info)
    space_kinds.seed_kinds(session, now=now)  # the managed kinds (migration 0004 seeds them too)
    for kind in session.execute(select(SpaceKind).where(SpaceKind.label_zh.is_(None))).scalars():
        kind.label_zh = space_kinds.DEFAULT_LABELS_ZH.get(kind.key)  # the migration's kinds have none
    spaces: list[Space] = []
    for copy in range(1, scale + 1):
        for (code, name, kind, cap, hours, slot, mn, mx, buf, rate, approval, auth, checkin, hol) in SPACES:
            suffix = "" if copy == 1 else f"-{copy}"
            spaces.append(Space(code=code + suffix, name=name + ("" if copy == 1 else f" ({copy})"), kind=kind,
                                capacity=cap, opening_hours=hours, slot_minutes=slot, min_minutes=mn, max_minutes=mx,
                                buffer_minutes=buf, max_days_ahead=60, hourly_rate=Decimal(rate),
                                requires_approval=approval, requires_authorisation=auth, requires_checkin=checkin,
                                closed_on_holidays=hol, active=True,
                                created_at=now - timedelta(days=400)))  # open as long as the building
    session.add_all(spaces)
    session.flush()
    counts["spaces"] = len(spaces)

    # Leases: about three units in four let; powerhubs and suites full so demand exceeds supply.
    # Each let unit has its current 12-month lease and, mostly, the lease before it (ended),
    # so a year of history reads like a running building rather than one filling up.
    tenants = iter(residents)
    current_tenants: list[User] = []
    moved_in: dict[int, object] = {}  # a current tenant's move-in day
    earlier_tenants: set[int] = set()  # people who already hold one of the leases before
    resident_unit = next(u for u in units if u.unit_type == "solo" and u.code.endswith("-16"))
    for unit in units:
        if unit is resident_unit:
            continue
        let = rng.random() < {"solo": 0.7, "twin": 0.72, "suite": 1.0, "powerhub": 1.0}[unit.unit_type]
        if not let:
            continue
        tenant = next(tenants, None)
        if tenant is None:
            break
        current_tenants.append(tenant)
        start = add_months(today.replace(day=1), -rng.randint(1, 11))
        moved_in[tenant.id] = start
        session.add(Lease(unit_id=unit.id, user_id=tenant.id, start_date=start, end_date=add_months(start, 12),
                          monthly_rent=unit.monthly_rent, status="active", created_at=now))
        counts["leases"] += 1
        # The lease before: a tenant who has since moved to their current unit, so that lease
        # ended before their current one began (one home a night).
        movers = [t for t in current_tenants if moved_in[t.id] >= start and t.id not in earlier_tenants]
        if rng.random() < 0.85 and movers:
            mover = rng.choice(movers)
            earlier_tenants.add(mover.id)
            session.add(Lease(unit_id=unit.id, user_id=mover.id,
                              start_date=add_months(start, -12), end_date=start,
                              monthly_rent=unit.monthly_rent - Decimal(200), status="ended",
                              created_at=now - timedelta(days=400)))
            counts["leases"] += 1
    # The demo resident holds a lease too, ending soon so renewals show.
    session.add(Lease(unit_id=resident_unit.id, user_id=users["resident"].id,
                      start_date=add_months(today.replace(day=1), -11), end_date=today + timedelta(days=40),
                      monthly_rent=resident_unit.monthly_rent, status="active", created_at=now))
    counts["leases"] += 1
    session.flush()

    # Applications for the coming month (some will be placed by a round, some waitlisted).
    housed = {lease_user for lease_user in session.execute(select(Lease.user_id)).scalars()}
    applicants = [u for u in residents if u.id not in housed][: 24 * scale]
    move_in = add_months(today.replace(day=1), 1)
    for i, user in enumerate(applicants):
        unit_type = ("solo", "twin", "suite", "powerhub")[i % 4]
        session.add(HousingApplication(user_id=user.id, unit_type=unit_type, move_in=move_in,
                                       term_months=rng.choice((6, 12)), occupants=1, preferred_unit_ids=[],
                                       status="submitted", created_at=now - timedelta(days=rng.randint(1, 60))))
        counts["applications"] += 1
    # A standing waitlist for the scarce types.
    wait_users = [u for u in residents if u.id not in housed][24 * scale: 24 * scale + 8 * scale]
    for i, user in enumerate(wait_users):
        unit_type = ("powerhub", "suite")[i % 2]
        app = HousingApplication(user_id=user.id, unit_type=unit_type, move_in=today + timedelta(days=14),
                                 term_months=12, occupants=1, preferred_unit_ids=[], status="waitlisted",
                                 reason=f"No {unit_type} unit was free for the requested dates.",
                                 created_at=now - timedelta(days=90 - i))
        session.add(app)
        session.flush()
        session.add(WaitlistEntry(user_id=user.id, application_id=app.id, unit_type=unit_type,
                                  priority_tier=user.priority_tier, joined_at=now - timedelta(days=90 - i),
                                  status="waiting"))
        counts["waitlist"] += 1

    # Bookings: the next two weeks, back to back at most, inside opening hours; nobody over a
    # kind's simultaneous limit.
    bookers = residents[:60] + [users["resident"]]
    held: dict[tuple[int, str], list[tuple[datetime, datetime]]] = {}
    limits = {kind: space_kinds.limits(session, kind)[1] for kind in {s.kind for s in spaces}}
    for space in spaces:
        if space.requires_authorisation:
            continue
        for offset in range(-7, 14):
            day = today + timedelta(days=offset)
            windows = space.opening_hours.get(WEEKDAYS[day.weekday()], [])
            if not windows:
                continue
            opens, closes = windows[0]
            cursor = datetime.combine(day, time.fromisoformat(opens), tz)
            close_at = datetime.combine(day, time.fromisoformat(closes), tz)
            while True:
                cursor += timedelta(minutes=space.slot_minutes * rng.randint(1, 8))
                length = timedelta(minutes=max(space.min_minutes, space.slot_minutes * rng.randint(2, 6)))
                length = min(length, timedelta(minutes=space.max_minutes))
                end = cursor + length
                if end > close_at or rng.random() < 0.2:
                    break
                start_utc, end_utc = cursor.astimezone(ZoneInfo("UTC")), end.astimezone(ZoneInfo("UTC"))
                status = "confirmed" if not space.requires_approval else ("pending" if offset >= 0 else "confirmed")
                booker = rng.choice(bookers)
                mine = held.setdefault((booker.id, space.kind), [])
                if sum(overlaps(s, e, start_utc, end_utc) for s, e in mine) >= limits[space.kind]:
                    cursor = end + timedelta(minutes=space.buffer_minutes)
                    continue
                mine.append((start_utc, end_utc))
                session.add(Booking(space_id=space.id, user_id=booker.id, start_at=start_utc,
                                    end_at=end_utc, hold_end_at=end_utc + timedelta(minutes=space.buffer_minutes),
                                    exclusive=space.capacity == 1, status=status,
                                    title=rng.choice(("Assay run", "PCR batch", "Team stand-up", "Investor call",
                                                      "Prototype test", "Workshop", "Training", "")),
                                    created_at=now - timedelta(days=10)))
                counts["bookings"] += 1
                cursor = end + timedelta(minutes=space.buffer_minutes)
    session.flush()
    return counts
