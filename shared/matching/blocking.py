"""Blocking: the few keys under which two records of one person meet, so no one compares all pairs.

Two records of one person share at least one key when they share
- the NIK (`nik:`);
- the sounds of all their words, in any order (`n:` the sorted Metaphone codes), also with any one
  word left out of a name of three or more words (a dropped given name or marga);
- one word's sound and the birth date, or the birth date a NIK encodes (`t:`): this catches a typo
  in the other words and a name reduced to one word ("Rina" / "Rina br Sitepu");
- the initials of the words with the day and month of birth (`t:i:`): a typo in every word, or in a
  one-word name, also with a slipped year.
Birth dates are keyed without the century (DDMMYY, as in the NIK). A key never stands for a
single common word alone: "everyone called Siti" is not a block.

The same keys serve the database (`key_hash`: a 63-bit number per key, stored per person in
`person_match_keys` and looked up by index, readable by nobody) and the in-memory scan
(`find_pairs`).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache

from shared.matching.names import analyse
from shared.matching.score import REVIEW_THRESHOLD, MatchResult, PersonKey, birth_marks, score_pair

# A block larger than this is a key too common to tell anyone apart: its pairs are left out of the
# scan (they still meet under their other keys). 1 January of an unknown year is such a key.
MAX_BLOCK = 300


def _dates(p: PersonKey) -> set[str]:
    return {f"{day:02d}{month:02d}{yy:02d}" for day, month, yy in birth_marks(p)}


def _date_keys(codes: tuple[str, ...], dates: set[str]) -> set[str]:
    """Each word's sound with the full date; the initials with day and month only (a slipped year)."""
    keys = set()
    for when in dates:
        for code in codes:
            keys.add(f"t:{code}|{when[:4] if code.startswith('i:') else when}")
    return keys


@lru_cache(maxsize=131072)
def _name_part(full_name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(the distinct Metaphone codes of a name, sorted, and its initials; its `n:` keys): cached."""
    info = analyse(full_name)
    codes = tuple(sorted(set(info.codes)))
    if not codes:
        return codes, ()
    keys = {"n:" + " ".join(codes)}
    if len(codes) >= 3:
        for left_out in codes:
            keys.add("n:" + " ".join(c for c in codes if c != left_out))
    initials = "i:" + "".join(sorted(s[0] for s in info.skeletons))
    return (*codes, initials), tuple(sorted(keys))


def blocking_keys(p: PersonKey) -> set[str]:
    """The keys of a person record (or a search) in the blocks it belongs to."""
    codes, name_keys = _name_part(p.full_name)
    keys = set(name_keys)
    if p.nik:
        keys.add("nik:" + p.nik)
    return keys | _date_keys(codes, _dates(p))


def key_hash(key: str) -> int:
    """A blocking key as a positive 63-bit number: fits a BIGINT, indexes small, and names nobody."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big") >> 1


@lru_cache(maxsize=131072)
def _name_hashes(full_name: str) -> tuple[int, ...]:
    return tuple(key_hash(k) for k in _name_part(full_name)[1])


def key_hashes(p: PersonKey) -> set[int]:
    """`{key_hash(k) for k in blocking_keys(p)}`, computed with the name's part cached: this runs on
    every person write, in the write transaction."""
    out = set(_name_hashes(p.full_name))
    if p.nik:
        out.add(key_hash("nik:" + p.nik))
    dates = _dates(p)
    if dates:
        out.update(key_hash(k) for k in _date_keys(_name_part(p.full_name)[0], dates))
    return out


def find_pairs(persons: Iterable[PersonKey],
               threshold: float = REVIEW_THRESHOLD) -> list[tuple[PersonKey, PersonKey, MatchResult]]:
    """Every pair of records scoring at least `threshold`, best first; only pairs sharing a block are
    compared (blocks larger than MAX_BLOCK are skipped). Two records of one person_id are no pair."""
    people = list(persons)
    blocks: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(people):
        for key in blocking_keys(p):
            blocks[key].append(i)
    seen: set[tuple[int, int]] = set()
    found: list[tuple[PersonKey, PersonKey, MatchResult]] = []
    for members in blocks.values():
        if len(members) < 2 or len(members) > MAX_BLOCK:
            continue
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                pair = (members[x], members[y])
                if pair in seen:
                    continue
                seen.add(pair)
                a, b = people[pair[0]], people[pair[1]]
                if a.person_id == b.person_id:
                    continue
                result = score_pair(a, b)
                if result.score >= threshold:
                    found.append((a, b, result))
    found.sort(key=lambda t: (-t[2].score, t[0].person_id, t[1].person_id))
    return found
