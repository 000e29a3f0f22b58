"""The worked examples of docs/rules.md, computed by the needs engine: the documentation may not drift
from the rules it explains. Each test names the section whose example it checks."""

from __future__ import annotations

import json
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from shared.domain.vulnerability import effective_vulnerabilities
from shared.needs.engine import compute_snapshot
from shared.needs.model import DeliveryIn, EventIn, PersonIn, Profile, ServiceIn, ShelterIn, StayIn
from shared.seed import DATA

WIB = ZoneInfo("Asia/Jakarta")


def spm_binjai() -> Profile:
    data = json.loads((DATA / "needs_profiles.json").read_text(encoding="utf-8"))
    body = next(p for p in data["profiles"] if p["code"] == "spm_binjai")
    return Profile.from_body("spm_binjai", 1, body)


def sphere() -> Profile:
    data = json.loads((DATA / "needs_profiles.json").read_text(encoding="utf-8"))
    body = next(p for p in data["profiles"] if p["code"] == "sphere_2018")
    return Profile.from_body("sphere_2018", 1, body)


def at(day: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026, 12, day, hh, mm, tzinfo=WIB)


EVENT = EventIn(id="ev", started_at=at(1, 0), standard_code="spm_binjai", data_seq=1)
A = ShelterIn(id="A", name="SD Negeri 1", capacity_persons=100)
B = ShelterIn(id="B", name="Masjid", capacity_persons=100)


def shelter_scene() -> tuple[list[PersonIn], list[StayIn]]:
    """Ten persons in A from 06:00 on 3 December; p0 (Budi) moves to B at 10:00; Siti arrives at 20:00."""
    persons = [PersonIn(id=f"p{i}", household_id=None, sex="L", condition="selamat") for i in range(10)]
    persons.append(PersonIn(id="siti", household_id=None, sex="P", condition="selamat"))
    stays = [StayIn(f"p{i}", "A", at(3, 6), at(3, 10) if i == 0 else None) for i in range(10)]
    stays += [StayIn("p0", "B", at(3, 10)), StayIn("siti", "A", at(3, 20))]
    return persons, stays


def meals(snapshot: dict) -> dict:  # type: ignore[type-arg]
    return next(n for n in snapshot["needs"] if n["item_code"] == "makanan_siap_saji")


def test_daily_needs_per_shelter_example() -> None:
    """"Daily needs per shelter": 28 porsi due in A and 2 in B on 3 December; 19 in A at 13:00."""
    persons, stays = shelter_scene()
    snap = compute_snapshot(EVENT, spm_binjai(), persons, [A, B], stays, [], [], at(3, 23), WIB)
    assert meals(snap)["required"] == 30.0
    rows = {s["id"]: s for s in snap["shelters"]}
    assert rows["A"]["meals_due_today"] == 28.0 and rows["B"]["meals_due_today"] == 2.0
    water = next(n for n in snap["needs"] if n["item_code"] == "air_minum")
    assert abs(water["required"] - 2.5 / 3 * 30) < 1e-9
    early = compute_snapshot(EVENT, spm_binjai(), persons, [A, B], stays, [], [], at(3, 13), WIB)
    assert {s["id"]: s["meals_due_today"] for s in early["shelters"]} == {"A": 19.0, "B": 1.0}


def test_permakanan_covered_shelter_days_example() -> None:
    """"Permakanan: covered shelter-days": 27 porsi leave all ten of A (Budi too) lacking; 28 + 2 cover
    everyone; porsi of 4 December do not cover 3 December; Siti has nothing due."""
    persons, stays = shelter_scene()

    def lacking(deliveries: list[DeliveryIn]) -> set[str]:
        snap = compute_snapshot(EVENT, spm_binjai(), persons, [A, B], stays, deliveries, [], at(4, 23), WIB)
        return {u["person_id"] for u in snap["unmet"] if "permakanan" in u["missing"]}

    day4 = [DeliveryIn("makanan_siap_saji", 30, at(4, 19), shelter_id="A"),
            DeliveryIn("makanan_siap_saji", 3, at(4, 19), shelter_id="B")]  # 4 Dec: 11 in A (Siti), 1 in B
    short = [DeliveryIn("makanan_siap_saji", 27, at(3, 19), shelter_id="A"),
             DeliveryIn("makanan_siap_saji", 2, at(3, 19), shelter_id="B")]
    assert lacking(short + day4) == {f"p{i}" for i in range(10)}
    enough = [DeliveryIn("makanan_siap_saji", 28, at(3, 19), shelter_id="A"),
              DeliveryIn("makanan_siap_saji", 2, at(3, 19), shelter_id="B")]
    assert lacking(enough + day4) == set()
    assert lacking(enough[:1] + day4) == {"p0"}  # B's day uncovered: only Budi was there
    assert lacking([DeliveryIn("makanan_siap_saji", 60, at(4, 8), shelter_id="A")]) >= {f"p{i}" for i in range(1, 10)}


def test_required_delivered_gap_example() -> None:
    """"Required, delivered and gap per item": 30 due, 27 delivered → gap 3, 90.00%; 12 sandang for 11 → 109.09%."""
    persons, stays = shelter_scene()
    deliveries = [DeliveryIn("makanan_siap_saji", 27, at(3, 19), shelter_id="A"),
                  DeliveryIn("paket_sandang", 12, at(3, 19), shelter_id="A")]
    snap = compute_snapshot(EVENT, spm_binjai(), persons, [A, B], stays, deliveries, [], at(3, 23), WIB)
    assert (meals(snap)["gap"], meals(snap)["coverage_percent"]) == (3.0, 90.0)
    sandang = next(n for n in snap["needs"] if n["item_code"] == "paket_sandang")
    assert (sandang["required"], sandang["gap"], sandang["coverage_percent"]) == (11.0, 0.0, 109.09)


def household() -> tuple[list[PersonIn], list[StayIn]]:
    names = ["ayah", "ibu", "ani", "budi"]
    persons = [PersonIn(id=n, household_id="H", sex="L", condition="selamat", registered_at=at(3, 8, i))
               for i, n in enumerate(names)]
    return persons, [StayIn(n, "A", at(3, 9)) for n in names]


def sandang_met(profile: Profile, deliveries: list[DeliveryIn]) -> set[str]:
    persons, stays = household()
    snap = compute_snapshot(EVENT, profile, persons, [A], stays, deliveries, [], at(3, 10), WIB)
    lacking = {u["person_id"] for u in snap["unmet"] if "sandang" in u["missing"]}
    return {p.id for p in persons} - lacking


def test_sandang_places_of_a_household_example() -> None:
    """"Sandang places of a household": Q = 2 gives Ayah and Ibu places, Ani her own packet, Budi nothing;
    places do not move down; under sphere_2018 (r = 2) one place."""
    to_household = DeliveryIn("paket_sandang", 2, at(3, 9, 30), household_id="H")
    to_ani = DeliveryIn("paket_sandang", 1, at(3, 9, 30), person_id="ani", household_id="H")
    assert sandang_met(spm_binjai(), [to_household, to_ani]) == {"ayah", "ibu", "ani"}
    to_ayah = DeliveryIn("paket_sandang", 1, at(3, 9, 30), person_id="ayah", household_id="H")
    assert sandang_met(spm_binjai(), [to_household, to_ani, to_ayah]) == {"ayah", "ibu", "ani"}
    assert sandang_met(sphere(), [to_household, to_ani]) == {"ayah"}


def test_age_and_vulnerability_example() -> None:
    """"Age and vulnerability": exactly 5 is not balita, exactly 60 is lansia, age_years 59 is not."""
    start = date(2026, 12, 1)
    assert effective_vulnerabilities([], date(2021, 12, 2), None, start) == ["balita"]
    assert effective_vulnerabilities([], date(2021, 12, 1), None, start) == []
    assert effective_vulnerabilities([], date(1966, 12, 1), None, start) == ["lansia"]
    assert effective_vulnerabilities([], None, 59, start) == []
    assert effective_vulnerabilities(["balita", "disabilitas"], None, 30, start) == ["disabilitas"]


def test_indicator_and_people_counts_example() -> None:
    """"The basic-needs indicator" and "People counts": 12 registered, 9 eligible, 6 fulfilled → 66.67%;
    displaced_now 8, returned 1, affected 1, missing 1, dead 1."""
    persons = [PersonIn(id=f"p{i}", household_id=None, sex="P", condition="selamat") for i in range(9)]
    persons += [PersonIn(id="gone", household_id=None, sex="L", condition="meninggal"),
                PersonIn(id="lost", household_id=None, sex="L", condition="hilang"),
                PersonIn(id="home", household_id=None, sex="L", condition="selamat")]
    stays = [StayIn(f"p{i}", "A", at(3, 6), at(3, 7, 30) if i == 8 else None) for i in range(9)]
    stays += [StayIn("gone", "A", at(3, 6)), StayIn("lost", "A", at(3, 6))]
    deliveries = [DeliveryIn("makanan_siap_saji", 11, at(3, 7), shelter_id="A")]
    deliveries += [DeliveryIn("paket_sandang", 1, at(3, 7), person_id=f"p{i}") for i in range(6)]
    profile = spm_binjai()
    snap = compute_snapshot(EVENT, profile, persons, [A], stays, deliveries, [], at(3, 8), WIB)
    ind, people = snap["indicator"], snap["people"]
    assert (ind["eligible"], ind["fulfilled"], ind["percent"]) == (9, 6, 66.67)
    assert (people["registered"], people["displaced_now"], people["returned"], people["affected"],
            people["missing"], people["dead"]) == (12, 8, 1, 1, 1, 1)


def test_services_count_when_recorded_before_the_stay() -> None:
    """"Penanganan khusus and psikososial": a service recorded before the stay still counts."""
    persons = [PersonIn(id="nenek", household_id=None, sex="P", condition="selamat",
                        vulnerabilities=frozenset({"lansia"}), needs_psychosocial=True)]
    services = [ServiceIn("nenek", "penanganan_khusus", at(3, 5)), ServiceIn("nenek", "psikososial", at(3, 5))]
    snap = compute_snapshot(EVENT, spm_binjai(), persons, [A], [StayIn("nenek", "A", at(3, 6))], [], services,
                            at(3, 6, 30), WIB)
    assert [{"person_id": u["person_id"], "missing": u["missing"]} for u in snap["unmet"]] == [{"person_id": "nenek", "missing": ["sandang"]}]


def test_shelter_adequacy_example() -> None:
    """"Shelter adequacy": 10 occupants, 30 m² and 1 toilet → area false, toilets true; 8 occupants → area true."""
    def row(n: int, **figures: float) -> dict:  # type: ignore[type-arg]
        shelter = ShelterIn(id="S", name="Balai", capacity_persons=50, **figures)  # type: ignore[arg-type]
        persons = [PersonIn(id=f"p{i}", household_id=None, sex="L", condition="selamat") for i in range(n)]
        stays = [StayIn(f"p{i}", "S", at(3, 6)) for i in range(n)]
        snap = compute_snapshot(EVENT, spm_binjai(), persons, [shelter], stays, [], [], at(3, 8), WIB)
        return snap["shelters"][0]  # type: ignore[no-any-return]

    ten = row(10, covered_area_m2=30, toilets=1)
    assert (ten["occupants"], ten["covered_area_ok"], ten["toilets_ok"]) == (10, False, True)
    assert row(9, covered_area_m2=30, toilets=1)["covered_area_ok"] is False
    assert row(8, covered_area_m2=30, toilets=1)["covered_area_ok"] is True
    unknown = row(10)
    assert unknown["covered_area_ok"] is None and unknown["toilets_ok"] is None


def test_meal_times_of_the_profile() -> None:
    assert spm_binjai().meal_times == (time(7), time(12), time(18))


def mandiri_scene() -> tuple[list[PersonIn], list[StayIn]]:
    """"Mandiri stays": the Rahmat household (R) with relatives from 06:00 on 3 December, Eko in shelter A
    until 15:00 and then with them; Nenek Ros (no household) with a neighbour from 06:00."""
    persons = [PersonIn(id=pid, household_id="R", sex=sex, condition="selamat")
               for pid, sex in (("rahmat", "L"), ("sri", "P"), ("dina", "P"), ("eko", "L"))]
    persons.append(PersonIn(id="ros", household_id=None, sex="P", condition="selamat"))
    stays = [StayIn(pid, None, at(3, 6), kelurahan_code="12.75.05.1006") for pid in ("rahmat", "sri", "dina", "ros")]
    stays += [StayIn("eko", "A", at(3, 6), at(3, 15)), StayIn("eko", None, at(3, 15), kelurahan_code="12.75.05.1006")]
    return persons, stays


def test_mandiri_stays_example() -> None:
    """"Mandiri stays": due(Rahmat) 10, due(Ros) 3, due(A) 2 → 15 porsi and 12.5 L required; 6 to the household
    and 4 to Sri cover the household, 6 alone leave all four lacking; porsi to shelter A never cover the
    household; tempat_penampungan only for Eko; displaced 5, all mandiri."""
    persons, stays = mandiri_scene()

    def snapshot(deliveries: list[DeliveryIn]) -> dict:  # type: ignore[type-arg]
        return compute_snapshot(EVENT, spm_binjai(), persons, [A], stays, deliveries, [], at(3, 23), WIB)

    def lacking(deliveries: list[DeliveryIn]) -> set[str]:
        return {u["person_id"] for u in snapshot(deliveries)["unmet"] if "permakanan" in u["missing"]}

    snap = snapshot([])
    assert meals(snap)["required"] == 15.0
    water = next(n for n in snap["needs"] if n["item_code"] == "air_minum")
    assert water["required"] == 12.5
    household = DeliveryIn("makanan_siap_saji", 6, at(3, 12, 30), household_id="R")
    to_sri = DeliveryIn("makanan_siap_saji", 4, at(3, 18, 30), person_id="sri")
    to_a = DeliveryIn("makanan_siap_saji", 2, at(3, 19), shelter_id="A")
    to_ros = DeliveryIn("makanan_siap_saji", 3, at(3, 19), person_id="ros")
    assert lacking([household, to_sri, to_a, to_ros]) == set()
    assert lacking([household, to_a, to_ros]) == {"rahmat", "sri", "dina", "eko"}
    assert lacking([household, to_sri, to_ros]) == {"eko"}  # (A, 3 Dec) not covered
    assert lacking([household, to_a, to_ros, DeliveryIn("makanan_siap_saji", 10, at(3, 19), shelter_id="A")]) == {
        "rahmat", "sri", "dina", "eko"}  # a shelter's porsi count only for that shelter
    assert lacking([household, to_sri, to_a]) == {"ros"}
    services = snap["indicator"]["services"]
    assert services["tempat_penampungan"] == {"eligible": 1, "fulfilled": 1}
    assert snap["indicator"]["eligible"] == 5
    people = snap["people"]
    assert (people["displaced_now"], people["in_shelters_now"], people["mandiri_now"]) == (5, 0, 5)
    assert people["staying_by_kelurahan"] == [
        {"kelurahan_code": "12.75.05.1006", "in_shelters_now": 0, "mandiri_now": 5}]


def test_what_is_missing_now_example() -> None:
    """"What is missing now": meals of 4 December per meal time, once-only items lacking, today's
    permakanan 90.91% beside the event-wide 9.09%, and the failed days of the nine and of Budi."""
    persons, stays = shelter_scene()
    deliveries = [DeliveryIn("makanan_siap_saji", 27, at(3, 19), shelter_id="A"),
                  DeliveryIn("makanan_siap_saji", 2, at(3, 19), shelter_id="B"),
                  DeliveryIn("makanan_siap_saji", 10, at(4, 6, 30), shelter_id="A"),
                  DeliveryIn("makanan_siap_saji", 10, at(4, 11), shelter_id="A"),
                  DeliveryIn("paket_sandang", 2, at(4, 9), shelter_id="A")]
    deliveries += [DeliveryIn("paket_sandang", 1, at(4, 9), person_id=f"p{i}") for i in range(1, 5)]
    snap = compute_snapshot(EVENT, spm_binjai(), persons, [A, B], stays, deliveries, [], at(4, 13), WIB)
    rows = {s["id"]: s for s in snap["shelters"]}
    assert [(m["time"], m["passed"], m["due"], m["delivered"]) for m in rows["A"]["meals_today"]] == [
        ("07:00", True, 10.0, 10.0), ("12:00", True, 10.0, 10.0), ("18:00", False, 0.0, 0.0)]
    assert [(m["due"], m["delivered"]) for m in rows["B"]["meals_today"]] == [(1.0, 0.0), (1.0, 0.0), (0.0, 0.0)]
    assert rows["A"]["lacking_items"] == [{"item_code": "paket_sandang", "unit": "paket", "quantity": 4.0},
                                          {"item_code": "selimut", "unit": "lembar", "quantity": 10.0}]
    assert rows["B"]["lacking_items"] == [{"item_code": "paket_sandang", "unit": "paket", "quantity": 1.0},
                                          {"item_code": "selimut", "unit": "lembar", "quantity": 1.0}]
    assert snap["indicator"]["today"]["permakanan"] == {"eligible": 11, "fulfilled": 10, "percent": 90.91}
    assert snap["indicator"]["services"]["permakanan"] == {"eligible": 11, "fulfilled": 1}
    by_id = {u["person_id"]: u for u in snap["unmet"]}
    assert all(by_id[f"p{i}"]["meal_days"] == [{"date": "2026-12-03", "shelter_id": "A"}] for i in range(1, 10))
    assert by_id["p0"]["meal_days"] == [{"date": "2026-12-04", "shelter_id": "B"}, {"date": "2026-12-03", "shelter_id": "A"}]
    assert by_id["p0"]["meal_days_total"] == 2
    assert sum(1 for u in snap["unmet"] if "sandang" in u["missing"] and u["place"]["shelter_id"] == "A") == 6
