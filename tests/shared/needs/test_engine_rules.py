"""The rules of docs/rules.md, one by one, with hand-computed figures.

Times are local (Asia/Jakarta); the default `as_of` is 23:00 on January 1st. spm_binjai has meal times
07:00, 12:00 and 18:00, makanan_siap_saji rate 3 (one portion per person per meal time), air_minum 2.5,
paket_sandang 1 per person, 3.5 m² and 1 toilet per 20 persons.
"""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction

from shared.needs.model import SERVICES, DeliveryIn
from shared.needs.numbers import percent, round_half_up

from .builders import (
    TZ,
    at,
    mandiri,
    meals,
    need,
    person,
    profile,
    profile_body,
    run,
    service,
    service_counts,
    shelter,
    shelter_row,
    stay,
    to_household,
    to_person,
    unmet,
)

# ---- snapshot shape ----------------------------------------------------------------------------------


def test_snapshot_has_the_documented_shape() -> None:
    """The snapshot carries the keys of docs/api.md "Status snapshot" (no seq) plus `unmet`; as_of is UTC ISO 8601."""
    snap = run([person("p1", sex="P")], [stay("p1", "A", at(1, 6))], as_of=at(1, 23), target=95.0)
    assert list(snap) == ["event_id", "data_seq", "as_of", "standard_code", "people", "indicator", "needs",
                          "shelters", "unmet"]
    assert snap["event_id"] == "ev-1" and snap["data_seq"] == 42 and snap["standard_code"] == "spm_binjai"
    assert snap["as_of"] == "2026-01-01T16:00:00+00:00"
    assert datetime.fromisoformat(snap["as_of"]) == at(1, 23)
    assert set(snap["people"]) == {"registered", "displaced_now", "in_shelters_now", "mandiri_now", "returned",
                                   "affected", "injured", "missing", "dead", "by_sex", "vulnerable",
                                   "staying_by_kelurahan"}
    assert snap["people"]["by_sex"] == {"L": 0, "P": 1}
    assert list(snap["people"]["vulnerable"]) == ["balita", "lansia", "ibu_hamil", "ibu_menyusui", "disabilitas",
                                                   "terpisah", "tanpa_pendamping"]
    assert snap["indicator"]["target_percent"] == 95.0
    assert list(snap["indicator"]["services"]) == list(SERVICES)
    assert [n["item_code"] for n in snap["needs"]] == [i["code"] for i in profile_body()["items"]]
    assert set(snap["needs"][0]) == {"item_code", "unit", "required", "delivered", "gap", "coverage_percent"}
    assert set(snap["shelters"][0]) == {"id", "name", "occupants", "capacity_persons", "meals_due_today",
                                        "meals_delivered_today", "covered_area_ok", "toilets_ok",
                                        "meals_today", "lacking_items", "unmet_persons"}
    assert set(snap["indicator"]["today"]) == {"date", "permakanan"}
    assert set(snap["unmet"][0]) == {"person_id", "missing", "vulnerabilities", "place", "meal_days",
                                     "meal_days_total", "items_missing"}


def test_shelters_come_in_input_order_with_their_own_figures() -> None:
    """One row per input shelter, in input order, including a shelter nobody stayed in."""
    shelters = [shelter("Z", capacity=7), shelter("A", capacity=50)]
    snap = run([person("p1")], [stay("p1", "A", at(1, 6))], shelters=shelters)
    assert [(s["id"], s["name"], s["capacity_persons"], s["occupants"]) for s in snap["shelters"]] == [
        ("Z", "Posko Z", 7, 0), ("A", "Posko A", 50, 1)]


# ---- meal times and presence ---------------------------------------------------------------------------


def test_arrival_at_20_has_nothing_due_that_day() -> None:
    """Someone who arrives at 20:00 needs nothing more that day: no meal time passed while present."""
    persons, stays = [person("p1")], [stay("p1", "A", at(1, 20))]
    snap = run(persons, stays, as_of=at(1, 23))
    assert need(snap, "makanan_siap_saji")["required"] == 0.0
    assert need(snap, "makanan_siap_saji")["coverage_percent"] is None
    assert shelter_row(snap, "A")["meals_due_today"] == 0.0
    assert service_counts(snap, "permakanan") == (1, 1)  # nothing due yet: met
    assert unmet(snap) == {"p1": ["sandang"]}

    next_morning = run(persons, stays, as_of=at(2, 7, 30))
    assert need(next_morning, "makanan_siap_saji")["required"] == 1.0
    assert shelter_row(next_morning, "A")["meals_due_today"] == 1.0
    assert service_counts(next_morning, "permakanan") == (1, 0)


def test_transfer_at_10_splits_the_day_between_shelters() -> None:
    """Transferred at 10:00: breakfast is due in the first shelter, lunch and dinner in the second."""
    persons = [person("p1")]
    stays = [stay("p1", "A", at(1, 6), at(1, 10)), stay("p1", "B", at(1, 10))]
    snap = run(persons, stays, [meals("A", 1, at(1, 7)), meals("B", 2, at(1, 12))])
    assert need(snap, "makanan_siap_saji")["required"] == 3.0
    assert (shelter_row(snap, "A")["meals_due_today"], shelter_row(snap, "B")["meals_due_today"]) == (1.0, 2.0)
    assert (shelter_row(snap, "A")["occupants"], shelter_row(snap, "B")["occupants"]) == (0, 1)
    assert service_counts(snap, "permakanan") == (1, 1)

    short_in_b = run(persons, stays, [meals("A", 1, at(1, 7)), meals("B", 1, at(1, 12))])
    assert unmet(short_in_b) == {"p1": ["permakanan", "sandang"]}


def test_only_meal_times_already_passed_today_are_due() -> None:
    """Only meal times at or before as_of count: 11:59 → breakfast; 12:00 → lunch too; 18:00 → all three."""
    persons, stays = [person("p1")], [stay("p1", "A", at(1, 6))]
    expected = {at(1, 6, 59): 0.0, at(1, 11, 59): 1.0, at(1, 12): 2.0, at(1, 17, 59): 2.0, at(1, 18): 3.0}
    for as_of, due in expected.items():
        snap = run(persons, stays, as_of=as_of)
        assert shelter_row(snap, "A")["meals_due_today"] == due, as_of
        assert need(snap, "makanan_siap_saji")["required"] == due, as_of

    day_two = run(persons, stays, as_of=at(2, 8))
    assert shelter_row(day_two, "A")["meals_due_today"] == 1.0  # today's breakfast only
    assert need(day_two, "makanan_siap_saji")["required"] == 4.0  # yesterday's three as well


def test_per_person_day_items_scale_with_rate_over_meal_times() -> None:
    """due = rate / number_of_meal_times × Σ present: air_minum 2.5 for one meal time is 2.5/3 L."""
    snap = run([person("p1")], [stay("p1", "A", at(1, 6))], as_of=at(1, 8))
    assert need(snap, "air_minum")["required"] == 2.5 / 3
    assert need(snap, "air_bersih")["required"] == 5.0
    assert need(snap, "makanan_siap_saji")["unit"] == "porsi"


def test_overlapping_stays_in_one_shelter_count_the_person_once() -> None:
    """present(S, t) counts distinct persons: two overlapping stays of p1 in A are one portion per meal."""
    stays = [stay("p1", "A", at(1, 6)), stay("p1", "A", at(1, 11), at(1, 15))]
    snap = run([person("p1")], stays)
    assert need(snap, "makanan_siap_saji")["required"] == 3.0
    assert shelter_row(snap, "A")["meals_due_today"] == 3.0
    assert shelter_row(snap, "A")["occupants"] == 1


def test_back_to_back_stays_in_one_shelter_count_each_meal_once() -> None:
    """A check-out at 12:00 and a new check-in at 12:00 in the same shelter: lunch counted once."""
    stays = [stay("p1", "A", at(1, 6), at(1, 12)), stay("p1", "A", at(1, 12))]
    snap = run([person("p1")], stays)
    assert need(snap, "makanan_siap_saji")["required"] == 3.0


def test_overlapping_stays_in_two_shelters_count_in_both() -> None:
    """A person with overlapping stays in two shelters is present in both."""
    stays = [stay("p1", "A", at(1, 6)), stay("p1", "B", at(1, 6))]
    snap = run([person("p1")], stays)
    assert need(snap, "makanan_siap_saji")["required"] == 6.0
    assert shelter_row(snap, "A")["meals_due_today"] == shelter_row(snap, "B")["meals_due_today"] == 3.0
    # both shelter-days must be covered
    only_a = run([person("p1")], stays, [meals("A", 3, at(1, 8))])
    assert unmet(only_a)["p1"][0] == "permakanan"


def test_check_in_at_a_meal_time_counts_and_check_out_at_a_meal_time_does_not() -> None:
    """A stay is [check_in, check_out): present at 12:00 when checking in at 12:00, not when leaving then."""
    snap = run([person("p1"), person("p2")],
               [stay("p1", "A", at(1, 12)), stay("p2", "B", at(1, 6), at(1, 12))])
    assert shelter_row(snap, "A")["meals_due_today"] == 2.0  # 12:00 and 18:00
    assert shelter_row(snap, "B")["meals_due_today"] == 1.0  # 07:00 only


# ---- permakanan --------------------------------------------------------------------------------------


def test_a_shelter_day_one_portion_short_fails_everyone_present_there_that_day() -> None:
    """permakanan: A was due 6 portions on day 1 and got 5, so p1 and p2 (present there) fail; p3 in B does not."""
    persons = [person("p1"), person("p2"), person("p3")]
    stays = [stay("p1", "A", at(1, 6)), stay("p2", "A", at(1, 6)), stay("p3", "B", at(1, 6))]
    deliveries = [meals("A", 3, at(1, 7)), meals("A", 2, at(1, 12)), meals("B", 3, at(1, 7))]
    snap = run(persons, stays, deliveries)
    assert shelter_row(snap, "A")["meals_due_today"] == 6.0
    assert shelter_row(snap, "A")["meals_delivered_today"] == 5.0
    assert unmet(snap) == {"p1": ["permakanan", "sandang"], "p2": ["permakanan", "sandang"], "p3": ["sandang"]}
    assert service_counts(snap, "permakanan") == (3, 1)
    assert need(snap, "makanan_siap_saji")["gap"] == 1.0


def test_someone_who_left_before_the_short_meal_day_is_not_failed() -> None:
    """Only shelter-days in which p was present at a meal time matter: p2 left A on day 1, day 2 is short."""
    persons = [person("p1"), person("p2")]
    stays = [stay("p1", "A", at(1, 6)), stay("p2", "A", at(1, 6), at(1, 20))]
    deliveries = [meals("A", 6, at(1, 7)), meals("A", 2, at(2, 7))]  # day 2: 3 due, 2 delivered
    snap = run(persons, stays, deliveries, as_of=at(2, 23))
    assert unmet(snap) == {"p1": ["permakanan", "sandang"], "p2": ["sandang"]}


def test_permakanan_does_not_carry_over_between_days() -> None:
    """A surplus on day 2 does not cover day 1's shortfall, even though the totals match."""
    persons, stays = [person("p1")], [stay("p1", "A", at(1, 6))]
    short = run(persons, stays, [meals("A", 2, at(1, 7)), meals("A", 10, at(2, 7))], as_of=at(2, 23))
    assert need(short, "makanan_siap_saji")["required"] == 6.0
    assert need(short, "makanan_siap_saji")["delivered"] == 12.0
    assert service_counts(short, "permakanan") == (1, 0)

    exact = run(persons, stays, [meals("A", 3, at(1, 7)), meals("A", 3, at(2, 7))], as_of=at(2, 23))
    assert service_counts(exact, "permakanan") == (1, 1)


def test_the_local_day_of_a_delivery_decides_which_shelter_day_it_covers() -> None:
    """Days are local: 17:30 UTC on Jan 1 is 00:30 on Jan 2 in Jakarta and covers Jan 2, not Jan 1."""
    persons, stays = [person("p1")], [stay("p1", "A", at(1, 6), at(2, 1))]
    late = run(persons, stays, [meals("A", 3, datetime(2026, 1, 1, 17, 30, tzinfo=UTC))], as_of=at(2, 23))
    assert service_counts(late, "permakanan") == (1, 0)
    in_time = run(persons, stays, [meals("A", 3, datetime(2026, 1, 1, 16, 30, tzinfo=UTC))], as_of=at(2, 23))
    assert service_counts(in_time, "permakanan") == (1, 1)


def test_meals_delivered_today_counts_only_this_shelter_and_this_local_day() -> None:
    """meals_delivered_today: permakanan delivered to S on the local day of as_of, up to as_of."""
    deliveries = [meals("A", 4, at(1, 7)), meals("A", 5, at(2, 7)), meals("B", 7, at(2, 7)),
                  meals("A", 6, at(2, 13)), meals("A", 8, at(2, 9), item="air_minum")]
    snap = run([person("p1")], [stay("p1", "A", at(1, 6))], deliveries,
               shelters=[shelter("A"), shelter("B")], as_of=at(2, 12, 30))
    assert shelter_row(snap, "A")["meals_delivered_today"] == 5.0
    assert shelter_row(snap, "B")["meals_delivered_today"] == 7.0


def test_meals_given_to_a_person_do_not_cover_a_shelter_day() -> None:
    """Meals are recorded per shelter: a person-level meal delivery counts in `delivered` but covers no shelter-day."""
    snap = run([person("p1")], [stay("p1", "A", at(1, 6))], [to_person("p1", 3, at(1, 8), "makanan_siap_saji")])
    assert need(snap, "makanan_siap_saji")["delivered"] == 3.0
    assert service_counts(snap, "permakanan") == (1, 0)


def test_the_inasafe_example_gives_exact_figures() -> None:
    """1,000 persons at every meal time of 7 past days under bnpb_perka_7_2008: beras 2800 kg exactly,
    air_minum 17500 L, air_bersih 66990 L, family_kit = 200 households; daily beras makes permakanan met."""
    prof = profile("bnpb_perka_7_2008")
    persons = [person(f"p{i:04d}", f"h{i // 5:03d}") for i in range(1000)]
    stays = [stay(p.id, "A" if i < 600 else "B", at(1, 6)) for i, p in enumerate(persons)]
    beras = [DeliveryIn("beras", qty, at(day, 9), shelter_id=sid)
             for day in range(1, 8) for sid, qty in (("A", 240.0), ("B", 160.0))]
    snap = run(persons, stays, beras, prof=prof, as_of=at(7, 23))
    assert need(snap, "beras")["required"] == 2800.0
    assert need(snap, "beras")["unit"] == "kg"
    assert need(snap, "air_minum")["required"] == 17500.0
    assert need(snap, "air_bersih")["required"] == 66990.0
    assert need(snap, "family_kit")["required"] == 200.0
    assert need(snap, "paket_sandang")["required"] == 1000.0
    assert need(snap, "beras")["delivered"] == 2800.0
    assert need(snap, "beras")["gap"] == 0.0
    assert need(snap, "beras")["coverage_percent"] == 100.0
    assert shelter_row(snap, "A")["meals_due_today"] == 240.0  # 0.4 / 3 × 1,800
    assert service_counts(snap, "permakanan") == (1000, 1000)

    assert beras[4] == DeliveryIn("beras", 240.0, at(3, 9), shelter_id="A")
    one_day_short = beras[:4] + [DeliveryIn("beras", 239.9, at(3, 9), shelter_id="A")] + beras[5:]
    short = run(persons, stays, one_day_short, prof=prof, as_of=at(7, 23))
    assert service_counts(short, "permakanan") == (1000, 400)


def test_an_edited_profile_with_two_meal_times_works() -> None:
    """An admin-edited profile (meal times 08:00 and 17:00, meals rate 2) gives one portion per meal time."""
    body = profile_body()
    body["meal_times_local"] = ["08:00", "17:00"]
    body["items"][0]["rate"] = 2
    prof = profile("spm_binjai", body)
    persons = [person("p1"), person("p2")]
    stays = [stay("p1", "A", at(1, 6)), stay("p2", "A", at(1, 12))]
    snap = run(persons, stays, [meals("A", 3, at(1, 9))], prof=prof)
    assert need(snap, "makanan_siap_saji")["required"] == 3.0  # 08:00: p1; 17:00: p1, p2
    assert need(snap, "air_minum")["required"] == 3.75  # 2.5 / 2 × 3
    assert shelter_row(snap, "A")["meals_due_today"] == 3.0
    assert service_counts(snap, "permakanan") == (2, 2)
    assert need(run(persons, stays, prof=prof, as_of=at(1, 12)), "makanan_siap_saji")["required"] == 1.0
    short = run(persons, stays, [meals("A", 2, at(1, 9))], prof=prof)
    assert service_counts(short, "permakanan") == (2, 0)


def test_a_profile_without_a_permakanan_item_meets_permakanan_for_everyone() -> None:
    """Chosen rule: with no permakanan item there is nothing to deliver, so permakanan is met; nothing is due."""
    body = profile_body()
    body["items"] = [i for i in body["items"] if i.get("service") != "permakanan"]
    snap = run([person("p1")], [stay("p1", "A", at(1, 6))], prof=profile("spm_binjai", body))
    assert service_counts(snap, "permakanan") == (1, 1)
    assert shelter_row(snap, "A")["meals_due_today"] == 0
    assert shelter_row(snap, "A")["meals_delivered_today"] == 0
    assert "makanan_siap_saji" not in [n["item_code"] for n in snap["needs"]]


# ---- sandang -----------------------------------------------------------------------------------------


def test_household_sandang_covers_the_first_members_in_registration_order() -> None:
    """Q = 3 household-level sandang (rate 1) covers the first 3 members by (registered_at, id); the hilang
    member takes a place; m4 (same registration time as m3, larger id) is left out."""
    persons = [person("m4", "H", registered=at(1, 10)), person("m3", "H", registered=at(1, 10)),
               person("m2", "H", condition="hilang", registered=at(1, 9)), person("m1", "H", registered=at(1, 8))]
    stays = [stay(p.id, "A", at(1, 20)) for p in persons]
    snap = run(persons, stays, [to_household("H", 2, at(1, 21)), to_household("H", 1, at(1, 22))])
    assert unmet(snap) == {"m4": ["sandang"]}
    assert service_counts(snap, "sandang") == (3, 2)  # m2 is not eligible
    assert need(snap, "paket_sandang")["delivered"] == 3.0


def test_household_sandang_rounds_places_down() -> None:
    """⌊Q / rate⌋ places: 2.5 packages cover two members."""
    persons = [person("m1", "H", registered=at(1, 8)), person("m2", "H", registered=at(1, 9)),
               person("m3", "H", registered=at(1, 10))]
    snap = run(persons, [stay(p.id, "A", at(1, 20)) for p in persons], [to_household("H", 2.5, at(1, 21))])
    assert unmet(snap) == {"m3": ["sandang"]}


def test_a_personal_package_does_not_free_a_household_place() -> None:
    """Every member takes a place whatever their personal distributions: Q = 1 goes to m1 even though m1
    already had a personal package, so m2 stays unmet."""
    persons = [person("m1", "H", registered=at(1, 8)), person("m2", "H", registered=at(1, 9))]
    deliveries = [to_person("m1", 1, at(1, 21)), to_household("H", 1, at(1, 21))]
    snap = run(persons, [stay(p.id, "A", at(1, 20)) for p in persons], deliveries)
    assert unmet(snap) == {"m2": ["sandang"]}


def test_a_member_without_registration_time_comes_last() -> None:
    """Chosen rule: a member with no registered_at is ordered after the others."""
    persons = [person("a", "H", registered=None), person("b", "H", registered=at(1, 9))]
    snap = run(persons, [stay(p.id, "A", at(1, 20)) for p in persons], [to_household("H", 1, at(1, 21))])
    assert unmet(snap) == {"a": ["sandang"]}


def test_household_sandang_uses_the_profile_rate() -> None:
    """sphere_2018 gives 2 clothing sets per person: Q = 3 covers one member."""
    persons = [person("m1", "H", registered=at(1, 8)), person("m2", "H", registered=at(1, 9))]
    snap = run(persons, [stay(p.id, "A", at(1, 20)) for p in persons], [to_household("H", 3, at(1, 21))],
               prof=profile("sphere_2018"))
    assert unmet(snap) == {"m2": ["sandang"]}


def test_person_level_sandang_must_reach_the_rate() -> None:
    """Person-level sandang totalling at least `rate`: under sphere_2018 (rate 2) one set is not enough,
    two deliveries of one are."""
    persons = [person("p1"), person("p2")]
    stays = [stay("p1", "A", at(1, 20)), stay("p2", "A", at(1, 20))]
    deliveries = [to_person("p1", 1, at(1, 21)), to_person("p2", 1, at(1, 21)), to_person("p2", 1, at(1, 22))]
    assert unmet(run(persons, stays, deliveries, prof=profile("sphere_2018"))) == {"p1": ["sandang"]}
    assert unmet(run(persons, stays, deliveries)) == {}  # spm_binjai: rate 1


def test_sandang_for_another_household_or_item_does_not_count() -> None:
    """Only the sandang item to p or to p's own household counts."""
    persons = [person("p1", "H1"), person("p2", "H2")]
    deliveries = [to_household("H2", 5, at(1, 21)), to_person("p1", 1, at(1, 21), item="selimut")]
    snap = run(persons, [stay(p.id, "A", at(1, 20)) for p in persons], deliveries)
    assert unmet(snap) == {"p1": ["sandang"]}


def test_a_profile_without_a_sandang_item_meets_sandang_for_everyone() -> None:
    """Chosen rule: with no sandang item there is nothing to deliver, so sandang is met."""
    body = profile_body()
    body["items"] = [i for i in body["items"] if i.get("service") != "sandang"]
    snap = run([person("p1")], [stay("p1", "A", at(1, 20))], prof=profile("spm_binjai", body))
    assert service_counts(snap, "sandang") == (1, 1)
    assert snap["indicator"]["fulfilled"] == 1


# ---- penanganan khusus, psikososial, tempat penampungan ----------------------------------------------


def test_vulnerable_persons_need_penanganan_khusus() -> None:
    """penanganan_khusus is required for any vulnerability and met by one service of that kind; a service
    recorded before the stay counts; a non-vulnerable person does not need it."""
    persons = [person("balita", vulns=["balita"]), person("lansia", vulns=["lansia"]), person("plain")]
    stays = [stay(p.id, "A", at(1, 20)) for p in persons]
    sandang = [to_person(p.id, 1, at(1, 21)) for p in persons]
    services = [service("lansia", "penanganan_khusus", at(1, 5)), service("balita", "psikososial", at(1, 21))]
    snap = run(persons, stays, sandang, services)
    assert unmet(snap) == {"balita": ["penanganan_khusus"]}
    assert service_counts(snap, "penanganan_khusus") == (2, 1)
    assert snap["indicator"]["eligible"] == 3 and snap["indicator"]["fulfilled"] == 2
    assert snap["indicator"]["percent"] == 66.67


def test_psychosocial_flag_requires_a_psychosocial_service() -> None:
    """psikososial is required when needs_psychosocial is set, met only by a psikososial service."""
    persons = [person("p1", psy=True), person("p2", psy=True), person("p3", psy=True), person("p4")]
    stays = [stay(p.id, "A", at(1, 20)) for p in persons]
    sandang = [to_person(p.id, 1, at(1, 21)) for p in persons]
    services = [service("p2", "psikososial", at(1, 21)), service("p3", "penanganan_khusus", at(1, 21))]
    snap = run(persons, stays, sandang, services)
    assert unmet(snap) == {"p1": ["psikososial"], "p3": ["psikososial"]}
    assert service_counts(snap, "psikososial") == (3, 1)
    assert service_counts(snap, "penanganan_khusus") == (0, 0)


def test_tempat_penampungan_is_met_by_every_eligible_person() -> None:
    """tempat_penampungan is met by having a stay, and every eligible person has one."""
    persons = [person("p1"), person("p2"), person("p3")]
    snap = run(persons, [stay("p1", "A", at(1, 6), at(1, 9)), stay("p2", "A", at(1, 6))])
    assert service_counts(snap, "tempat_penampungan") == (2, 2)


def test_unmet_is_sorted_by_person_with_services_in_canonical_order() -> None:
    """unmet lists eligible persons not fulfilled, by person_id, their missing services in SERVICES order."""
    persons = [person("p3"), person("p1", vulns=["disabilitas"], psy=True), person("p2"), person("p0")]
    stays = [stay("p3", "A", at(1, 6)), stay("p1", "A", at(1, 6)), stay("p2", "B", at(1, 20)),
             stay("p0", "B", at(1, 20))]
    snap = run(persons, stays, [to_person("p0", 1, at(1, 21))])
    assert [{"person_id": u["person_id"], "missing": u["missing"]} for u in snap["unmet"]] == [
        {"person_id": "p1", "missing": ["permakanan", "sandang", "penanganan_khusus", "psikososial"]},
        {"person_id": "p2", "missing": ["sandang"]},
        {"person_id": "p3", "missing": ["permakanan", "sandang"]},
    ]


# ---- who counts ------------------------------------------------------------------------------------


def test_missing_and_dead_are_not_eligible_nor_displaced_returned_or_affected() -> None:
    """hilang/meninggal: counted as missing/dead only; presence (and displaced-based needs) ignore condition."""
    persons = [person("a", sex="L"), person("b", sex="P", condition="hilang"), person("c", condition="meninggal"),
               person("d", sex="P", condition="hilang"), person("e", condition="luka"), person("f", sex="P")]
    stays = [stay("a", "A", at(1, 6)), stay("b", "A", at(1, 6)), stay("c", "A", at(1, 6), at(1, 13)),
             stay("e", "A", at(1, 6), at(1, 9))]
    snap = run(persons, stays)
    assert snap["people"] == {
        "registered": 6, "displaced_now": 1, "in_shelters_now": 1, "mandiri_now": 0, "returned": 1, "affected": 1,
        "injured": 1, "missing": 2, "dead": 1, "by_sex": {"L": 3, "P": 3},
        "staying_by_kelurahan": [{"kelurahan_code": "", "in_shelters_now": 1, "mandiri_now": 0}],
        "vulnerable": {"balita": 0, "lansia": 0, "ibu_hamil": 0, "ibu_menyusui": 0, "disabilitas": 0, "terpisah": 0,
                       "tanpa_pendamping": 0},
    }
    assert snap["indicator"]["eligible"] == 2  # a and e
    assert set(unmet(snap)) == {"a", "e"}
    assert need(snap, "makanan_siap_saji")["required"] == 9.0  # 07:00 a,b,c,e; 12:00 a,b,c; 18:00 a,b
    assert need(snap, "paket_sandang")["required"] == 4.0  # persons with a stay: a, b, c, e
    assert shelter_row(snap, "A")["occupants"] == 2  # a and b still have open stays


def test_people_counts_follow_stays_at_as_of() -> None:
    """displaced_now = open stay at as_of; returned = stays, none open; affected = no stay; a check-out
    exactly at as_of is closed; by_sex and vulnerable count every registered person."""
    persons = [person("now", vulns=["balita"]), person("back", sex="P", vulns=["lansia", "disabilitas"]),
               person("edge", sex="P", vulns=["ibu_hamil", "ibu_menyusui"]),
               person("home", condition="luka", vulns=["balita"])]
    stays = [stay("now", "A", at(1, 6), at(1, 8)), stay("now", "B", at(1, 8)),
             stay("back", "A", at(1, 6), at(1, 9)), stay("edge", "A", at(1, 6), at(1, 23))]
    snap = run(persons, stays, as_of=at(1, 23))
    people = snap["people"]
    assert (people["displaced_now"], people["returned"], people["affected"], people["injured"]) == (1, 2, 1, 1)
    assert people["by_sex"] == {"L": 2, "P": 2}
    assert people["vulnerable"] == {"balita": 2, "lansia": 1, "ibu_hamil": 1, "ibu_menyusui": 1, "disabilitas": 1,
                                   "terpisah": 0, "tanpa_pendamping": 0}
    assert snap["indicator"]["eligible"] == 3


def test_as_of_in_the_past_ignores_later_deliveries_stays_and_services() -> None:
    """Everything counts only up to as_of: a later check-in is ignored (still affected), a later check-out
    leaves the stay open, later deliveries and services do not count."""
    persons = [person("p1", vulns=["balita"]), person("p2")]
    stays = [stay("p1", "A", at(1, 6), at(3, 10)), stay("p2", "A", at(2, 13))]
    deliveries = [meals("A", 3, at(1, 12)), meals("A", 2, at(2, 7)), meals("A", 9, at(2, 13)),
                  to_person("p1", 1, at(2, 12, 31))]
    services = [service("p1", "penanganan_khusus", at(2, 14))]
    as_of = at(2, 12, 30)
    snap = run(persons, stays, deliveries, services, as_of=as_of)
    assert snap["as_of"] == "2026-01-02T05:30:00+00:00"
    assert (snap["people"]["displaced_now"], snap["people"]["affected"]) == (1, 1)
    assert need(snap, "makanan_siap_saji")["required"] == 5.0  # day 1: 3, day 2: 07:00 and 12:00
    assert need(snap, "makanan_siap_saji")["delivered"] == 5.0
    assert need(snap, "paket_sandang")["delivered"] == 0.0
    assert need(snap, "paket_sandang")["required"] == 1.0
    assert shelter_row(snap, "A")["meals_due_today"] == 2.0
    assert shelter_row(snap, "A")["meals_delivered_today"] == 2.0
    assert shelter_row(snap, "A")["occupants"] == 1
    assert unmet(snap) == {"p1": ["sandang", "penanganan_khusus"]}

    later = run(persons, stays, deliveries, services, as_of=at(2, 23))
    # day 2 in A: 07:00 p1, 12:00 p1, 18:00 p1 and p2 = 4 due, 11 delivered; p1's package and service count now
    assert unmet(later) == {"p2": ["sandang"]}


# ---- needs per item ----------------------------------------------------------------------------------


def test_per_vulnerable_once_counts_displaced_persons_having_one_of_the_groups() -> None:
    """per_vulnerable_once: rate × displaced persons with one of applies_to (once per person); also
    per_person_once and per_household_once (a person without household belongs to none)."""
    persons = [person("b1", "h1", vulns=["balita"]), person("b2", "h2", vulns=["balita"]),
               person("b3", "h3", condition="meninggal", vulns=["balita"]),
               person("m1", "h1", vulns=["ibu_hamil", "ibu_menyusui"]), person("m2", None, vulns=["ibu_menyusui"]),
               person("l1", "h4", vulns=["lansia"])]
    stays = [stay(pid, "A", at(1, 20)) for pid in ("b1", "b3", "m1", "m2", "l1")]
    snap = run(persons, stays)
    assert need(snap, "paket_bayi")["required"] == 2.0  # b1, b3 (b2 has no stay)
    assert need(snap, "paket_gizi_ibu")["required"] == 2.0  # m1 once, m2
    assert need(snap, "selimut")["required"] == 5.0
    assert need(snap, "family_kit")["required"] == 3.0  # h1, h3, h4


def test_delivered_gap_and_coverage() -> None:
    """delivered = Σ quantity up to as_of; gap = max(0, required − delivered); coverage not capped."""
    persons, stays = [person("p1")], [stay("p1", "A", at(1, 6))]
    partial = need(run(persons, stays, [meals("A", 1, at(1, 8))]), "makanan_siap_saji")
    assert (partial["required"], partial["delivered"], partial["gap"], partial["coverage_percent"]) == (
        3.0, 1.0, 2.0, 33.33)
    over = need(run(persons, stays, [meals("A", 5, at(1, 8))]), "makanan_siap_saji")
    assert (over["gap"], over["coverage_percent"]) == (0.0, 166.67)


def test_coverage_percent_is_none_when_nothing_is_required() -> None:
    """coverage_percent is null when required is 0, even with deliveries; gap is then 0."""
    snap = run([person("p1")], [], [meals("A", 10, at(1, 8))], shelters=[shelter("A")])
    row = need(snap, "makanan_siap_saji")
    assert (row["required"], row["delivered"], row["gap"], row["coverage_percent"]) == (0.0, 10.0, 0.0, None)


def test_decimal_quantities_add_up_without_float_noise() -> None:
    """Quantities are summed as the decimals they were written as: 0.1 + 0.2 delivers 0.3."""
    deliveries = [meals("A", 0.1, at(1, 8), item="air_minum"), meals("A", 0.2, at(1, 9), item="air_minum")]
    snap = run([person("p1")], [stay("p1", "A", at(1, 6))], deliveries, as_of=at(1, 23))
    row = need(snap, "air_minum")
    assert row["delivered"] == 0.3
    assert row["required"] == 2.5 and row["gap"] == 2.2 and row["coverage_percent"] == 12.0


def test_items_outside_the_profile_are_ignored() -> None:
    """Only the profile's items appear in needs; a catalogue item such as uang_tunai is not computed."""
    snap = run([person("p1")], [stay("p1", "A", at(1, 6))], [meals("A", 500000, at(1, 8), item="uang_tunai")])
    assert "uang_tunai" not in [n["item_code"] for n in snap["needs"]]


# ---- indicator -----------------------------------------------------------------------------------------


def test_percent_is_rounded_half_up_to_two_decimals() -> None:
    """percent = fulfilled / eligible × 100, half up: 1/8 → 12.5, 2/3 → 66.67, 1/800 → 0.13; null when 0."""
    persons = [person(f"p{i}") for i in range(8)]
    stays = [stay(p.id, "A", at(1, 20)) for p in persons]
    snap = run(persons, stays, [to_person("p0", 1, at(1, 21))])
    assert (snap["indicator"]["eligible"], snap["indicator"]["fulfilled"], snap["indicator"]["percent"]) == (
        8, 1, 12.5)
    three = run(persons[:3], stays[:3], [to_person("p0", 1, at(1, 21)), to_person("p1", 1, at(1, 21))])
    assert three["indicator"]["percent"] == 66.67
    assert percent(1, 800) == 0.13
    assert percent(1, 3) == 33.33
    assert percent(0, 0) is None
    assert round_half_up(Fraction(2675, 1000)) == 2.68
    assert round_half_up(Fraction(-1, 8)) == -0.13


def test_nobody_eligible_gives_a_null_percent() -> None:
    """With nobody eligible the indicator percent is null, counts are zero."""
    snap = run([person("p1"), person("p2", condition="meninggal")], [stay("p2", "A", at(1, 6))])
    assert snap["indicator"]["eligible"] == 0 and snap["indicator"]["fulfilled"] == 0
    assert snap["indicator"]["percent"] is None
    assert snap["unmet"] == []


# ---- shelter adequacy -----------------------------------------------------------------------------------


def test_shelter_adequacy_against_the_profile_standards() -> None:
    """covered_area_ok = area ≥ occupants × 3.5 m²; toilets_ok = toilets × 20 ≥ occupants; null when unknown;
    occupants are distinct persons with a stay open at as_of."""
    shelters = [shelter("A", area=35.0, toilets=1), shelter("B", area=73.5, toilets=1),
                shelter("C", area=38.4, toilets=None), shelter("D", area=None, toilets=2)]
    sizes = {"A": 10, "B": 21, "C": 11, "D": 40}
    persons, stays = [], []
    for sid, n in sizes.items():
        for i in range(n):
            persons.append(person(f"{sid}{i:02d}"))
            stays.append(stay(f"{sid}{i:02d}", sid, at(1, 6)))
    persons.append(person("gone"))
    stays.append(stay("gone", "A", at(1, 6), at(1, 10)))  # closed: not an occupant
    stays.append(stay("A00", "A", at(1, 9)))  # a second open stay of A00: still one occupant
    snap = run(persons, stays, shelters=shelters)
    rows = {s["id"]: (s["occupants"], s["covered_area_ok"], s["toilets_ok"]) for s in snap["shelters"]}
    assert rows == {"A": (10, True, True), "B": (21, True, False), "C": (11, False, None), "D": (40, None, True)}


def test_shelter_adequacy_uses_the_profile_of_the_event() -> None:
    """bnpb_perka_7_2008 asks 3 m² per person: 30 m² is enough for 10 occupants there, not under spm_binjai."""
    persons = [person(f"p{i}") for i in range(10)]
    stays = [stay(p.id, "A", at(1, 6)) for p in persons]
    shelters = [shelter("A", area=30.0, toilets=None)]
    assert run(persons, stays, shelters=shelters, prof=profile("bnpb_perka_7_2008"))["shelters"][0][
        "covered_area_ok"] is True
    assert run(persons, stays, shelters=shelters)["shelters"][0]["covered_area_ok"] is False


def test_instants_in_other_zones_are_the_same_instants() -> None:
    """Inputs may come in UTC or any zone: only the instant matters; days are taken in the engine's zone."""
    persons = [person("p1")]
    local = run(persons, [stay("p1", "A", at(1, 6))], [meals("A", 3, at(1, 8))])
    utc = run(persons, [stay("p1", "A", at(1, 6).astimezone(UTC))], [meals("A", 3, at(1, 8).astimezone(UTC))],
              as_of=at(1, 23).astimezone(UTC))
    assert local == utc
    assert TZ.key == "Asia/Jakarta"


# ---- mandiri stays (docs/rules.md, "Mandiri stays") ---------------------------------------------------


def test_a_mandiri_person_is_displaced_and_eligible_without_tempat_penampungan() -> None:
    """A person staying with relatives is displaced and eligible; tempat_penampungan is required only for
    persons with a shelter stay."""
    snap = run([person("m", "H"), person("s", "G")], [mandiri("m", at(1, 6)), stay("s", "A", at(1, 6))])
    assert snap["people"]["displaced_now"] == 2
    assert (snap["people"]["in_shelters_now"], snap["people"]["mandiri_now"]) == (1, 1)
    assert snap["indicator"]["eligible"] == 2
    assert service_counts(snap, "tempat_penampungan") == (1, 1)
    assert service_counts(snap, "permakanan") == (2, 0)  # nothing delivered to either
    assert unmet(snap)["m"] == ["permakanan", "sandang"]


def test_household_day_due_counts_members_present_in_mandiri_stays() -> None:
    """due(H, d) = rate / meal times × Σ present_mandiri(H, t): two members from 06:00 and one from 15:00
    are 2 + 2 + 3 = 7 porsi; air_minum adds 2.5 / 3 × 7."""
    persons = [person("a", "H"), person("b", "H"), person("c", "H")]
    stays = [mandiri("a", at(1, 6)), mandiri("b", at(1, 6), kelurahan="K2"), mandiri("c", at(1, 15))]
    snap = run(persons, stays)
    assert need(snap, "makanan_siap_saji")["required"] == 7.0
    assert need(snap, "air_minum")["required"] == float(Fraction(25, 10) * 7 / 3)
    covered = run(persons, stays, [to_household("H", 7, at(1, 19), item="makanan_siap_saji")])
    assert service_counts(covered, "permakanan") == (3, 3)
    short = run(persons, stays, [to_household("H", 6, at(1, 19), item="makanan_siap_saji")])
    assert service_counts(short, "permakanan") == (3, 0)


def test_person_level_meals_count_for_the_household_whatever_the_members_stay() -> None:
    """A delivery to a member (even one in a shelter) counts for the household recorded on the person; a
    delivery to a shelter never covers a household-day."""
    persons = [person("a", "H"), person("b", "H"), person("s", "H")]
    stays = [mandiri("a", at(1, 6)), mandiri("b", at(1, 6)), stay("s", "A", at(1, 6))]
    enough = [to_person("s", 4, at(1, 12), item="makanan_siap_saji"),
              to_person("a", 2, at(1, 13), item="makanan_siap_saji"), meals("A", 3, at(1, 19))]
    assert service_counts(run(persons, stays, enough), "permakanan") == (3, 3)
    shelter_only = [meals("A", 9, at(1, 19))]
    assert set(unmet(run(persons, stays, shelter_only))) == {"a", "b", "s"}  # s: no sandang either
    assert "permakanan" not in unmet(run(persons, stays, shelter_only))["s"]


def test_a_mandiri_person_without_a_household_is_their_own_unit() -> None:
    """Meals to somebody else's household do not cover a person without a household; meals to them do."""
    persons = [person("solo"), person("a", "H")]
    stays = [mandiri("solo", at(1, 6)), mandiri("a", at(1, 6))]
    other = [to_household("H", 6, at(1, 19), item="makanan_siap_saji")]
    assert "permakanan" in unmet(run(persons, stays, other))["solo"]
    own = other + [to_person("solo", 3, at(1, 19), item="makanan_siap_saji")]
    assert "permakanan" not in unmet(run(persons, stays, own)).get("solo", [])


def test_household_day_meals_do_not_carry_over_between_days() -> None:
    """Porsi of 2 January do not cover 1 January's household-day."""
    persons = [person("a", "H")]
    stays = [mandiri("a", at(1, 6))]
    late = [to_household("H", 6, at(2, 8), item="makanan_siap_saji")]
    snap = run(persons, stays, late, as_of=at(2, 9))
    assert need(snap, "makanan_siap_saji")["required"] == 4.0
    assert "permakanan" in unmet(snap)["a"]


def test_a_transfer_from_a_shelter_to_relatives_needs_both_kinds_of_day_covered() -> None:
    """Breakfast and lunch in shelter A, dinner with the household: (A, d) and (H, d) must both be covered."""
    persons = [person("e", "H")]
    stays = [stay("e", "A", at(1, 6), at(1, 15)), mandiri("e", at(1, 15))]
    both = [meals("A", 2, at(1, 12)), to_household("H", 1, at(1, 18), item="makanan_siap_saji")]
    assert service_counts(run(persons, stays, both), "permakanan") == (1, 1)
    assert service_counts(run(persons, stays, both[:1]), "permakanan") == (1, 0)
    assert service_counts(run(persons, stays, both[1:]), "permakanan") == (1, 0)
    snap = run(persons, stays, both)
    assert service_counts(snap, "tempat_penampungan") == (1, 1)
    assert (snap["people"]["in_shelters_now"], snap["people"]["mandiri_now"]) == (0, 1)


def test_people_counts_split_shelter_residents_and_mandiri_persons_per_kelurahan() -> None:
    """in_shelters_now / mandiri_now and per kelurahan (shelter's, stay's) without missing and dead; a
    closed mandiri stay is returned."""
    persons = [person("r1"), person("r2"), person("m1"), person("m2", condition="hilang"), person("back")]
    stays = [stay("r1", "A", at(1, 6)), stay("r2", "B", at(1, 6)), mandiri("m1", at(1, 6), kelurahan="K2"),
             mandiri("m2", at(1, 6)), mandiri("back", at(1, 6), at(1, 10))]
    snap = run(persons, stays, shelters=[shelter("A", kelurahan="K1"), shelter("B", kelurahan="K2")])
    people = snap["people"]
    assert (people["displaced_now"], people["in_shelters_now"], people["mandiri_now"]) == (3, 2, 1)
    assert people["returned"] == 1 and people["missing"] == 1
    assert people["staying_by_kelurahan"] == [{"kelurahan_code": "K1", "in_shelters_now": 1, "mandiri_now": 0},
                                              {"kelurahan_code": "K2", "in_shelters_now": 1, "mandiri_now": 1}]
