"""The plausibility rules (shared/domain/plausibility.py) and the text rule (shared/domain/text.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.domain.plausibility import (
    MAX_AGE_YEARS,
    age_years_problem,
    birth_date_event_problem,
    birth_date_problem,
    delivered_at_problem,
    instant_problem,
)
from shared.domain.text import control_character_problem

TODAY = date(2026, 12, 6)
START = date(2026, 12, 1)


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+07:00", "0001-01-01T00:00:00+00:00",
                                   "9999-12-31T23:59:59+00:00", "9999-12-31T23:59:59-12:00",
                                   "1899-12-31T23:59:59+07:00", "2200-01-01T00:00:00+00:00"])
def test_instants_outside_1900_to_2199_are_refused(value: str) -> None:
    assert "di luar tahun 1900–2199" in (instant_problem(datetime.fromisoformat(value)) or "")


@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2199, 12, 31, 23, 59, 59)),
       st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59))
def test_every_instant_accepted_converts_to_utc_without_overflow(naive: datetime, offset_minutes: int) -> None:
    value = naive.replace(tzinfo=timezone(timedelta(minutes=offset_minutes)))
    assert instant_problem(value) is None
    value.astimezone(UTC)  # what the schemas do next: must not raise


def test_birth_date_before_1900_or_in_the_future() -> None:
    assert "sebelum 1900" in (birth_date_problem(date(1899, 12, 31), TODAY) or "")
    assert birth_date_problem(date(1900, 1, 1), TODAY) is None
    assert birth_date_problem(TODAY + timedelta(days=1), TODAY) is None  # a day of slack for time zones
    assert "masa depan" in (birth_date_problem(TODAY + timedelta(days=2), TODAY) or "")


def test_birth_date_more_than_120_years_before_the_event() -> None:
    exactly_120 = date(START.year - 120, START.month, START.day)
    assert birth_date_event_problem(exactly_120, START, TODAY) is None
    problem = birth_date_event_problem(exactly_120 - timedelta(days=1), START, TODAY)
    assert problem is not None and "lebih dari 120 tahun sebelum kejadian" in problem


def test_birth_date_after_registration_or_after_the_event_ended() -> None:
    assert birth_date_event_problem(TODAY, START, TODAY) is None  # born the day they were registered
    assert birth_date_event_problem(START + timedelta(days=2), START, TODAY) is None  # born in the shelter
    assert "setelah tanggal pendaftaran" in (birth_date_event_problem(TODAY, START, TODAY - timedelta(days=1)) or "")
    ended = START + timedelta(days=3)
    assert "setelah kejadian berakhir" in (birth_date_event_problem(ended + timedelta(days=1), START, TODAY, ended)
                                           or "")
    assert birth_date_event_problem(ended, START, TODAY, ended) is None


@pytest.mark.parametrize(("age", "ok"), [(0, True), (120, True), (121, False), (-1, False), (10**9, False)])
def test_age_years_0_to_120(age: int, ok: bool) -> None:
    assert (age_years_problem(age) is None) == ok
    if age > MAX_AGE_YEARS:
        assert "lebih dari 120 tahun" in (age_years_problem(age) or "")


def test_delivered_at_within_the_event_with_a_day_before_its_start() -> None:
    start = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
    assert delivered_at_problem(start - timedelta(days=1), start, None) is None
    before = delivered_at_problem(start - timedelta(days=1, seconds=1), start, None)
    assert before is not None and "sebelum kejadian dimulai" in before
    end = start + timedelta(days=5)
    assert delivered_at_problem(end, start, end) is None
    after = delivered_at_problem(end + timedelta(seconds=1), start, end)
    assert after is not None and "setelah kejadian berakhir" in after
    assert delivered_at_problem(end + timedelta(days=30), start, None) is None  # not ended: no upper bound here


@pytest.mark.parametrize("ch", ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f", "\x80", "\x85",
                                "\x9f", "\ud800", "\udfff"])
def test_control_characters_are_refused_in_every_text(ch: str) -> None:
    assert control_character_problem(f"a{ch}b") is not None
    assert control_character_problem(f"a{ch}b", multiline=True) is not None


@pytest.mark.parametrize("ch", ["\t", "\n", "\r"])
def test_tab_and_newlines_only_in_free_text(ch: str) -> None:
    assert control_character_problem(f"a{ch}b") is not None
    assert control_character_problem(f"a{ch}b", multiline=True) is None


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs"))))
def test_printable_text_in_any_script_passes(value: str) -> None:
    """Names in any script (Batak, Arabic, Chinese, emoji) and the non-breaking space are fine."""
    assert control_character_problem(value) is None
    assert control_character_problem(value, multiline=True) is None


def test_nik_mismatch_names_the_field_that_disagrees() -> None:
    from shared.domain.plausibility import nik_mismatch

    start = date(2026, 12, 1)
    woman = "1275045205850001"  # born 12-05-1985, female
    assert nik_mismatch(woman, "P", date(1985, 5, 12), None, start) is None
    assert nik_mismatch(None, "L", date(1990, 1, 1), None, start) is None
    assert nik_mismatch(woman, "P", None, None, start) is None  # nothing to compare but the sex
    field, message = nik_mismatch(woman, "P", date(1985, 12, 5), None, start) or ("", "")
    assert field == "birth_date" and message.startswith("tanggal lahir tidak cocok") and "(birth date" in message
    assert "nik_mismatch_confirmed" in message and woman not in message
    assert (nik_mismatch(woman, "L", date(1985, 5, 12), None, start) or ("",))[0] == "sex"
    assert (nik_mismatch(woman, "P", None, 30, start) or ("",))[0] == "age_years"
    assert nik_mismatch(woman, "P", None, 41, start) is None
    # The birth date is reported before the sex when both disagree.
    assert (nik_mismatch(woman, "L", date(1990, 1, 1), None, start) or ("",))[0] == "birth_date"


def test_months_old() -> None:
    from shared.domain.plausibility import months_old

    assert months_old(date(2026, 11, 2), date(2026, 12, 1)) == 0
    assert months_old(date(2026, 11, 1), date(2026, 12, 1)) == 1
    assert months_old(date(2025, 1, 31), date(2026, 2, 28)) == 12
    assert months_old(date(2024, 12, 1), date(2026, 12, 1)) == 24
    assert months_old(date(2026, 12, 5), date(2026, 12, 1)) == 0  # born after the day counted on
