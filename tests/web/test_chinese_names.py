"""Chinese readers read unit types, space kinds and the scheduled jobs in Chinese: a unit type's
and a space kind's optional Traditional Chinese name, edited on its admin page, shows on the
pages and in the label columns of the exports (whose column keys and key values stay English);
the demo seeds them; the jobs page describes each job in the reader's language."""
from __future__ import annotations

import csv
import html
import io
from datetime import date
from decimal import Decimal

import pytest

from innocell.extensions import db
from innocell.jobs.runner import JOBS
from innocell.models import UNIT_TYPES, Lease, Space, SpaceKind, Unit, UnitTypeInfo
from innocell.services import demo
from innocell.services import space_kinds as kind_service
from innocell.timeutil import local_zone, utcnow
from tests.conftest import FIXED_NOW

ZH = {"Accept-Language": "zh-HK"}
EN = {"Accept-Language": "en"}


@pytest.fixture
def manager(make_user):
    return make_user("manager", name="Max Manager")


def test_a_unit_type_chinese_name_is_edited_on_its_page_and_read_by_chinese_readers(client, login, manager, session):
    session.add_all([Unit(code=f"01-0{i}", unit_type=t, floor=1, monthly_rent=Decimal("9800"), created_at=FIXED_NOW)
                     for i, t in enumerate(("solo", "twin"), start=1)])
    session.commit()
    login(manager)
    form = client.get("/manage/housing/types/solo").get_data(as_text=True)
    assert 'name="name_zh"' in form
    response = client.post("/manage/housing/types/solo", data={"name_zh": "  單人單位 "})
    assert response.status_code == 302
    session.rollback()
    assert session.get(UnitTypeInfo, "solo").name_zh == "單人單位"
    assert "單人單位" in client.get("/manage/housing/forecast", headers=ZH).get_data(as_text=True)
    english = client.get("/manage/housing/forecast", headers=EN).get_data(as_text=True)
    assert "單人單位" not in english and "Solo (one person)" in english
    # A type without a Chinese name reads in English for everyone.
    assert "Twin (two people)" in client.get("/manage/housing/forecast", headers=ZH).get_data(as_text=True)

    too_long = client.post("/manage/housing/types/solo", data={"name_zh": "單" * 101})
    assert too_long.status_code == 422
    session.rollback()
    assert session.get(UnitTypeInfo, "solo").name_zh == "單人單位"
    assert client.post("/manage/housing/types/solo", data={"name_zh": ""}).status_code == 302  # cleared
    session.rollback()
    assert session.get(UnitTypeInfo, "solo").name_zh is None


def test_a_space_kind_chinese_label_is_edited_on_its_page_and_read_by_chinese_readers(client, login, manager,
                                                                                      session, set_kind):
    kind_service.seed_kinds(session, now=FIXED_NOW)
    kind = session.query(SpaceKind).filter_by(key="wet_lab").one()
    kind.label_zh = None
    session.commit()
    login(manager)
    response = client.post(f"/manage/space-kinds/{kind.id}/edit",
                           data={"label": "Wet labs", "label_zh": "生物實驗室", "quota_hours": "10", "simultaneous": "1"})
    assert response.status_code == 302
    session.rollback()
    assert session.get(SpaceKind, kind.id).label_zh == "生物實驗室"
    assert 'data-testid="kind-label-zh">生物實驗室<' in client.get("/manage/space-kinds").get_data(as_text=True)
    added = client.post("/manage/space-kinds", data={"key": "maker_space", "label": "Maker spaces",
                                                     "label_zh": "創客空間", "quota_hours": "6", "simultaneous": "1"})
    assert added.status_code == 302
    session.rollback()
    assert session.query(SpaceKind).filter_by(key="maker_space").one().label_zh == "創客空間"

    session.add(Space(code="WL-01", name="Wet Lab 1", kind="wet_lab", capacity=1, created_at=FIXED_NOW))
    session.commit()
    assert "生物實驗室" in client.get("/manage/spaces", headers=ZH).get_data(as_text=True)
    english = client.get("/manage/spaces", headers=EN).get_data(as_text=True)
    assert "生物實驗室" not in english and "Wet labs" in english


def test_exports_label_columns_follow_the_reader_and_keys_stay_english(client, login, make_user, session):
    kind_service.seed_kinds(session, now=FIXED_NOW)
    session.add(UnitTypeInfo(unit_type="solo", name_zh="單人單位"))
    tenant = make_user("resident")
    unit = Unit(code="01-01", unit_type="solo", floor=1, monthly_rent=Decimal("9800"), created_at=FIXED_NOW)
    session.add(unit)
    session.flush()
    session.add(Lease(unit_id=unit.id, user_id=tenant.id, start_date=date(2026, 11, 1), end_date=date(2027, 5, 1),
                      monthly_rent=Decimal("9800"), status="active", created_at=FIXED_NOW))
    session.commit()
    login(make_user("finance"))
    period = {"from": "2026-11-01", "to": "2026-12-01"}

    def rows(path, headers):
        text = client.get(path, query_string=period, headers=headers).data.decode("utf-8-sig")
        return list(csv.DictReader(io.StringIO(text)))

    chinese, english = rows("/reports/leases.csv", ZH), rows("/reports/leases.csv", EN)
    assert chinese[0]["unit_type"] == english[0]["unit_type"] == "solo"
    assert chinese[0]["unit_type_label"] == "單人單位" and english[0]["unit_type_label"] == "Solo (one person)"
    occupancy = rows("/reports/occupancy.csv", ZH)
    assert {"group": "solo", "group_label": "單人單位"}.items() <= occupancy[0].items()


def test_the_demo_names_every_unit_type_and_space_kind_in_chinese(app, session):
    demo.seed(db.session, now=utcnow(), tz=local_zone(), scale=1)
    db.session.commit()
    names = {i.unit_type: i.name_zh for i in session.query(UnitTypeInfo)}
    assert set(names) == set(UNIT_TYPES) and all(names.values())
    kinds = session.query(SpaceKind).all()
    assert kinds and all(k.label_zh for k in kinds)
    assert session.query(SpaceKind).filter_by(key="meeting_room").one().label_zh == "會議室"


def test_the_jobs_page_describes_each_job_in_the_readers_language(client, login, manager):
    login(manager)
    chinese = html.unescape(client.get("/manage/jobs", headers=ZH).get_data(as_text=True))
    english = html.unescape(client.get("/manage/jobs", headers=EN).get_data(as_text=True))
    assert "已過結束日期的租約改為「已結束」；其單位回復空置。" in chinese
    for job in JOBS.values():
        assert job.description in english and job.description not in chinese, job.name


def test_the_api_reads_and_writes_the_chinese_names(api, manager, session):
    kind_service.seed_kinds(session, now=FIXED_NOW)
    client = api(manager)
    changed = client.patch("/api/v1/unit-types/twin", json={"name_zh": "雙人單位"})
    assert changed.status_code == 200 and changed.json["unit_type"]["name_zh"] == "雙人單位"
    made = client.post("/api/v1/space-kinds", json={"key": "studio", "label": "Studios", "label_zh": "工作室"})
    assert made.status_code == 201 and made.json["kind"]["label_zh"] == "工作室"
    refused = client.post("/api/v1/space-kinds", json={"key": "den", "label": "Dens", "label_zh": 5})
    assert refused.status_code == 422 and refused.json["violations"][0]["rule"] == "label_zh"
