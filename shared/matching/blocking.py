"""Blocking: the few keys under which two records of one person meet, so no one compares all pairs.

Two records of one person share at least one key when they share
- the NIK (`nik:`);
- the sounds of all their words, in any order (`n:` the sorted Metaphone codes), also with any one
  word left out of a name of three or more words (a dropped given name or marga);
- the birth date, typed or encoded in a NIK (`d:`): whatever the names, so a typo anywhere and a
  name reduced to one word ("Rina" / "Rina br Sitepu") meet; a date block is a handful of persons.
Birth dates are keyed without the century (DDMMYY, as in the NIK). A key never stands for a
single common word alone: "everyone called Siti" is not a block. Few keys per person on purpose
(two for most): each is a row written with every registration. (A key of the initials with day and
month, for a typo together with a slipped year, added 0.3–0.7 points of recall on the generated set
and a third more rows: left out.)

The same keys serve the database (`key_hash`: a 63-bit number per key, stored per person in
`person_match_keys` — all but the NIK, which the persons table indexes — and looked up by index,
readable by nobody) and the in-memory scan
(`find_pairs`).
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from functools import lru_cache

from shared.matching.names import analyse
from shared.matching.score import REVIEW_THRESHOLD, MatchResult, PersonKey, birth_marks, nik_birth, score_pair

# A block larger than this is a key too common to tell anyone apart: its pairs are left out of the
# scan (they still meet under their other keys). 1 January of an unknown year is such a key.
MAX_BLOCK = 300


def _dates(p: PersonKey) -> set[str]:
    return {f"{day:02d}{month:02d}{yy:02d}" for day, month, yy in birth_marks(p)}


@lru_cache(maxsize=131072)
def _name_keys(full_name: str) -> tuple[str, ...]:
    """A name's `n:` keys: cached, names repeat."""
    codes = sorted(set(analyse(full_name).codes))
    if not codes:
        return ()
    keys = {"n:" + " ".join(codes)}
    if len(codes) >= 3:
        for left_out in codes:
            keys.add("n:" + " ".join(c for c in codes if c != left_out))
    return tuple(sorted(keys))


def blocking_keys(p: PersonKey) -> set[str]:
    """The keys of a person record (or a search) in the blocks it belongs to."""
    keys = set(_name_keys(p.full_name))
    if p.nik:
        keys.add("nik:" + p.nik)
    keys.update("d:" + when for when in _dates(p))
    return keys


def key_hash(key: str) -> int:
    """A blocking key as a positive 63-bit number: fits a BIGINT, indexes small, and names nobody.

    Two CRC-32s (zlib, stable across processes and versions) rather than a cryptographic hash: this
    runs a few times per person on every write, and a rare collision only adds a candidate that the
    scoring then rejects."""
    data = key.encode()
    return (zlib.crc32(data) << 31) | (zlib.crc32(data, 0x5BD1E995) >> 1)


@lru_cache(maxsize=131072)
def _name_hashes(full_name: str) -> tuple[int, ...]:
    return tuple(key_hash(k) for k in _name_keys(full_name))


def key_hashes(p: PersonKey) -> set[int]:
    """`{key_hash(k) for k in blocking_keys(p)}`: what a search looks up."""
    out = stored_key_hashes(p.full_name, p.birth_date, p.nik)
    if p.nik:
        out.add(key_hash("nik:" + p.nik))
    return out


@lru_cache(maxsize=65536)
def _birth_hash(bd: date) -> int:
    return key_hash(f"d:{bd.day:02d}{bd.month:02d}{bd.year % 100:02d}")


@lru_cache(maxsize=65536)
def _nik_birth_hash(ddmmyy: str) -> int | None:
    """The date key of a NIK's birth part (DDMMYY, women's day + 40), or None when it encodes no date."""
    encoded = nik_birth("000000" + ddmmyy + "0000")
    return None if encoded is None else key_hash(f"d:{encoded[0]:02d}{encoded[1]:02d}{encoded[2]:02d}")


def stored_key_hashes(full_name: str, birth_date: date | None, nik: str | None) -> set[int]:
    """The keys the database keeps for a person: all but the NIK's (the persons table has the NIK
    indexed already). Computed from the fields with every part cached (names and dates repeat): this
    runs on every person write, in the write transaction."""
    out = set(_name_hashes(full_name))
    if birth_date is not None:
        out.add(_birth_hash(birth_date))
    if nik and len(nik) == 16:
        h = _nik_birth_hash(nik[6:12])
        if h is not None:
            out.add(h)
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
