"""NIK and KK rules (Dukcapil): 16 digits, plausible date part, women's day + 40."""

import pytest

from shared.domain.identity import kk_problem, mask_nik, nik_problem, nik_sex


@pytest.mark.parametrize("nik", [
    "1275041205850001",  # man, 12 May 1985
    "1275045205850001",  # woman: day 12 + 40
    "3174017101000001",  # woman born on the 31st (71), a Jakarta prefix is legal
    "1275040112990001",
])
def test_plausible_niks_pass(nik: str) -> None:
    assert nik_problem(nik) is None


@pytest.mark.parametrize("nik, reason", [
    ("127504120585000", "16"),
    ("12750412058500011", "16"),
    ("12750412058500a1", "16"),
    ("1275040005850001", "hari"),   # day 00
    ("1275043205850001", "hari"),   # day 32
    ("1275044005850001", "hari"),   # day 40
    ("1275047205850001", "hari"),   # day 72
    ("1275041200850001", "bulan"),  # month 00
    ("1275041213850001", "bulan"),  # month 13
    ("1275041205850000", "urut"),   # serial 0000
])
def test_implausible_niks_say_why(nik: str, reason: str) -> None:
    problem = nik_problem(nik)
    assert problem is not None and reason in problem


def test_sex_from_nik_day() -> None:
    assert nik_sex("1275041205850001") == "L"
    assert nik_sex("1275045205850001") == "P"


def test_kk_number_is_sixteen_digits() -> None:
    assert kk_problem("1275040101090001") is None
    assert kk_problem("12750401010900") is not None
    assert kk_problem("127504010109000X") is not None


def test_mask_keeps_last_four() -> None:
    assert mask_nik("1275041205850001") == "************0001"
    assert mask_nik(None) is None


def test_nik_birth_parts_and_agreement() -> None:
    from datetime import date

    from shared.domain.identity import nik_agrees_with_age, nik_agrees_with_birth_date, nik_birth_parts
    assert nik_birth_parts("1275045205850001") == (12, 5, 85)  # a woman: day 52 is the 12th
    assert nik_birth_parts("1275041205850001") == (12, 5, 85)
    assert nik_agrees_with_birth_date("1275045205850001", date(1985, 5, 12))
    assert nik_agrees_with_birth_date("1275045205850001", date(2085, 5, 12))  # the century is not in a NIK
    assert not nik_agrees_with_birth_date("1275045205850001", date(1985, 12, 5))
    assert not nik_agrees_with_birth_date("1275045205850001", date(1986, 5, 12))
    on = date(2026, 12, 1)
    assert nik_agrees_with_age("1275045205850001", 41, on) and nik_agrees_with_age("1275045205850001", 40, on)
    assert not nik_agrees_with_age("1275045205850001", 42, on)
    assert nik_agrees_with_age("1275040101250001", 1, on)  # born 2025
    assert nik_agrees_with_age("1275040101250001", 101, on)  # or 1925: the same two digits
