"""docs/rules.md, "What is missing now", by hand-computed examples: why each unmet person is unmet, today's
permakanan beside the event-wide figure, and per shelter the meals of today per meal time and the once-only
items its residents lack (shared/needs/shortfalls.py). The property test of test_engine_properties.py
checks the same against a literal reading on random events."""

from __future__ import annotations

from shared.needs.model import DeliveryIn

from .builders import (
    at,
    mandiri,
    meals,
    person,
    profile,
    run,
    service,
    shelter_row,
    stay,
    to_household,
    to_person,
)


def reasons(snap: dict, pid: str) -> dict:
    return next(u for u in snap["unmet"] if u["person_id"] == pid)


def test_the_failed_days_say_which_day_at_which_shelter_newest_first() -> None:
    """Budi stays in A from Jan 1 and moves to B on Jan 3 at 10:00. A is fed on Jan 1 only, B never: Budi's
    failed days are Jan 2 (A), Jan 3 (A, his breakfast) and Jan 3 (B); three shown, all counted."""
    snap = run([person("budi")], [stay("budi", "A", at(1, 6), at(3, 10)), stay("budi", "B", at(3, 10))],
               [meals("A", 3, at(1, 6))], as_of=at(3, 23))
    u = reasons(snap, "budi")
    assert u["missing"] == ["permakanan", "sandang"]
    assert u["meal_days"] == [{"date": "2026-01-03", "shelter_id": "A"}, {"date": "2026-01-03", "shelter_id": "B"},
                              {"date": "2026-01-02", "shelter_id": "A"}]
    assert u["meal_days_total"] == 3
    assert u["place"] == {"kind": "shelter", "shelter_id": "B", "kelurahan_code": None, "open": True}
    assert u["items_missing"] == ["paket_sandang"]


def test_only_the_three_newest_days_are_kept_but_all_are_counted() -> None:
    snap = run([person("p")], [stay("p", "A", at(1, 6))], as_of=at(6, 23))
    u = reasons(snap, "p")
    assert [d["date"] for d in u["meal_days"]] == ["2026-01-06", "2026-01-05", "2026-01-04"]
    assert u["meal_days_total"] == 6


def test_mandiri_household_days_have_no_shelter_and_the_place_is_the_kelurahan() -> None:
    """Rahmat stays with relatives in K2; his household got 3 porsi on Jan 1 (due 3), none on Jan 2."""
    snap = run([person("rahmat", "h1")], [mandiri("rahmat", at(1, 6), kelurahan="K2")],
               [to_household("h1", 3, at(1, 8), item="makanan_siap_saji"), to_person("rahmat", 1, at(1, 9))],
               as_of=at(2, 23))
    u = reasons(snap, "rahmat")
    assert u["missing"] == ["permakanan"] and u["items_missing"] == []
    assert u["meal_days"] == [{"date": "2026-01-02", "shelter_id": None}] and u["meal_days_total"] == 1
    assert u["place"] == {"kind": "mandiri", "shelter_id": None, "kelurahan_code": "K2", "open": True}


def test_a_person_who_went_home_is_placed_where_they_stayed_last() -> None:
    snap = run([person("p", vulns={"lansia"})], [stay("p", "A", at(1, 6), at(1, 20))], [meals("A", 3, at(1, 6))])
    u = reasons(snap, "p")
    assert u["missing"] == ["sandang", "penanganan_khusus"] and u["meal_days"] == []
    assert u["vulnerabilities"] == ["lansia"]
    assert u["place"] == {"kind": "shelter", "shelter_id": "A", "kelurahan_code": None, "open": False}
    assert shelter_row(snap, "A")["unmet_persons"] == 1


def test_today_beside_the_event_a_missed_day_stays_missed() -> None:
    """Ten persons in A since Jan 1; Jan 1 not fed, Jan 2 fully fed by 13:00. Today (Jan 2) all ten are
    fed; event-wide none is, because Jan 1 stays missed."""
    persons = [person(f"p{i}") for i in range(10)]
    stays = [stay(f"p{i}", "A", at(1, 6)) for i in range(10)]
    snap = run(persons, stays, [meals("A", 20, at(2, 6)), meals("A", 10, at(2, 11))], as_of=at(2, 13))
    assert snap["indicator"]["today"] == {"date": "2026-01-02",
                                          "permakanan": {"eligible": 10, "fulfilled": 10, "percent": 100.0}}
    assert snap["indicator"]["services"]["permakanan"] == {"eligible": 10, "fulfilled": 0}
    assert all(u["meal_days"] == [{"date": "2026-01-01", "shelter_id": "A"}] for u in snap["unmet"])
    # before the first meal time of a day nobody is due anything today
    early = run(persons, stays, as_of=at(2, 6))
    assert early["indicator"]["today"]["permakanan"] == {"eligible": 0, "fulfilled": 0, "percent": None}


def test_meals_of_today_per_meal_time() -> None:
    """A: 10 persons at breakfast, 9 at lunch (one leaves at 10:00); as of 13:00. 8 porsi at 06:30 count for
    breakfast, 12 at 09:00 for lunch (the first meal time at or after), 5 at 12:30 for dinner."""
    persons = [person(f"p{i}") for i in range(10)]
    stays = [stay(f"p{i}", "A", at(1, 6)) for i in range(9)] + [stay("p9", "A", at(1, 6), at(1, 10))]
    snap = run(persons, stays, [meals("A", 8, at(1, 6, 30)), meals("A", 12, at(1, 9)), meals("A", 5, at(1, 12, 30))],
               as_of=at(1, 13))
    row = shelter_row(snap, "A")
    assert row["meals_today"] == [{"time": "07:00", "passed": True, "due": 10.0, "delivered": 8.0},
                                  {"time": "12:00", "passed": True, "due": 9.0, "delivered": 12.0},
                                  {"time": "18:00", "passed": False, "due": 0.0, "delivered": 5.0}]
    assert row["meals_due_today"] == 19.0 and row["meals_delivered_today"] == 25.0
    # a delivery after the last meal time counts for the last one; yesterday's deliveries not at all
    late = run(persons[:1], stays[:1], [meals("A", 3, at(1, 20)), meals("A", 3, at(1, 6))], as_of=at(2, 7))
    assert [m["delivered"] for m in shelter_row(late, "A")["meals_today"]] == [0.0, 0.0, 0.0]
    evening = run(persons[:1], stays[:1], [meals("A", 3, at(1, 20))], as_of=at(1, 21))
    assert [m["delivered"] for m in shelter_row(evening, "A")["meals_today"]] == [0.0, 0.0, 3.0]


def test_once_only_items_a_shelter_lacks() -> None:
    """A holds 12 residents in 4 households (h1: p0–p2, h2: p3–p5, h3: p6–p8, h4: p9–p11); p0 and p3 are
    balita, p6 is pregnant. Sandang: p1 got her own packet, h2 got 3 household packets (p3–p5 take the
    places), 1 packet sits at the shelter itself. Baby kit: p0 got one. Family kits: h1 and h2 one each;
    h3 got half a kit's worth through a member (not enough). p11 went missing (not a resident any more).
    Expected: sandang 12 − 1 − 1 (missing) − 3 − 1 (stock) = 6 packets; selimut 11; family kit 2 (h3, h4);
    baby kit 1 (p3); maternal nutrition 1 (p6)."""
    households = ["h1"] * 3 + ["h2"] * 3 + ["h3"] * 3 + ["h4"] * 3
    vulns = {0: {"balita"}, 3: {"balita"}, 6: {"ibu_hamil"}}
    persons = [person(f"p{i}", households[i], vulns=vulns.get(i, ()), registered=at(1, 1, i),
                      condition="hilang" if i == 11 else "selamat") for i in range(12)]
    stays = [stay(f"p{i}", "A", at(1, 6)) for i in range(12)]
    deliveries = [to_person("p1", 1, at(1, 9)), to_household("h2", 3, at(1, 9)), meals("A", 1, at(1, 9), "paket_sandang"),
                  to_person("p0", 1, at(1, 9), "paket_bayi"), to_household("h1", 1, at(1, 9), "family_kit"),
                  to_household("h2", 1, at(1, 9), "family_kit"), to_person("p7", 0.5, at(1, 9), "family_kit"),
                  DeliveryIn("paket_bayi", 1, at(1, 9), shelter_id="B")]  # another shelter's stock
    snap = run(persons, stays, deliveries, shelters=None)
    assert shelter_row(snap, "A")["lacking_items"] == [
        {"item_code": "paket_sandang", "unit": "paket", "quantity": 6.0},
        {"item_code": "selimut", "unit": "lembar", "quantity": 11.0},
        {"item_code": "family_kit", "unit": "paket", "quantity": 2.0},
        {"item_code": "paket_bayi", "unit": "paket", "quantity": 1.0},
        {"item_code": "paket_gizi_ibu", "unit": "paket", "quantity": 1.0}]
    # the sandang figure is the unmet list's: residents whose sandang is missing
    lacking_sandang = [u["person_id"] for u in snap["unmet"] if "sandang" in u["missing"]]
    assert len(lacking_sandang) == 7  # the shelter's stock packet clothes nobody by the SPM rule


def test_a_split_household_counts_once_in_the_first_shelter() -> None:
    persons = [person("a", "h1"), person("b", "h1")]
    snap = run(persons, [stay("a", "B", at(1, 6)), stay("b", "A", at(1, 6))],
               as_of=at(1, 23), prof=profile("bnpb_perka_7_2008"))
    # shelters in order of first mention: B, then A
    b, a = shelter_row(snap, "B"), shelter_row(snap, "A")
    assert {"item_code": "family_kit", "unit": "paket", "quantity": 1.0} in b["lacking_items"]
    assert all(x["item_code"] != "family_kit" for x in a["lacking_items"])


def test_services_missing_are_named_in_missing() -> None:
    snap = run([person("p", vulns={"disabilitas"}, psy=True)], [stay("p", "A", at(1, 6))],
               [meals("A", 3, at(1, 6)), to_person("p", 1, at(1, 8))], [service("p", "psikososial", at(1, 9))])
    u = reasons(snap, "p")
    assert u["missing"] == ["penanganan_khusus"] and u["meal_days"] == [] and u["items_missing"] == []
    assert u["vulnerabilities"] == ["disabilitas"]
