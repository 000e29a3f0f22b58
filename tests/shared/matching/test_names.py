"""Each way Indonesians write one name differently is reduced to the same words (issue 11, section 1)."""

from __future__ import annotations

import pytest

from shared.matching import analyse, compare_names, name_tokens, normalise_name, phonetic, skeleton


def same_name(a: str, b: str) -> bool:
    return compare_names(analyse(a), analyse(b)).similarity >= 0.9


@pytest.mark.parametrize(("written", "expected"), [
    ("SITI RAHMAWATI", "siti rahmawati"),  # case
    ("  siti   rahmawati ", "siti rahmawati"),  # spacing
    ("Siti.Rahmawati", "siti rahmawati"),  # punctuation
    ("Ma'ruf Amin", "maruf amin"),  # apostrophe inside a word
    ("Hj. Siti Rahmawati", "siti rahmawati"),  # honorific Hajjah
    ("H. Ahmad Lubis", "ahmad lubis"),  # honorific Haji
    ("Ir. Bambang Sutrisno", "bambang sutrisno"),
    ("dr. Linda Kusuma", "linda kusuma"),
    ("Drs. H. Zainal Abidin", "zainal abidin"),
    ("Ahmad Yani, S.Pd.", "ahmad yani"),  # degree after a comma
    ("Nurhayati, S.Pd.I, M.Pd.", "nurhayati"),
    ("Ny. Sumiati", "sumiati"),
    ("José Pardede", "jose pardede"),  # accents
])
def test_case_spacing_punctuation_and_honorifics(written: str, expected: str) -> None:
    assert normalise_name(written) == expected


@pytest.mark.parametrize("written", ["Muhammad Rizki", "Muhamad Rizki", "Mohammad Rizki", "Moh. Rizki", "Mhd Rizki",
                                     "M. Rizki", "Mochammad Rizki", "Muh. Rizki"])
def test_muhammad_abbreviations_and_spellings(written: str) -> None:
    assert name_tokens(written) == ("muhammad", "rizki")


def test_an_initial_m_after_a_name_stays_an_initial() -> None:
    assert name_tokens("Rizki M.") == ("rizki", "m")


@pytest.mark.parametrize(("a", "b"), [
    ("St. Aminah", "Siti Aminah"),
    ("Noer Aini", "Nur Aini"),
    ("Noor Aini", "Nur Aini"),
    ("Abd. Rahman", "Abdul Rahman"),
])
def test_siti_nur_abdul_abbreviations(a: str, b: str) -> None:
    assert name_tokens(a) == name_tokens(b)


@pytest.mark.parametrize(("old", "new"), [
    ("Soekarno", "sukarno"),  # oe → u
    ("Djoko Purnomo", "joko purnomo"),  # dj → j
    ("Tjipto", "cipto"),  # tj → c
    ("Sjafruddin", "syafruddin"),  # sj → sy
    ("Widjaja", "wijaya"),  # dj → j and the old j → y in one word
    ("Tjahjadi", "cahyadi"),
    ("Soelastri", "sulastri"),
])
def test_old_spellings_become_eyd(old: str, new: str) -> None:
    assert normalise_name(old) == new


def test_joko_without_old_digraph_keeps_its_j() -> None:
    assert normalise_name("Joko") == "joko"


@pytest.mark.parametrize(("a", "b"), [
    ("Yusuf", "Jusuf"), ("Yusuf", "Yusup"), ("Achmad", "Ahmad"), ("Akhmad", "Ahmat"), ("Rachmawati", "Rahmawati"),
    ("Syafrudin", "Syafruddin"), ("Eddy", "Edi"), ("Rizky", "Rizki"), ("Ramadhan", "Ramadan"),
    ("Dzulkifli", "Zulkifli"), ("Saefudin", "Saifudin"), ("Liem", "Lim"), ("Wahjudi", "Wahyudi"),
])
def test_spelling_freedoms_fold_to_one_skeleton(a: str, b: str) -> None:
    ta, tb = name_tokens(a), name_tokens(b)
    assert [skeleton(t) for t in ta] == [skeleton(t) for t in tb]
    assert [phonetic(t) for t in ta] == [phonetic(t) for t in tb]


@pytest.mark.parametrize("written", ["Rina br Sitepu", "Rina Boru Sitepu", "Rina br. Sitepu", "RINA BR SITEPU",
                                     "Rina Sitepu"])
def test_batak_br_and_boru_are_dropped(written: str) -> None:
    assert name_tokens(written) == ("rina", "sitepu")


@pytest.mark.parametrize("written", ["Perangin-angin", "Perangin angin", "Peranginangin", "PERANGIN-ANGIN"])
def test_split_marga_is_one_word(written: str) -> None:
    assert name_tokens("Roy " + written) == ("roy", "peranginangin")


def test_marga_recognised() -> None:
    assert analyse("Rina br Sitepu").margas == {"sitepu"}
    assert analyse("Karo-Karo").margas == {"karokaro"}


def test_missing_marga_still_the_same_name() -> None:
    assert same_name("Rina br Sitepu", "Rina")


def test_different_marga_is_a_different_family() -> None:
    comparison = compare_names(analyse("Rina br Sitepu"), analyse("Rina br Ginting"))
    assert comparison.similarity < 0.7
    assert comparison.different_given


def test_swapped_words_are_the_same_name() -> None:
    assert compare_names(analyse("Sitepu Rina"), analyse("Rina Sitepu")).similarity == 1.0


def test_missing_given_name_is_nearly_the_same() -> None:
    comparison = compare_names(analyse("Muhammad Taufik Hidayat"), analyse("Taufik Hidayat"))
    assert comparison.similarity >= 0.9
    assert not comparison.different_given


def test_a_word_split_in_two() -> None:
    assert same_name("Nurhayati", "Nur Hayati")


def test_a_typo_is_the_same_given_name() -> None:
    comparison = compare_names(analyse("Siti Rahmawati"), analyse("Siti Rahmawti"))
    assert comparison.similarity >= 0.9
    assert not comparison.different_given


@pytest.mark.parametrize(("a", "b"), [("Siti Aisyah", "Siti Aminah"), ("Rina br Sitepu", "Rini br Sitepu"),
                                      ("Muhammad Hasan", "Muhammad Husein"), ("Ahmad Fauzi", "Ahmad Fauzan")])
def test_different_given_names_are_told_apart(a: str, b: str) -> None:
    assert compare_names(analyse(a), analyse(b)).different_given


def test_empty_name_matches_nothing() -> None:
    assert compare_names(analyse("H."), analyse("Ahmad")).similarity == 0.0
