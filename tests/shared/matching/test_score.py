"""The evidence rules of score_pair and the blocks of find_pairs."""

from __future__ import annotations

from datetime import date

from shared.matching import (
    REVIEW_THRESHOLD,
    STRONG_THRESHOLD,
    PersonKey,
    blocking_keys,
    find_pairs,
    key_hash,
    key_hashes,
    phonetic,
    score_pair,
)

NIK_SITI = "1275044505900003"  # a woman born 05-05-1990 (day + 40)


def key(pid: str, name: str, bd: date | None = None, sex: str | None = "P", nik: str | None = None,
        kel: str | None = None, hh: str | None = None, event: str = "e1") -> PersonKey:
    return PersonKey(pid, event, name, bd, sex, nik, kel, hh)


def test_same_nik_is_the_strongest_evidence() -> None:
    r = score_pair(key("a", "Siti Rahmawati", nik=NIK_SITI), key("b", "Rahma", nik=NIK_SITI))
    assert r.score >= STRONG_THRESHOLD
    assert r.reasons[0] == "nik"


def test_different_niks_are_different_people_whatever_the_names() -> None:
    r = score_pair(key("a", "Siti Rahmawati", date(1990, 5, 5), nik=NIK_SITI),
                   key("b", "Siti Rahmawati", date(1990, 5, 5), nik="1275044505900004"))
    assert r.score < 0.2
    assert "nik" not in r.reasons


def test_nik_birth_date_and_sex_agreeing_with_the_other_record() -> None:
    r = score_pair(key("a", "Siti Rahmawati", nik=NIK_SITI), key("b", "St. Rachmawati", date(1990, 5, 5)))
    assert "nik_birth_sex" in r.reasons
    assert r.score >= STRONG_THRESHOLD


def test_nik_encoding_another_sex_is_no_agreement() -> None:
    r = score_pair(key("a", "Siti Rahmawati", sex="P", nik=NIK_SITI), key("b", "Siti Rahmawati", date(1990, 5, 5), sex="L"))
    assert "nik_birth_sex" not in r.reasons
    assert r.score < REVIEW_THRESHOLD


def test_nik_encoding_another_birth_date_counts_against() -> None:
    r = score_pair(key("a", "Siti Rahmawati", nik=NIK_SITI), key("b", "Siti Rahmawati", date(1991, 7, 5)))
    assert r.score < REVIEW_THRESHOLD


def test_name_variant_with_birth_date_and_kelurahan() -> None:
    r = score_pair(key("a", "Hj. St. Rachmawati", date(1990, 5, 5), kel="12.75.04.1004"),
                   key("b", "SITI RAHMAWATI", date(1990, 5, 5), kel="12.75.04.1004"))
    assert r.score >= STRONG_THRESHOLD
    assert r.reasons == ("name_fuzzy", "name_phonetic", "birth_date", "kelurahan")


def test_reasons_are_from_the_contract_list_in_its_order() -> None:
    r = score_pair(key("a", "Rina br Sitepu", date(2001, 3, 4), nik="1275014403010001", kel="k"),
                   key("b", "Rina Boru Sitepu", date(2001, 3, 4), kel="k"))
    assert r.reasons == ("nik_birth_sex", "name_fuzzy", "name_phonetic", "birth_date", "kelurahan")


def test_other_birth_date_namesakes_are_not_offered() -> None:
    r = score_pair(key("a", "Muhammad Rizki", date(1990, 1, 2), "L"), key("b", "Muhammad Rizki", date(1975, 8, 9), "L"))
    assert r.score < REVIEW_THRESHOLD


def test_other_sex_is_not_offered() -> None:
    r = score_pair(key("a", "Putri Ayu", date(2010, 1, 2), "P"), key("b", "Putri Ayu", date(2010, 1, 2), "L"))
    assert r.score < REVIEW_THRESHOLD


def test_a_slipped_birth_date_still_offers_the_same_name() -> None:
    r = score_pair(key("a", "Siti Rahmawati", date(1990, 5, 7)), key("b", "Siti Rahmawati", date(1990, 7, 5)))
    assert r.score >= REVIEW_THRESHOLD
    assert "birth_date" not in r.reasons


def test_twins_in_one_household_never_reach_review() -> None:
    bd = date(2015, 6, 1)
    for a, b in [("Muhammad Hasan Lubis", "Muhammad Husein Lubis"), ("Rina br Sitepu", "Rini br Sitepu"),
                 ("Siti Aisyah", "Siti Aminah"), ("Ahmad Fauzi", "Ahmad Fauzan")]:
        r = score_pair(key("a", a, bd, kel="k", hh="h1"), key("b", b, bd, kel="k", hh="h1"))
        assert r.score < REVIEW_THRESHOLD, (a, b, r)


def test_twins_in_two_households_never_reach_review() -> None:
    bd = date(2015, 6, 1)
    r = score_pair(key("a", "Muhammad Hasan", bd, kel="k", hh="h1"), key("b", "M. Husein", bd, kel="k", hh="h2"))
    assert r.score < REVIEW_THRESHOLD


def test_same_person_registered_twice_in_one_household() -> None:
    bd = date(2015, 6, 1)
    r = score_pair(key("a", "Muhammad Hasan", bd, hh="h1"), key("b", "M. Hassan", bd, hh="h1"))
    assert r.score >= REVIEW_THRESHOLD


def test_blocking_keys_meet_for_variants() -> None:
    a = key("a", "Rina br Sitepu", date(2001, 3, 4))
    assert blocking_keys(a) & blocking_keys(key("b", "Rina Boru Sitepu"))
    assert blocking_keys(a) & blocking_keys(key("b", "Rina", date(2001, 3, 4)))  # marga left out
    assert blocking_keys(a) & blocking_keys(key("b", "Rina Sitepu", nik="1275014403010001"))  # date from the NIK
    assert blocking_keys(a) & blocking_keys(key("b", "Rina Sitepoe", date(2002, 3, 4)))  # a typo and a slipped year
    other_date = {k for k in blocking_keys(key("b", "Rini br Sinaga", date(2001, 4, 3))) if k.startswith("t:")}
    assert other_date and not blocking_keys(a) & other_date


def test_blocking_keys_never_a_single_common_word_alone() -> None:
    keys = blocking_keys(key("a", "Siti Rahmawati"))
    assert len(keys) == 1 and next(iter(keys)).count(" ") == 1  # the whole name: both words
    assert blocking_keys(key("a", "Siti", date(1990, 1, 1))) == {"n:" + phonetic("siti"), "t:" + phonetic("siti") + "|010190",
                                                                "t:i:s|0101"}


def test_key_hash_is_a_positive_bigint() -> None:
    h = key_hash("nik:" + NIK_SITI)
    assert 0 <= h < 2**63
    assert h == key_hash("nik:" + NIK_SITI)
    assert h != key_hash("nik:1275044505900004")


def test_find_pairs_finds_variants_and_leaves_namesakes() -> None:
    people = [
        key("1", "Siti Rahmawati", date(1990, 5, 5), kel="k1", hh="h1"),
        key("2", "St. Rachmawati", date(1990, 5, 5), kel="k1", hh="h9"),
        key("3", "Siti Rahmawati", date(1968, 2, 1), kel="k2", hh="h3"),
        key("4", "Rina br Sitepu", date(2001, 3, 4), hh="h4"),
        key("5", "Rina Boru Sitepu", nik="1275014403010001", hh="h5"),
        key("6", "Rini br Sitepu", date(2001, 3, 4), hh="h4"),
    ]
    pairs = {(a.person_id, b.person_id) for a, b, _ in find_pairs(people)}
    assert pairs == {("1", "2"), ("4", "5")}


def test_find_pairs_threshold_and_order() -> None:
    people = [key("1", "Siti Rahmawati", date(1990, 5, 5)), key("2", "Siti Rahmawati", date(1990, 5, 5), nik=NIK_SITI),
              key("3", "Siti Rahmawati", nik=NIK_SITI)]
    found = find_pairs(people, threshold=0.0)
    assert [r.score for _, _, r in found] == sorted((r.score for _, _, r in found), reverse=True)
    assert found[0][2].reasons[0] == "nik"


def test_key_hashes_are_the_hashes_of_the_blocking_keys() -> None:
    for p in [key("a", "Rina br Sitepu", date(2001, 3, 4), nik="1275014403010001"), key("b", "H."),
              key("c", "Muhammad Taufik Hidayat Lubis", nik="1275010101900001"), key("d", "", date(1990, 1, 1))]:
        assert key_hashes(p) == {key_hash(k) for k in blocking_keys(p)}
