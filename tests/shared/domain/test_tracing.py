"""The pure tracing rules (shared/domain/tracing.py, shared/services/tracing_auto.py) and the worked
examples of docs/rules.md ("Tracing requests", "Tracing matches", "Separated and unaccompanied children")."""

from __future__ import annotations

from datetime import UTC, date, datetime
from itertools import product
from typing import Any

from shared.domain.tracing import (
    STATUSES,
    TRANSITIONS,
    ages_agree,
    birth_year,
    can_transition,
    transition_problem,
)
from shared.models import TracingRequest
from shared.services.tracing_auto import child_flag_problem, wanted_kinds
from shared.services.tracing_matching import score

ALLOWED = {("dicari", "kemungkinan_cocok"), ("dicari", "ditemukan"), ("dicari", "ditutup"),
           ("kemungkinan_cocok", "dicari"), ("kemungkinan_cocok", "ditemukan"), ("kemungkinan_cocok", "ditutup"),
           ("ditemukan", "dipertemukan"), ("ditemukan", "ditutup")}


def test_the_lifecycle_allows_exactly_the_documented_moves() -> None:
    for a, b in product(STATUSES, STATUSES):
        assert can_transition(a, b) == ((a, b) in ALLOWED), (a, b)
        assert (transition_problem(a, b) is None) == (a == b or (a, b) in ALLOWED)
    assert TRANSITIONS["dipertemukan"] == TRANSITIONS["ditutup"] == frozenset()
    assert "tidak dapat" in (transition_problem("dicari", "dipertemukan") or "")


def test_ages_are_compared_by_birth_year_within_two_years() -> None:
    assert birth_year(None, 34, date(2026, 12, 7)) == 1992
    assert birth_year(date(1992, 3, 1), 99, date(2026, 12, 7)) == 1992
    assert ages_agree(1992, 1994) and not ages_agree(1992, 1995) and ages_agree(None, 1950)


def test_children_flags_need_a_known_age_under_18() -> None:
    start = date(2026, 12, 1)
    assert child_flag_problem(["terpisah"], date(2017, 1, 1), None, start) is None
    assert child_flag_problem(["tanpa_pendamping"], None, 17, start) is None
    assert child_flag_problem(["terpisah"], None, 18, start) is not None
    assert child_flag_problem(["terpisah"], None, None, start) is not None
    assert child_flag_problem(["disabilitas"], None, 40, start) is None
    assert wanted_kinds("hilang", ["terpisah", "tanpa_pendamping"]) == [
        ("orang", "didaftarkan hilang"), ("keluarga", "anak terpisah dari pengasuhnya")]
    assert wanted_kinds("selamat", ["ibu_hamil"]) == []


def _request(**over: Any) -> TracingRequest:
    fields: dict[str, Any] = {"id": "r", "full_name": "Rina br Sitepu", "sex": "P", "age_years": 34,
                              "kelurahan_code": "12.75.04.1004", "created_at": datetime(2026, 12, 7, tzinfo=UTC),
                              **over}
    return TracingRequest(**fields)


def _person(**over: Any) -> dict[str, Any]:
    row = {"person_id": "p", "event_id": "e", "full_name": "Rina Boru Sitepu", "birth_date": date(1992, 3, 1),
           "age_years": None, "sex": "P", "nik": None, "household_id": "h", "condition": "selamat",
           "kelurahan_code": "12.75.04.1004", "event_started_at": datetime(2026, 12, 1, tzinfo=UTC)}
    row.update(over)
    return row


def test_the_rina_example_of_the_rules() -> None:
    assert score(_request(), _person()) == (0.75, ("name_fuzzy", "name_phonetic", "kelurahan"), True)
    without_place = score(_request(kelurahan_code=None), _person(kelurahan_code=None))
    assert without_place is not None and without_place[0] == 0.68 and without_place[2] is False
    assert score(_request(), _person(birth_date=date(1950, 3, 1))) is None  # 58 years apart
    assert score(_request(), _person(condition="hilang")) is None
    assert score(_request(subject_person_id="p"), _person()) is None


def test_the_siti_example_of_the_rules() -> None:
    request = _request(full_name="Siti Rahmawati", age_years=None, birth_date=date(1990, 5, 5), kelurahan_code=None)
    found = score(request, _person(full_name="St. Rachmawati", birth_date=date(1990, 5, 5), kelurahan_code=None))
    assert found == (0.9, ("name_fuzzy", "name_phonetic", "birth_date"), True)


def test_status_at_an_instant_from_the_instants_a_request_keeps() -> None:
    from datetime import UTC, datetime, timedelta

    from shared.domain.tracing import status_at

    t0 = datetime(2026, 12, 1, 8, tzinfo=UTC)
    h = timedelta(hours=1)
    kept = {"created_at": t0, "found_at": t0 + 2 * h, "reunited_at": t0 + h, "closed_at": None}
    assert status_at(t0 - h, **kept) is None  # not filed yet
    assert status_at(t0, **kept) == "dicari"
    assert status_at(t0 + h, **kept) == "dicari"  # reunion recorded for a time before it was found
    assert status_at(t0 + 2 * h, **kept) == "dipertemukan"
    assert status_at(t0 + 2 * h, **{**kept, "reunited_at": t0 + 3 * h}) == "ditemukan"
    closed = {"created_at": t0, "found_at": t0 + h, "reunited_at": None, "closed_at": t0 + 2 * h}
    assert [status_at(t0 + k * h, **closed) for k in (0, 1, 2)] == ["dicari", "ditemukan", "ditutup"]
