"""The full scan's pairs are exactly shared.matching.find_pairs's, found without scoring the pairs birth
dates rule out (shared/matching/scan.py)."""

from __future__ import annotations

from datetime import date

import pytest

from shared.matching import PersonKey, find_pairs
from shared.matching.scan import likely_pairs
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


def test_one_events_scan_keeps_what_the_service_keeps_of_the_matchers_pairs() -> None:
    """Scanning event e1 among the persons of e1, e2 and e3: every pair inside e1, and across events only
    the same NIK or a strong match — exactly what the scan keeps of find_pairs's answer."""
    import random
    from dataclasses import replace

    from shared.matching import STRONG_THRESHOLD

    rnd = random.Random(7)
    people = [replace(p, event_id=rnd.choice(("e1", "e2", "e3")))
              for p in make_population(identities=4000, seed=3, duplicate_share=0.3).records]
    wanted = {k: v for k, v in ((frozenset((a.person_id, b.person_id)), (a, b, r)) for a, b, r in find_pairs(people))
              if "e1" in (v[0].event_id, v[1].event_id)
              and (v[0].event_id == v[1].event_id or "nik" in v[2].reasons or v[2].score >= STRONG_THRESHOLD)}
    assert any(a.event_id != b.event_id for a, b, _ in wanted.values())
    kept = {frozenset((a.person_id, b.person_id)): r.score for a, b, r in likely_pairs(people, event_id="e1")
            if a.event_id == b.event_id or "nik" in r.reasons or r.score >= STRONG_THRESHOLD}
    assert kept == {k: r.score for k, (_, _, r) in wanted.items()}
