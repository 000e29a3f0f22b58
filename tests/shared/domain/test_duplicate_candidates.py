"""The full scan's pairs are exactly shared.matching.find_pairs's, found without scoring the pairs birth
dates rule out (shared/domain/duplicate_candidates.py)."""

from __future__ import annotations

from datetime import date

import pytest

from shared.domain.duplicate_candidates import likely_pairs
from shared.matching import PersonKey, find_pairs
from tests.shared.matching.population import make_population


def ids(found: list) -> dict[frozenset[str], float]:  # type: ignore[type-arg]
    return {frozenset((a.person_id, b.person_id)): r.score for a, b, r in found}


@pytest.mark.parametrize(("identities", "seed", "share"), [(3000, 11, 0.2), (3000, 2026, 0.2), (6000, 5, 0.05)])
def test_the_same_pairs_and_scores_as_the_matcher(identities: int, seed: int, share: float) -> None:
    people = make_population(identities=identities, seed=seed, duplicate_share=share).records
    expected = ids(find_pairs(people))
    assert len(expected) > 100  # the population holds duplicates to find
    assert ids(likely_pairs(people)) == expected


def key(pid: str, name: str, born: date | None, sex: str = "P", nik: str | None = None) -> PersonKey:
    return PersonKey(pid, "e", name, born, sex, nik, None, None)


def test_pairs_one_slip_apart_are_still_scored() -> None:
    """Day and month swapped, a year ten off, one side without a date, the same NIK with two dates: each
    is left to score_pair, and a namesake born on another day is not."""
    people = [
        key("a", "Siti Rahmawati Lubis", date(1985, 5, 12)),
        key("b", "Siti Rahmawati Lubis", date(1985, 12, 5)),  # swapped
        key("c", "Siti Rahmawati Lubis", date(1995, 5, 12)),  # ten years off
        key("d", "St. Rahmawati Lubis", None),  # no date
        key("e", "Siti Rahmawati Lubis", date(1971, 3, 3)),  # a namesake
        key("f", "Hotman Sinaga", date(1970, 1, 2), "L", "1275010201700001"),
        key("g", "Hotman Sinaga", date(1980, 8, 8), "L", "1275010201700001"),  # the NIK says one person
    ]
    expected = ids(find_pairs(people, threshold=0.0))
    found = ids(likely_pairs(people))
    assert found == ids(find_pairs(people))
    assert frozenset("fg") in found
    assert frozenset("ae") not in found and frozenset("ae") in expected  # scored low when scored at all
