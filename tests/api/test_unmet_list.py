"""The unmet list a command post acts on, and what each shelter lacks now (docs/api.md, "The unmet list";
docs/rules.md, "What is missing now"), over HTTP on SQLite and PostgreSQL: reasons (which day's meals at
which shelter, the missing item, the service), namesakes told apart, filters, sorting, groups with their
totals, role rules and the audit row; the status snapshot's per-shelter meals per meal time, lacking
once-only items and today's permakanan."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from services.worker import jobs
from shared.db import Database, read_unit
from shared.models import AuditLog
from tests.conftest import KELURAHAN, KELURAHAN_2, Api, add_member, iso, new_id, now_wib, shelter_body

TZ_NOW = now_wib


def ok(r: Any, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


def local(day: date, hour: int, minute: int = 0) -> str:
    return iso(datetime.combine(day, time(hour, minute), tzinfo=TZ_NOW().tzinfo))


class World:
    """Three days of a flood: shelter A (Kelurahan 1) fed on day 1 only, shelter B (Kelurahan 2), and a
    household staying with relatives in Kelurahan 2. Two women named Siti Aminah, told apart by age,
    household and shelter."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.today = TZ_NOW().date()
        self.d1 = self.today - timedelta(days=2)
        self.yesterday = self.today - timedelta(days=1)
        start = local(self.d1 - timedelta(days=1), 0, 0)
        self.eid = ok(api.post("/events", json={"id": new_id(), "name": "Banjir Bandang Sei Bingai", "kind": "banjir",
                                                "started_at": start, "kelurahan_codes": [KELURAHAN, KELURAHAN_2]}), 201)["id"]
        self.a = ok(api.post(f"/events/{self.eid}/shelters", json=shelter_body(name="SD Negeri 020", opened_at=start)), 201)
        self.b = ok(api.post(f"/events/{self.eid}/shelters",
                             json=shelter_body(name="Masjid Al-Ikhlas", kelurahan_code=KELURAHAN_2, opened_at=start)), 201)
        self.h1 = self.household("Ahmad Siregar", KELURAHAN)
        self.h2 = self.household("Budi Nasution", KELURAHAN_2)
        self.h3 = self.household("Rahmat Ginting", KELURAHAN_2)
        at = local(self.d1, 6)
        self.siti_adult = self.person("Siti Aminah", "P", "1985-05-12", self.h1, shelter_id=self.a["id"], registered_at=at)
        self.joko = self.person("Joko Susilo", "L", "1980-01-02", self.h1, shelter_id=self.a["id"], registered_at=at)
        two_years_ago = (self.d1 - timedelta(days=400)).isoformat()
        self.siti_child = self.person("Siti Aminah", "P", two_years_ago, self.h2, shelter_id=self.b["id"], registered_at=at)
        self.rahmat = self.person("Rahmat Ginting", "L", "1970-03-04", self.h3,
                                  mandiri={"kelurahan_code": KELURAHAN_2}, registered_at=at)
        # meals: A covered on day 1 only; B covered every day up to now; sandang to Siti (adult) herself
        self.deliver("makanan_siap_saji", 100, local(self.d1, 6, 30), shelter_id=self.a["id"])
        for day in (self.d1, self.yesterday):
            self.deliver("makanan_siap_saji", 100, local(day, 6, 30), shelter_id=self.b["id"])
        self.deliver("makanan_siap_saji", 100, iso(TZ_NOW() - timedelta(seconds=30)), shelter_id=self.b["id"])
        self.deliver("paket_sandang", 1, local(self.d1, 9), person_id=self.siti_adult)
        self.deliver("paket_bayi", 1, local(self.d1, 9), shelter_id=self.a["id"])  # stock on site, nobody needs it

    def household(self, head: str, kelurahan: str) -> str:
        return ok(self.api.post(f"/events/{self.eid}/households",
                                json={"id": new_id(), "head_name": head, "kelurahan_code": kelurahan}), 201)["id"]

    def person(self, name: str, sex: str, born: str, household: str, **more: Any) -> str:
        body = {"id": new_id(), "full_name": name, "sex": sex, "birth_date": born, "household_id": household, **more}
        return ok(self.api.post(f"/events/{self.eid}/persons", json=body), 201)["id"]

    def deliver(self, item: str, qty: float, at: str, **to: Any) -> None:
        ok(self.api.post(f"/events/{self.eid}/distributions",
                         json={"id": new_id(), "item_code": item, "quantity": qty, "delivered_at": at, **to}), 201)

    def unmet(self, api: Api | None = None, **params: Any) -> Any:
        return ok((api or self.api).get(f"/events/{self.eid}/unmet", params=params))


@pytest.fixture
def world(admin: Api) -> World:
    return World(admin)


def test_each_unmet_person_says_why_and_namesakes_are_told_apart(world: World, admin: Api,
                                                                 worker_ctx: jobs.WorkerContext) -> None:
    jobs.recompute(world.eid)  # the list reads the worker's stored snapshot
    page = world.unmet(group="place", sort="name", limit=50)
    by_id = {u["person_id"]: u for u in page["items"]}
    assert set(by_id) == {world.siti_adult, world.joko, world.siti_child, world.rahmat}
    assert page["total"] == 4 and page["seq"] >= 1 and page["computed_at"]

    adult, child, joko, rahmat = (by_id[world.siti_adult], by_id[world.siti_child], by_id[world.joko],
                                  by_id[world.rahmat])
    # the contract's fields stay
    assert adult["name"] == child["name"] == "Siti Aminah"
    assert adult["missing"] == ["permakanan"]
    # namesakes: age (months under two), household head, shelter
    assert adult["age"] >= 40 and adult["age_months"] is None and adult["household_head"] == "Ahmad Siregar"
    assert child["age"] == 1 and 12 <= child["age_months"] < 24 and child["household_head"] == "Budi Nasution"
    assert adult["place"] == {"kind": "shelter", "shelter_id": world.a["id"], "shelter_name": "SD Negeri 020",
                              "kelurahan_code": KELURAHAN, "kelurahan_name": adult["place"]["kelurahan_name"],
                              "open": True}
    assert adult["place"]["kelurahan_name"]
    assert child["place"]["shelter_name"] == "Masjid Al-Ikhlas"
    # reasons: yesterday's meals at SD Negeri 020 were not covered (day 1 was)
    assert {"date": world.yesterday.isoformat(), "shelter_id": world.a["id"], "shelter_name": "SD Negeri 020"} in adult["meal_days"]
    assert all(d["date"] != world.d1.isoformat() for d in adult["meal_days"])
    assert adult["meal_days"][0]["date"] >= world.yesterday.isoformat()  # newest first
    assert adult["items_missing"] == []
    assert joko["missing"] == ["permakanan", "sandang"] and joko["items_missing"] == ["paket_sandang"]
    # the child in a fed shelter lacks clothing and special care (balita)
    assert child["missing"] == ["sandang", "penanganan_khusus"] and child["meal_days"] == []
    assert "balita" in child["vulnerabilities"]
    # the mandiri household was never fed: its household-days, no shelter
    assert rahmat["place"]["kind"] == "mandiri" and rahmat["place"]["kelurahan_code"] == KELURAHAN_2
    assert rahmat["meal_days"][0]["shelter_id"] is None and rahmat["meal_days_total"] >= 2
    assert len(rahmat["meal_days"]) <= 3

    # groups: shelters by name, then mandiri persons by kelurahan, each with its total
    groups = page["groups"]
    assert [(g["kind"], g["name"], g["total"]) for g in groups] == [
        ("shelter", "Masjid Al-Ikhlas", 1), ("shelter", "SD Negeri 020", 2), ("mandiri", groups[2]["name"], 1)]
    assert groups[1]["by_service"]["permakanan"] == 2 and groups[1]["by_service"]["sandang"] == 1
    assert [u["group"] for u in page["items"]] == [f"shelter:{world.b['id']}", f"shelter:{world.a['id']}",
                                                   f"shelter:{world.a['id']}", f"mandiri:{KELURAHAN_2}"]
    assert [u["name"] for u in page["items"]][1:3] == ["Joko Susilo", "Siti Aminah"]  # by name inside the group


def test_filters_sorting_and_bad_parameters(world: World, admin: Api) -> None:
    # before the worker's first snapshot the list is computed on the spot (seq 0), with the same reasons
    assert world.unmet()["seq"] == 0
    ids = lambda page: [u["person_id"] for u in page["items"]]  # noqa: E731
    assert ids(world.unmet(service="penanganan_khusus")) == [world.siti_child]
    assert ids(world.unmet(vulnerability="balita")) == [world.siti_child]
    assert ids(world.unmet(shelter_id=world.b["id"])) == [world.siti_child]
    # a kelurahan holds shelter residents and mandiri persons alike
    assert set(ids(world.unmet(kelurahan_code=KELURAHAN_2))) == {world.siti_child, world.rahmat}
    combined = world.unmet(kelurahan_code=KELURAHAN, service="sandang")
    assert ids(combined) == [world.joko] and combined["total"] == 1 and len(combined["groups"]) == 1
    assert ids(world.unmet(sort="age"))[0] == world.siti_child  # youngest first
    assert ids(world.unmet(sort="meal_days"))[0] == world.rahmat  # most days without meals first
    assert ids(world.unmet(sort="services"))[-1] in (world.siti_adult, world.rahmat)
    default = world.unmet()
    assert ids(default) == sorted(ids(default))  # by id, as before
    paged = world.unmet(group="place", sort="name", limit=2, offset=2)
    assert paged["total"] == 4 and len(paged["items"]) == 2 and len(paged["groups"]) == 3
    for params, field in (({"service": "mandi"}, "service"), ({"vulnerability": "tua"}, "vulnerability"),
                          ({"sort": "nama"}, "sort"), ({"group": "kota"}, "group")):
        r = admin.get(f"/events/{world.eid}/unmet", params=params)
        assert r.status_code == 422, r.text
        assert r.json()["detail"][0]["loc"] == ["query", field]
        assert "tidak dikenal" in r.json()["detail"][0]["msg"]


def test_role_rules_and_audit(world: World, admin: Api, posko: Api, pengamat: Api, relawan: Api,
                              database: Database) -> None:
    assert posko.get(f"/events/{world.eid}/unmet").status_code == 200
    r = pengamat.get(f"/events/{world.eid}/unmet")
    assert r.status_code == 403 and "pengamat" in r.json()["detail"]
    assert relawan.get(f"/events/{world.eid}/unmet").status_code == 404  # not a member
    add_member(admin, world.eid, relawan.user_id or 0)
    page = world.unmet(relawan, service="sandang")
    assert page["total"] == 3 and all(u["name"] for u in page["items"])
    with read_unit(database) as s:
        row = s.exec(select(AuditLog).where(AuditLog.event_id == world.eid, AuditLog.action == "unmet.list",
                                            AuditLog.actor_id == relawan.user_id)
                     .order_by(col(AuditLog.id).desc())).first()
    assert row is not None and row.detail == "filter=service" and row.row_count == 3
    # pengamat sees the aggregates: per shelter how many are unmet, nothing about whom
    status = ok(pengamat.get(f"/events/{world.eid}/status"))
    assert "unmet" not in status
    assert {s["name"]: s["unmet_persons"] for s in status["shelters"]} == {"SD Negeri 020": 2, "Masjid Al-Ikhlas": 1}


def test_what_each_shelter_lacks_now_and_today_beside_the_event(world: World, pengamat: Api) -> None:
    status = ok(pengamat.get(f"/events/{world.eid}/status"))
    rows = {s["name"]: s for s in status["shelters"]}
    a, b = rows["SD Negeri 020"], rows["Masjid Al-Ikhlas"]
    now = TZ_NOW()
    for row in (a, b):
        assert [m["time"] for m in row["meals_today"]] == ["07:00", "12:00", "18:00"]
        passed = [m["passed"] for m in row["meals_today"]]
        assert passed == [now.time() >= time(h) for h in (7, 12, 18)]
        assert sum(m["due"] for m in row["meals_today"]) == row["meals_due_today"]
        assert sum(m["delivered"] for m in row["meals_today"]) == row["meals_delivered_today"]
    # A: two adults, 2 due per meal time passed; nothing delivered today
    assert [m["due"] for m in a["meals_today"]] == [2.0 if p else 0.0 for p in (m["passed"] for m in a["meals_today"])]
    assert all(m["delivered"] == 0 for m in a["meals_today"])
    # B: today's 100 porsi count for the first meal time at or after the delivery, else the last
    assert sum(m["delivered"] for m in b["meals_today"]) == 100
    # once-only items: Joko's clothing and the family kit of the Siregar household at A (the baby kit
    # delivered to A's stock is needed by nobody there); the child at B lacks clothing, a baby kit and a family kit
    assert a["lacking_items"] == [{"item_code": "paket_sandang", "unit": "paket", "quantity": 1.0},
                                  {"item_code": "selimut", "unit": "lembar", "quantity": 2.0},
                                  {"item_code": "family_kit", "unit": "paket", "quantity": 1.0}]
    assert b["lacking_items"] == [{"item_code": "paket_sandang", "unit": "paket", "quantity": 1.0},
                                  {"item_code": "selimut", "unit": "lembar", "quantity": 1.0},
                                  {"item_code": "family_kit", "unit": "paket", "quantity": 1.0},
                                  {"item_code": "paket_bayi", "unit": "paket", "quantity": 1.0}]
    today = status["indicator"]["today"]
    assert today["date"] == now.date().isoformat()
    per = today["permakanan"]
    if now.time() >= time(7):  # A is not fed today, B is, Rahmat's household is not
        assert per == {"eligible": 4, "fulfilled": 1, "percent": 25.0}
    else:
        assert per == {"eligible": 0, "fulfilled": 0, "percent": None}
    assert status["indicator"]["services"]["permakanan"] == {"eligible": 4, "fulfilled": 1}


def test_per_place_totals_without_names_for_every_role(world: World, pengamat: Api, relawan: Api,
                                                       worker_ctx: jobs.WorkerContext, database: Database) -> None:
    jobs.recompute(world.eid)
    body = ok(pengamat.get(f"/events/{world.eid}/unmet/groups"))
    assert body["total"] == 4 and body["seq"] >= 1 and body["as_of"] and body["computed_at"]
    assert [(g["kind"], g["name"], g["total"]) for g in body["groups"]] == [
        ("shelter", "Masjid Al-Ikhlas", 1), ("shelter", "SD Negeri 020", 2), ("mandiri", body["groups"][2]["name"], 1)]
    mandiri = body["groups"][2]
    assert mandiri["kelurahan_code"] == KELURAHAN_2 and mandiri["shelter_id"] is None
    assert mandiri["by_service"]["permakanan"] == 1 and mandiri["name"] != KELURAHAN_2  # the kelurahan's name
    assert body["groups"][1]["by_service"] == {"permakanan": 2, "sandang": 1, "tempat_penampungan": 0,
                                               "penanganan_khusus": 0, "psikososial": 0}
    text = str(body)
    assert "Siti" not in text and "Joko" not in text and world.siti_adult not in text  # no names, no person ids
    # filters as on the list; the kelurahan holds shelter residents and mandiri persons
    kel2 = ok(pengamat.get(f"/events/{world.eid}/unmet/groups", params={"kelurahan_code": KELURAHAN_2}))
    assert kel2["total"] == 2 and {g["kind"] for g in kel2["groups"]} == {"shelter", "mandiri"}
    assert ok(pengamat.get(f"/events/{world.eid}/unmet/groups", params={"vulnerability": "balita"}))["total"] == 1
    r = pengamat.get(f"/events/{world.eid}/unmet/groups", params={"service": "mandi"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "service"]
    assert relawan.get(f"/events/{world.eid}/unmet/groups").status_code == 404  # not a member: not visible
    # counts are not personal data: no audit row
    with read_unit(database) as s:
        assert s.exec(select(AuditLog).where(AuditLog.event_id == world.eid,
                                             AuditLog.actor_id == pengamat.user_id)).first() is None


def test_status_reads_leave_the_unmet_list_unread(world: World, pengamat: Api, worker_ctx: jobs.WorkerContext) -> None:
    """The unmet list is megabytes of JSON for a large event (issue 14, memory bounds): GET /status sends
    the body only, so it must not select (and decode) the unmet column; the list itself still reads it."""
    from sqlalchemy import event as sa_event
    from sqlalchemy.engine import Engine

    jobs.recompute(world.eid)
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    sa_event.listen(Engine, "before_cursor_execute", seen)
    try:
        status = ok(pengamat.get(f"/events/{world.eid}/status"))
        reads_for_status = [s for s in statements if "event_status" in s]
        statements.clear()
        assert world.unmet()["total"] == 4
        reads_for_list = [s for s in statements if "event_status" in s or "unmet_entries" in s]
    finally:
        sa_event.remove(Engine, "before_cursor_execute", seen)
    assert status["seq"] >= 1 and "unmet" not in status
    unmet_column = re.compile(r"event_status\.unmet\b|unmet_entries")  # the list: the column, or its rows
    assert reads_for_status and not any(unmet_column.search(s) for s in reads_for_status)
    assert any(unmet_column.search(s) for s in reads_for_list)
