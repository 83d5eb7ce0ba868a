"""The command line (CONTRACT.md section 3): create-user and seed-demo."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import distinct, func, select

from innocell.extensions import db
from innocell.models import Booking, HousingApplication, Lease, Space, Unit, User, WaitlistEntry
from innocell.services.accounts import verify_password
from innocell.services.demo import DEMO_LOGINS

ROOT = Path(__file__).resolve().parents[2]


def count(model, *where) -> int:
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def invoke(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    db.session.expire_all()
    return result


# ----------------------------------------------------------------------------- create-user


def test_create_user_creates_the_account_and_says_so(app):
    result = invoke(app, "create-user", "Grace@Lab.example", "--password", "secret-pass-1", "--role", "manager",
                    "--name", "Grace Lam", "--company", "InnoCell Facilities", "--priority-tier", "2")

    assert result.exit_code == 0, result.output
    user = db.session.execute(select(User).where(User.email == "grace@lab.example")).scalar_one()
    assert result.stdout.strip() == f"Created manager grace@lab.example (id {user.id})."
    assert (user.role, user.name, user.company, user.priority_tier, user.active) == \
        ("manager", "Grace Lam", "InnoCell Facilities", 2, True)
    assert verify_password(user, "secret-pass-1") and not verify_password(user, "secret-pass-2")


def test_create_user_defaults_to_priority_tier_3(app):
    assert invoke(app, "create-user", "r@example.test", "--password", "secret-pass-1", "--role", "resident").exit_code == 0
    assert db.session.execute(select(User.priority_tier)).scalar_one() == 3


def test_create_user_with_an_existing_email_exits_1_with_one_line_and_changes_nothing(app, database_url, make_user):
    """Through the real `flask` entry point, as an operator runs it."""
    user = make_user("resident", email="taken@example.test", name="First Owner")
    hash_before = user.password_hash
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "cli-test", "INNOCELL_SCHEDULER": "0"}

    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "innocell", "create-user", "TAKEN@example.test",
         "--password", "another-pass-1", "--role", "admin", "--name", "Intruder"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)

    assert result.returncode == 1, (result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "already exists" in lines[0] and "taken@example.test" in lines[0]
    assert result.stdout.strip() == ""
    db.session.expire_all()
    assert count(User) == 1
    same = db.session.get(User, user.id)
    assert (same.role, same.name, same.password_hash) == ("resident", "First Owner", hash_before)


@pytest.mark.parametrize("args", [
    ["--role", "superuser"],
    ["--role", "resident", "--priority-tier", "0"],
    ["--role", "resident", "--priority-tier", "first"],
])
def test_create_user_with_a_bad_role_or_tier_exits_non_zero_and_creates_nothing(app, args):
    result = invoke(app, "create-user", "x@example.test", "--password", "secret-pass-1", *args)
    assert result.exit_code != 0
    assert count(User) == 0


@pytest.mark.parametrize("email,password", [("x@example.test", "short"), ("not-an-email", "secret-pass-1")])
def test_create_user_with_bad_fields_exits_1_with_one_line(app, email, password):
    result = invoke(app, "create-user", email, "--password", password, "--role", "resident")
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("Error: ")
    assert count(User) == 0


# ----------------------------------------------------------------------------- seed-demo


def test_seed_demo_builds_the_park(app):
    result = invoke(app, "seed-demo")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Demo data loaded: ")

    assert count(Unit) == 511
    assert db.session.execute(select(func.count(distinct(Unit.floor)))).scalar_one() == 17
    assert set(db.session.execute(select(Unit.unit_type).distinct()).scalars()) == {"solo", "twin", "suite", "powerhub"}

    spaces = db.session.execute(select(Space)).scalars().all()
    kinds = {s.kind for s in spaces}
    assert {"wet_lab", "dry_lab", "meeting_room", "event_space", "gym", "music_room"} <= kinds
    for space in spaces:
        assert space.opening_hours, space.code
        for day, windows in space.opening_hours.items():
            assert day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
            assert all(len(w) == 2 and w[0] < w[1] for w in windows), (space.code, windows)

    residents = select(User).where(User.role == "resident")
    assert db.session.execute(select(func.count(distinct(User.company))).where(User.role == "resident")).scalar_one() >= 5
    tiers = set(db.session.execute(select(User.priority_tier).where(User.role == "resident").distinct()).scalars())
    assert {1, 2, 3} <= tiers
    assert len(db.session.execute(residents).scalars().all()) > 100
    assert {r for r in db.session.execute(select(User.role).distinct()).scalars()} == \
        {"resident", "manager", "finance", "admin"}

    assert count(Lease) > 100
    assert count(Booking) > 50
    assert count(HousingApplication, HousingApplication.status == "submitted") > 0
    assert count(WaitlistEntry, WaitlistEntry.status == "waiting") > 0


def test_seed_demo_scale_2_doubles_the_units(app):
    result = invoke(app, "seed-demo", "--scale", "2")
    assert result.exit_code == 0, result.output
    assert count(Unit) == 2 * 511
    assert count(Space) == 2 * 14


def test_seed_demo_on_a_database_with_data_exits_1_and_writes_nothing(app, make_user):
    make_user("manager")
    result = invoke(app, "seed-demo")

    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert (count(User), count(Unit), count(Space), count(Booking)) == (1, 0, 0, 0)


def test_seed_demo_if_empty_leaves_a_used_database_alone(app, make_user):
    make_user("manager")
    result = invoke(app, "seed-demo", "--if-empty")
    assert result.exit_code == 0
    assert "not loaded" in result.stdout
    assert (count(User), count(Unit)) == (1, 0)


def test_serve_serves_the_login_page_and_prints_the_demo_logins(app, database_url):
    """`make run` ends in `flask serve`: it must keep serving, not return at once."""
    import socket
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "cli-test", "INNOCELL_SCHEDULER": "0"}
    server = subprocess.Popen([sys.executable, "-m", "flask", "--app", "innocell", "serve", "--port", str(port)],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        status = None
        for _ in range(600):  # wait until it listens (or has exited)
            if server.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as response:
                    status = response.status
                    page = response.read().decode()
                break
            except OSError:
                time.sleep(0.1)
        assert server.poll() is None, f"serve exited with {server.returncode}: {server.stdout.read()}"
        assert status == 200 and "Sign in to InnoCell" in page
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert f"InnoCell is running at http://127.0.0.1:{port}/login" in output
    for _, email, password, *_ in DEMO_LOGINS:
        assert email in output and password in output
