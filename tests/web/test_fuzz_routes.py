"""Every route, fuzzed: hostile ids, query strings, JSON and form bodies from every role.

The routes come from the app's own URL map and the form fields from the app's own forms, so a
new route or field is fuzzed without being listed here. Whatever arrives, the answer is never
a 5xx, an API error is the contract's JSON, and a refused request (4xx) changes no table.
Bounded to run in a minute or two on each database (it has a timeout of its own)."""
from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from wtforms.fields.core import UnboundField

import innocell.forms.auth
import innocell.forms.housing
import innocell.forms.people
import innocell.forms.spaces
from innocell.extensions import db
from innocell.services import demo

from tests.conftest import FIXED_NOW

pytestmark = pytest.mark.both_db

# Routes that end the caller's own credentials: fuzzing them would only sign the fuzzer out.
SELF_ENDING = {"auth.logout", "api.revoke_current_token"}
# Bookkeeping a refused request is meant to write (a failed sign-in is counted for throttling).
REFUSAL_BOOKKEEPING = {"login_attempts"}

API_FIELDS = (
    "space_id", "unit_id", "user_id", "for_user_id", "start", "end", "title", "repeat_weeks", "repeat", "on_conflict",
    "reason", "code", "name", "kind", "capacity", "opening_hours", "slot_minutes", "min_minutes", "max_minutes",
    "buffer_minutes", "max_days_ahead", "hourly_rate", "requires_approval", "active", "email", "password",
    "unit_type", "move_in", "term_months", "term_nights", "preferred_unit_ids", "monthly_rent", "commit", "floor",
    "occupancy", "status", "weekday", "start_time", "end_time", "valid_from", "valid_until", "expires_at", "on",
    "role", "company", "priority_tier", "key", "label", "scope", "entry_ids", "order",
    "ids", "equipment", "seats", "photo_url",
)
QUERY_KEYS = (
    "start", "end", "from", "to", "group", "kind", "status", "space_id", "unit_type", "available_from",
    "available_to", "page", "limit", "offset", "floor", "week", "month", "date", "q", "role", "active", "job",
    "unit", "space", "tab", "period", "next", "title", "new", "unread", "scope", "cursor",
    "view", "min_seats", "equipment",
)

HOSTILE_TEXT = st.sampled_from([
    "", " ", "a", "\x00", "a\x00b", "x" * 3000, "2026-12-01", "0001-01-01", "9999-12-31", "2026-02-30",
    "2026-12-01T10:00", "0001-01-01T00:00", "9999-12-31T23:59", "2026-12-01T10:00+08:00", "10:00", "24:00",
    "-1", "0", "1", "2", str(2**31), str(2**63), "9" * 40, "1e309", "NaN", "99999999.995", "<script>x</script>",
    "' OR 1=1 --", "wet_lab", "solo", "twin", "confirmed", "unit_type", "kind", "../../etc/passwd", "%00", "☃",
    "2026-13", "2026-11", "9999-12", "0000-01",
]) | st.text(max_size=12)
HOSTILE_INT = st.sampled_from([0, 1, 2, 3, -1, 2**31 - 1, 2**31, 2**63, 10**30, -(2**63)]) | st.integers()
JSON_VALUE = st.recursive(
    st.none() | st.booleans() | HOSTILE_INT | st.floats() | HOSTILE_TEXT | st.just("\ud800"),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(API_FIELDS), children,
                                                                     max_size=3),
    max_leaves=6,
)
# Values a real caller would send, so a mutated body gets past the first check and deeper in.
PLAUSIBLE = {
    "space_id": 1, "unit_id": 1, "user_id": 1, "for_user_id": 1, "start": "2026-12-03T10:00",
    "end": "2026-12-03T11:00", "title": "Assay", "repeat_weeks": 2, "reason": "Maintenance", "code": "NEW-1",
    "name": "New room", "kind": "wet_lab", "capacity": 2, "slot_minutes": 30, "min_minutes": 30,
    "max_minutes": 240, "buffer_minutes": 0, "max_days_ahead": 60, "hourly_rate": 100, "requires_approval": False,
    "active": True, "email": "someone@example.test", "password": "a-long-passphrase", "unit_type": "solo",
    "move_in": "2027-01-01", "term_months": 12, "preferred_unit_ids": [1, 2], "monthly_rent": 9800,
    "commit": False, "floor": 3, "occupancy": 1, "status": "available", "weekday": 1, "start_time": "10:00",
    "end_time": "12:00", "on": "2027-01-01", "priority_tier": 2, "role": "resident", "date": "2026-12-03",
    "length": "60", "valid_from": "2026-12-01", "valid_until": "2027-01-01", "term_kind": "months",
    "hours_mon": "08:00-20:00", "q": "a", "opening_hours": {"mon": [["08:00", "20:00"]]},
}
PATH_PART = st.sampled_from(["1", "2", "3", "0", str(2**31 - 1), str(2**31), str(2**63), "9" * 30, "x", "%00"])


def _form_fields() -> tuple[str, ...]:
    names: set[str] = set()
    for module in (innocell.forms.auth, innocell.forms.housing, innocell.forms.people, innocell.forms.spaces):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, FlaskForm):
                for klass in value.__mro__:
                    names.update(k for k, v in vars(klass).items() if isinstance(v, UnboundField))
    return tuple(sorted(names))


FORM_FIELDS = _form_fields()


def _routes(app) -> list[tuple[str, str, str]]:
    """(endpoint, rule, method) for every route the app serves, but static files."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint in SELF_ENDING:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, rule.rule, method))
    return sorted(found)


@st.composite
def _mutated(draw, fields: tuple[str, ...], values) -> dict:
    """A plausible body for these fields with a few of them hostile, missing or added."""
    body = {k: PLAUSIBLE[k] for k in fields if k in PLAUSIBLE and draw(st.integers(0, 4))}
    for key in draw(st.lists(st.sampled_from(fields), max_size=2)):
        body[key] = draw(values)
    return body


@st.composite
def _path(draw, rule: str) -> str:
    def part(match: re.Match) -> str:
        converter = match.group(1) or ""
        if converter.startswith("any("):
            return draw(st.sampled_from(re.findall(r"[\w-]+", converter[4:])))
        return draw(PATH_PART)

    return re.sub(r"<(?:([^:>]+):)?[^>]+>", part, rule)


def _query(params: dict[str, str]) -> str:
    return "&".join(f"{quote(k)}={quote(v, safe='')}" for k, v in params.items())


def _no_surrogates(value: str) -> bool:
    return not any(0xD800 <= ord(c) <= 0xDFFF for c in value)


def _counts(tables) -> dict[str, int]:
    """Rows per table, read in one statement (one round trip per request, not one per table)."""
    counts = select(*[select(func.count()).select_from(t).scalar_subquery().label(t.name) for t in tables])
    return dict(db.session.execute(counts).one()._mapping)


@pytest.fixture
def park(app):
    demo.seed(db.session, now=FIXED_NOW, tz=__import__("zoneinfo").ZoneInfo("Asia/Hong_Kong"))
    callers = {"anonymous": (app.test_client(), {})}
    for role, email, password, *_ in demo.DEMO_LOGINS:
        browser = app.test_client()
        assert browser.post("/login", data={"email": email, "password": password}).status_code == 302
        token = app.test_client().post("/api/v1/tokens", json={"email": email, "password": password})
        assert token.status_code == 201, token.get_json()
        callers[role] = (browser, {"Authorization": f"Bearer {token.get_json()['token']}"})
    return callers


def _send(park, tables, role, method, rule, url, kwargs):
    """One request, and what must hold of its answer whatever was sent."""
    browser, token_headers = park[role]
    api = rule.startswith("/api/")
    before = _counts(tables)
    response = browser.open(url, method=method, headers=token_headers if api else {}, **kwargs)
    body = response.get_data()  # a streamed file must stream without error too
    response.close()  # as a WSGI server does: closes a sent file
    assert response.status_code < 500, (role, method, url, kwargs, body[:300])
    if api and response.status_code >= 400:
        payload = response.get_json(silent=True)
        assert isinstance(payload, dict) and {"error", "message"} <= set(payload), (method, url, body[:300])
    if response.status_code >= 400:
        assert _counts(tables) == before, (role, method, url, kwargs, response.status_code)
    db.session.rollback()  # forget what this request read; the next one starts fresh
    return response


def _plain(rule: str) -> str:
    return re.sub(r"<(?:([^:>]+):)?[^>]+>",
                  lambda m: re.findall(r"[\w-]+", m.group(1)[4:])[0] if (m.group(1) or "").startswith("any(") else "1",
                  rule)


@pytest.mark.timeout(600)  # every route of the app as every role, then 900 hostile requests: the suite's longest
def test_no_route_answers_5xx_or_writes_when_it_refuses(app, park):
    routes = _routes(app)
    tables = [t for t in db.metadata.sorted_tables if t.name not in REFUSAL_BOOKKEEPING]
    assert len(routes) > 80  # the whole app, not a sample

    # Every route as every role with a plausible request first, so each gets past its first
    # check; fields the route names as unknown are dropped, and what it takes is kept for later.
    fields: dict[tuple[str, str], tuple[str, ...]] = {}
    for endpoint, rule, method in routes:
        taken = tuple(API_FIELDS if rule.startswith("/api/") else FORM_FIELDS)
        for role in sorted(park):
            for _ in range(3):
                kwargs = {}
                if method in ("POST", "PUT", "PATCH", "DELETE"):
                    body = {k: PLAUSIBLE[k] for k in taken if k in PLAUSIBLE}
                    kwargs = {"json": body} if rule.startswith("/api/") else \
                        {"data": {k: str(v) for k, v in body.items() if not isinstance(v, (list, dict))}}
                response = _send(park, tables, role, method, rule, _plain(rule), kwargs)
                unknown = set(re.findall(r"'(\w+)' is not a field", response.get_data(as_text=True)))
                if not unknown:
                    break
                taken = tuple(k for k in taken if k not in unknown)
        fields[(rule, method)] = taken

    @settings(max_examples=900, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def run(data):
        endpoint, rule, method = data.draw(st.sampled_from(routes), label="route")
        role = data.draw(st.sampled_from(sorted(park)), label="role")
        path = data.draw(_path(rule), label="path")
        params = data.draw(st.dictionaries(st.sampled_from(QUERY_KEYS), HOSTILE_TEXT.filter(_no_surrogates),
                                           max_size=3), label="query")
        url = path + ("?" + _query(params) if params else "")
        kwargs: dict = {}
        if method in ("POST", "PUT", "PATCH", "DELETE"):
            if rule.startswith("/api/"):
                kwargs["json"] = data.draw(_mutated(fields[(rule, method)], JSON_VALUE) | JSON_VALUE, label="json")
            else:
                form = data.draw(_mutated(fields[(rule, method)], HOSTILE_TEXT.filter(_no_surrogates)), label="form")
                kwargs["data"] = {k: v if isinstance(v, str) else str(v) for k, v in form.items()
                                  if not isinstance(v, (list, dict))}
        _send(park, tables, role, method, rule, url, kwargs)

    run()
