"""The pairs a full duplicate scan scores: shared/matching's blocks, without the pairs whose birth dates
already rule them out.

Why: `shared.matching.find_pairs` scores every pair that shares a block; in a 50,000-person event the
name blocks ("Muhammad Rizki", "Siti … Lubis") hold hundreds of namesakes, and scoring their ~1.5
million pairs takes ~45 s where the scan has 10. Most of those namesakes are born on other days, and
`score_pair` cannot lift such a pair to the review threshold: without both NIKs, a pair whose birth
marks (birth date, the date a NIK encodes) are known on both sides and neither equal, nor one slip apart
(day and month swapped, the year one or ten off), nor matched by a NIK, scores at most 0.6 (names) −
0.25 (dates) + 0.07 (kelurahan) + 0.05 (household) = 0.47 < REVIEW_THRESHOLD; nor a pair of two
sexes without an equal birth mark (at most 0.6 + 0.17 + 0.12 − 0.35 = 0.54). Every pair that can
reach the threshold shares a day-month of birth (ignoring the year; swapped day and month included),
or has a side without any birth mark, or shares the NIK block: only those are scored, with
`score_pair` itself, so the pairs found are exactly `find_pairs`'s (tests/shared/matching/
test_scan.py compares the two on shared/matching's own test population).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

from shared.matching import MAX_BLOCK, REVIEW_THRESHOLD, MatchResult, PersonKey, blocking_keys, score_pair
from shared.matching.score import birth_marks

# Below this a pair cannot pass on names and dates the sides disagree on (see the module docstring).
DATE_FILTER_FROM = 0.48
SMALL_BLOCK = 6  # small blocks are scored whole: sorting them by date costs more than it saves
CHECK_EVERY = 2000  # pairs between two calls of `should_stop`


class Interrupted(Exception):
    """The caller asked the scan to stop (`should_stop` answered True): nothing is found."""


def _day_months(marks: frozenset[tuple[int, int, int]]) -> tuple[tuple[int, int], ...]:
    """The (day, month) of every birth mark of a record, each also swapped (one slip)."""
    out: set[tuple[int, int]] = set()
    for day, month, _ in marks:
        out.add((day, month))
        out.add((month, day))
    return tuple(out)


def _dates_allow(x: frozenset[tuple[int, int, int]], y: frozenset[tuple[int, int, int]]) -> bool:
    """Birth marks known on both sides leave a chance only when one is equal or one slip apart."""
    if not x or not y or x & y:
        return True
    for da, ma, ya in x:
        for db, mb, yb in y:
            if (ya == yb and (da, ma) == (mb, db)) or ((da, ma) == (db, mb) and abs(ya - yb) in (1, 10, 90, 99)):
                return True
    return False


def _block_pairs(members: list[int], day_months: list[tuple[tuple[int, int], ...]]) -> Iterable[tuple[int, int]]:
    """Pairs of a block (indices in ascending order) whose birth marks leave them a chance."""
    by_day: dict[tuple[int, int], list[int]] = defaultdict(list)
    unknown: list[int] = []
    for i in members:
        marks = day_months[i]
        if not marks:
            unknown.append(i)
        for dm in marks:
            by_day[dm].append(i)
    for group in by_day.values():
        for x in range(len(group)):
            for y in range(x + 1, len(group)):
                yield group[x], group[y]
    for u in unknown:
        for i in members:
            if i != u:
                yield (u, i) if u < i else (i, u)


def likely_pairs(persons: Iterable[PersonKey], threshold: float = REVIEW_THRESHOLD, *,
                 event_id: str | None = None,
                 should_stop: Callable[[], bool] | None = None) -> list[tuple[PersonKey, PersonKey, MatchResult]]:
    """`shared.matching.find_pairs(persons, threshold)`, scoring only the pairs that can reach it.

    With `event_id` (the scan of one event, given the persons of other events too) only pairs with a
    person of that event are scored, and a pair across events only with the same NIK or an equal
    birth mark: nothing else reaches STRONG_THRESHOLD (names 0.6 + a date one slip apart 0.17 +
    kelurahan and household 0.12 = 0.89), and across events nothing weaker is kept.

    `should_stop` is asked every CHECK_EVERY pairs; True raises Interrupted (the worker's scan gives way
    to a waiting recompute)."""
    people = list(persons)
    blocks: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(people):
        for key in blocking_keys(p):
            blocks[key].append(i)
    marks = [frozenset(birth_marks(p)) for p in people]
    day_months = [_day_months(m) for m in marks]
    filtered = threshold >= DATE_FILTER_FROM
    seen: set[tuple[int, int]] = set()
    found: list[tuple[PersonKey, PersonKey, MatchResult]] = []
    countdown = CHECK_EVERY
    for key, members in blocks.items():
        if len(members) < 2 or len(members) > MAX_BLOCK:
            continue
        if not filtered or len(members) <= SMALL_BLOCK or key.startswith("nik:"):
            pairs: Iterable[tuple[int, int]] = (
                (members[x], members[y]) for x in range(len(members)) for y in range(x + 1, len(members)))
        else:
            pairs = _block_pairs(members, day_months)
        for pair in pairs:
            countdown -= 1
            if countdown == 0:
                countdown = CHECK_EVERY
                if should_stop is not None and should_stop():
                    raise Interrupted()
            if pair in seen:
                continue
            seen.add(pair)
            a, b = people[pair[0]], people[pair[1]]
            if a.person_id == b.person_id:
                continue
            if event_id is not None and a.event_id != b.event_id and (
                    event_id not in (a.event_id, b.event_id)
                    or not ((a.nik and a.nik == b.nik) or marks[pair[0]] & marks[pair[1]])):
                continue
            if event_id is not None and a.event_id == b.event_id != event_id:
                continue
            if filtered:
                ma, mb = marks[pair[0]], marks[pair[1]]
                if (a.nik and b.nik and a.nik != b.nik) or not _dates_allow(ma, mb):
                    continue  # two NIKs: two people (≤ 0.1); birth marks apart (≤ 0.47)
                if a.sex and b.sex and a.sex != b.sex and not ma & mb:
                    continue  # the other sex (−0.35) without the same birth date: ≤ 0.6 + 0.17 + 0.12 − 0.35
            result = score_pair(a, b)
            if result.score >= threshold:
                found.append((a, b, result))
    found.sort(key=lambda t: -t[2].score)
    return found
