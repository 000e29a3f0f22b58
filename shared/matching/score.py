"""How likely two person records are one person: a score in 0..1 and the evidence behind it (pure).

The evidence, strongest first:
- the same NIK ("nik"): one person, whatever the names say; two different NIKs: two people;
- a NIK on one record whose encoded birth date and sex (Dukcapil: DDMMYY, women's day + 40) agree
  with the other record's ("nik_birth_sex");
- the names: word by word with rapidfuzz's Jaro-Winkler on the spelling skeletons ("name_fuzzy"),
  or the same Metaphone codes ("name_phonetic"); a missing word (a dropped given name, a marga
  left out) costs a little, a word in place of another (a different given name) costs a lot;
- the same birth date ("birth_date"), and a little for the same kelurahan ("kelurahan");
- against it: another birth date, another sex, two different marga.

Twins are the trap: same family, same birth date, same marga, names one word apart. A pair that
shares a household or a birth date and differs in a given name is therefore held below
REVIEW_THRESHOLD whatever else it shares.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from rapidfuzz.distance import OSA, JaroWinkler
from rapidfuzz.fuzz import ratio

from shared.matching.names import GIVEN_NAMES, NameInfo, analyse, token_weight

# A pair at or above it is offered for review (the duplicate queue, the "orang yang sama" choice).
REVIEW_THRESHOLD = 0.7
# A pair at or above it is very likely one person (the same NIK, or name + birth date + place).
STRONG_THRESHOLD = 0.9
# The find-before-register answer leaves out candidates below it: they would only be noise.
CANDIDATE_FLOOR = 0.5

REASONS = ("nik", "nik_birth_sex", "name_fuzzy", "name_phonetic", "birth_date", "kelurahan")

_TWIN_CAP = REVIEW_THRESHOLD - 0.1
_SAME_TOKEN = 0.85  # a word pair at least this alike counts as the same word written differently


@dataclass(frozen=True)
class PersonKey:
    """What matching needs of a person record (or of a search: person_id and event_id empty)."""

    person_id: str
    event_id: str
    full_name: str
    birth_date: date | None = None
    sex: str | None = None
    nik: str | None = None
    kelurahan_code: str | None = None
    household_id: str | None = None


@dataclass(frozen=True)
class MatchResult:
    score: float
    reasons: tuple[str, ...]


def nik_birth(nik: str | None) -> tuple[int, int, int, str] | None:
    """(day, month, two-digit year, sex) a NIK encodes, or None for a NIK that encodes none."""
    if not nik or len(nik) != 16 or not nik.isdigit():
        return None
    day, month, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    sex = "P" if day > 40 else "L"
    day = day - 40 if day > 40 else day
    if not (1 <= day <= 31 and 1 <= month <= 12):
        return None
    return day, month, yy, sex


def birth_marks(p: PersonKey) -> set[tuple[int, int, int]]:
    """(day, month, two-digit year) of the record's birth date and of the one its NIK encodes."""
    out = set()
    if p.birth_date is not None:
        out.add((p.birth_date.day, p.birth_date.month, p.birth_date.year % 100))
    encoded = nik_birth(p.nik)
    if encoded is not None:
        out.add(encoded[:3])
    return out


def _token_sim(x: NameInfo, i: int, y: NameInfo, j: int) -> float:
    a, b = x.skeletons[i], y.skeletons[j]
    if a == b:
        return 1.0
    if x.codes[i] == y.codes[j] and a[0] == b[0]:
        return max(0.92, JaroWinkler.normalized_similarity(a, b))
    sim = JaroWinkler.normalized_similarity(a, b)
    return sim if sim >= 0.75 else 0.0


def _same_given(a: str, b: str) -> bool:
    """Two written words are one given name (a typo), not two names (Rina/Rini, Fauzi/Fauzan: twins).

    One slip (a letter wrong, missing, doubled, or two swapped: rapidfuzz's OSA distance) is a typo;
    two are a typo only in a long word."""
    if a == b:
        return True
    if a in GIVEN_NAMES and b in GIVEN_NAMES:
        return False
    n = min(len(a), len(b))
    d = OSA.distance(a, b)
    if d == 1 and max(len(a), len(b)) >= 4:
        # twins are often named one final vowel apart (Putra/Putri, Rina/Rini, Dewa/Dewi)
        return not (len(a) == len(b) and a[:-1] == b[:-1] and a[-1] in "aiueo" and b[-1] in "aiueo")
    return d == 2 and n >= 8


@dataclass(frozen=True)
class NameComparison:
    similarity: float  # 0..1
    phonetic: bool  # every word of the shorter name sounds like one of the other
    different_given: bool  # a word of one stands where the other has a different word


def compare_names(x: NameInfo, y: NameInfo) -> NameComparison:
    """Word-by-word alignment of two names, order-free (a swapped given name is the same name)."""
    if x.empty or y.empty:
        return NameComparison(0.0, False, False)
    if x.joined == y.joined:
        return NameComparison(1.0, True, False)
    short, long = (x, y) if len(x.tokens) <= len(y.tokens) else (y, x)
    pairs = sorted(((_token_sim(short, i, long, j), i, j) for i in range(len(short.tokens))
                    for j in range(len(long.tokens))), reverse=True)
    used_s: set[int] = set()
    used_l: set[int] = set()
    matched = 0.0
    phonetic = True
    different = False
    for sim, i, j in pairs:
        if i in used_s or j in used_l:
            continue
        used_s.add(i)
        used_l.add(j)
        if short.codes[i] != long.codes[j]:
            phonetic = False
        if sim < 1.0 and not (_same_given(short.skeletons[i], long.skeletons[j])
                              or _same_given(short.tokens[i], long.tokens[j])):
            different = True
            sim *= 0.5  # alike letters, but another name (Sulastri / Sumiati)
        matched += sim * token_weight(short.tokens[i])
    total = sum(token_weight(t) for t in short.tokens)
    missing = sum(token_weight(long.tokens[j]) for j in range(len(long.tokens)) if j not in used_l)
    similarity = matched / total * 0.92 ** missing
    if len(short.tokens) != len(long.tokens):  # Nurhayati / Nur Hayati: the words split differently
        joined = ratio(short.joined, long.joined) / 100
        if joined >= 0.9:
            similarity, different = max(similarity, joined), False
    if x.margas and y.margas and not x.margas & y.margas:
        similarity *= 0.6  # two clans: two families
        different = True
    return NameComparison(similarity, phonetic and not different, different)


def _near(a: tuple[int, int, int], b: tuple[int, int, int]) -> bool:
    """Two (day, month, yy) written with one slip: day and month swapped, or the year one or ten off.
    (Another day of the same month is not: namesakes born a few days apart are too common.)"""
    (da, ma, ya), (db, mb, yb) = a, b
    if ya == yb and (da, ma) == (mb, db):
        return True
    return (da, ma) == (db, mb) and abs(ya - yb) in (1, 10, 90, 99)


def _informative(info: NameInfo) -> bool:
    """A name of at least two uncommon words: the same such name is evidence even without a date."""
    return sum(token_weight(t) == 1.0 for t in info.tokens) >= 2


def score_pair(a: PersonKey, b: PersonKey) -> MatchResult:
    """How likely `a` and `b` are one person, with the evidence (a subset of REASONS, in that order)."""
    reasons: set[str] = set()
    info_a, info_b = analyse(a.full_name), analyse(b.full_name)
    names = compare_names(info_a, info_b)
    if names.similarity >= _SAME_TOKEN:
        reasons.add("name_fuzzy")
    if names.phonetic:
        reasons.add("name_phonetic")
    if a.nik and b.nik:
        if a.nik == b.nik:
            reasons.add("nik")
            if a.birth_date and a.birth_date == b.birth_date:
                reasons.add("birth_date")
            if a.kelurahan_code and a.kelurahan_code == b.kelurahan_code:
                reasons.add("kelurahan")
            return _result(0.95 + 0.05 * names.similarity, reasons)
        return _result(0.1 * names.similarity, reasons)  # two NIKs: two people, however alike the names
    score = 0.6 * names.similarity
    marks_a, marks_b = birth_marks(a), birth_marks(b)
    if a.birth_date and a.birth_date == b.birth_date:
        reasons.add("birth_date")
        score += 0.3
    for nik_side, other in ((a, b), (b, a)):
        encoded = nik_birth(nik_side.nik)
        bd = other.birth_date
        if encoded is not None and bd is not None and (bd.day, bd.month, bd.year % 100) == encoded[:3] \
                and other.sex in (None, encoded[3]):
            reasons.add("nik_birth_sex")
    if "nik_birth_sex" in reasons:
        score += 0.05 if "birth_date" in reasons else 0.3
    elif "birth_date" not in reasons:
        if marks_a and marks_b:
            score += 0.17 if any(_near(x, y) for x in marks_a for y in marks_b) else -0.25
        elif names.similarity >= 0.9 and _informative(info_a) and _informative(info_b):
            score += 0.08  # no date to compare, but a full name of uncommon words
        else:
            score += 0.03
    if a.sex and b.sex and a.sex != b.sex:
        score -= 0.35
    if a.kelurahan_code and a.kelurahan_code == b.kelurahan_code:
        reasons.add("kelurahan")
        score += 0.07
    same_birth = bool(marks_a & marks_b) or any(_near(x, y) for x in marks_a for y in marks_b)
    same_family = a.household_id is not None and a.household_id == b.household_id
    if same_family:
        score += 0.05
    if names.different_given and (same_birth or same_family):
        score = min(score, _TWIN_CAP)  # twins (or siblings) are never offered as one person
    return _result(score, reasons)


def _result(score: float, reasons: set[str]) -> MatchResult:
    return MatchResult(round(min(1.0, max(0.0, score)), 4), tuple(r for r in REASONS if r in reasons))
