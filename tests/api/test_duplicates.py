"""The duplicate queue over HTTP: the side-by-side list, dismissing a pair, a merge marking its pair (issue 11 §2).

Pairs are stored here as the scan stores them (shared/services/duplicates.py:store_pairs); the scan
itself is tested in tests/worker/test_duplicate_scan.py.
"""

from __future__ import annotations

from typing import Any

from shared.db import Database, write_unit
from shared.repositories import duplicates as dup_repo
from shared.services.duplicates import Found, Scan, store_pairs
from tests.conftest import Api, Scene, add_member, build_scene, fresh_nik


def plant(database: Database, event_id: str, pairs: list[tuple[dict[str, Any], dict[str, Any], float, list[str]]],
          persons: int = 0) -> list[str]:
    """Store pairs as a scan that found them would."""
    found = []
    for x, y, score, reasons in pairs:
        a, b = sorted((x, y), key=lambda p: p["id"])
        pid = dup_repo.pair_id(a["id"], b["id"])
        found.append(Found(pid, a["event_id"], b["event_id"], a["id"], b["id"], score, reasons))
    with write_unit(database) as uow:
        store_pairs(uow, Scan(event_id=event_id, data_seq=0, persons=persons, found=found))
    return [f.id for f in found]


def test_the_queue_shows_both_persons_side_by_side(scene: Scene, admin: Api, relawan: Api, pengamat: Api,
                                                   database: Database) -> None:
    nik = fresh_nik(female=True)
    a = scene.person(full_name="Siti Rahmawati", nik=nik, shelter_id=scene.shelter["id"],
                     household_id=scene.household["id"])
    b = scene.person(full_name="St. Rahmawati")
    # a NIK that does not encode her birth date, kept as confirmed: the view shows it (issue 11 §3)
    c = scene.person(full_name="Nur Aini", birth_date="1990-01-01", nik=fresh_nik(female=True),
                     nik_mismatch_confirmed=True)
    d = scene.person(full_name="Noer Aini", birth_date="1990-01-01")
    high, low = plant(database, scene.eid, [(a, b, 0.93, ["name_fuzzy", "birth_date"]),
                                            (c, d, 0.81, ["name_phonetic", "birth_date"])])
    page = admin.get(f"/events/{scene.eid}/duplicates")
    assert page.status_code == 200, page.text
    body = page.json()
    assert set(body) == {"items", "total", "limit", "offset"} and body["total"] == 2
    assert [p["id"] for p in body["items"]] == [high, low]  # highest score first
    first = body["items"][0]
    assert first["status"] == "open" and first["score"] == 0.93 and first["reasons"] == ["name_fuzzy", "birth_date"]
    sides = {first["a"]["person"]["id"]: first["a"], first["b"]["person"]["id"]: first["b"]}
    assert set(sides) == {a["id"], b["id"]} and first["a"]["person"]["id"] < first["b"]["person"]["id"]
    assert sides[a["id"]]["person"]["nik"] == nik and sides[a["id"]]["shelter_name"] == scene.shelter["name"]
    assert sides[a["id"]]["household_head"] == scene.household["head_name"]
    assert sides[a["id"]]["moves"] == {"stays": 1, "distributions": 0, "services": 0}
    assert {"full_name", "nik", "household_id", "shelter_id"} <= set(first["differing"])
    assert "sex" not in first["differing"] and "birth_date" not in first["differing"]
    second = body["items"][1]
    assert "nik_mismatch_confirmed" in second["differing"]
    assert {s["person"]["id"]: s["person"]["nik_mismatch_confirmed"] for s in (second["a"], second["b"])} == \
        {c["id"]: True, d["id"]: False}

    assert pengamat.get(f"/events/{scene.eid}/duplicates").status_code == 403
    assert relawan.get(f"/events/{scene.eid}/duplicates").status_code == 404  # not a member: the event is unseen
    assert relawan.user_id is not None
    add_member(admin, scene.eid, relawan.user_id)
    masked = relawan.get(f"/events/{scene.eid}/duplicates").json()["items"][0]
    nik_shown = {s["person"]["id"]: s["person"]["nik"] for s in (masked["a"], masked["b"])}
    assert nik_shown[a["id"]] == "************" + nik[-4:]
    assert admin.get(f"/events/{scene.eid}/duplicates", params={"limit": 1, "offset": 1}).json()["items"][0]["id"] == low


def test_dismiss_marks_not_the_same_person_and_a_scan_never_reopens_it(scene: Scene, admin: Api, posko: Api,
                                                                       relawan: Api, database: Database) -> None:
    a = scene.person(full_name="Dedi Sembiring", sex="L", birth_date="2001-03-04")
    b = scene.person(full_name="Dodi Sembiring", sex="L", birth_date="2001-03-04")  # twins
    (pair,) = plant(database, scene.eid, [(a, b, 0.86, ["name_fuzzy", "birth_date"])])
    assert relawan.user_id is not None
    add_member(admin, scene.eid, relawan.user_id)
    assert relawan.post(f"/events/{scene.eid}/duplicates/{pair}/dismiss").status_code == 403
    r = posko.post(f"/events/{scene.eid}/duplicates/{pair}/dismiss")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "dismissed" and r.json()["decided_by"] == posko.username
    assert admin.get(f"/events/{scene.eid}/duplicates").json()["total"] == 0
    dismissed = admin.get(f"/events/{scene.eid}/duplicates", params={"status": "dismissed"}).json()
    assert [p["id"] for p in dismissed["items"]] == [pair]
    plant(database, scene.eid, [(a, b, 0.95, ["name_fuzzy", "birth_date"])])  # found again, higher
    assert admin.get(f"/events/{scene.eid}/duplicates").json()["total"] == 0
    again = admin.get(f"/events/{scene.eid}/duplicates", params={"status": "dismissed"}).json()["items"][0]
    assert again["score"] == 0.86  # a decided pair is left as it was
    other = build_scene(admin)
    assert admin.post(f"/events/{other.eid}/duplicates/{pair}/dismiss").status_code == 404
    assert admin.post(f"/events/{scene.eid}/duplicates/nope/dismiss").status_code == 404


def test_merging_a_pair_marks_it_merged_and_unmerge_reopens_it(scene: Scene, admin: Api, database: Database) -> None:
    a = scene.person(full_name="Muhammad Rizki", sex="L", birth_date="1999-09-09", shelter_id=scene.shelter["id"])
    b = scene.person(full_name="M. Rizki", sex="L", birth_date="1999-09-09")
    c = scene.person(full_name="Moh. Rizky", sex="L", birth_date="1999-09-09")
    ab, bc = plant(database, scene.eid, [(a, b, 0.9, ["name_fuzzy"]), (b, c, 0.84, ["name_fuzzy"])])
    assert admin.post(f"/persons/{b['id']}/merge", json={"into": a["id"]}).status_code == 200
    merged = admin.get(f"/events/{scene.eid}/duplicates", params={"status": "merged"}).json()["items"]
    assert [p["id"] for p in merged] == [ab] and merged[0]["decided_by"] == admin.username
    assert admin.get(f"/events/{scene.eid}/duplicates").json()["total"] == 0  # b-c named an alias: dropped
    assert admin.post(f"/events/{scene.eid}/duplicates/{ab}/dismiss").status_code == 409
    assert admin.post(f"/persons/{b['id']}/unmerge").status_code == 200
    reopened = admin.get(f"/events/{scene.eid}/duplicates").json()["items"]
    assert [p["id"] for p in reopened] == [ab] and reopened[0]["decided_by"] is None
    assert bc not in [p["id"] for p in reopened]  # the next scan finds it again


def test_a_pair_with_a_person_of_an_unseen_event_is_not_shown_to_relawan(admin: Api, relawan: Api,
                                                                         database: Database) -> None:
    mine, other = build_scene(admin), build_scene(admin)
    nik = fresh_nik()
    here = mine.person(full_name="Parlindungan Sinaga", sex="L", nik=nik)
    there = other.person(full_name="Parlindungan Sinaga", sex="L", nik=nik)
    inside = mine.person(full_name="P. Sinaga", sex="L")
    across, within = plant(database, mine.eid, [(here, there, 0.99, ["nik"]), (here, inside, 0.8, ["name_fuzzy"])])
    assert relawan.user_id is not None
    add_member(admin, mine.eid, relawan.user_id)
    assert {p["id"] for p in admin.get(f"/events/{mine.eid}/duplicates").json()["items"]} == {across, within}
    seen = relawan.get(f"/events/{mine.eid}/duplicates").json()
    assert seen["total"] == 1 and [p["id"] for p in seen["items"]] == [within]
