"""Family tracing and reunification (laporan orang dicari): the status lifecycle and what makes a match
strong, as pure functions (docs/rules.md, "Tracing requests").

A request is `dicari` (sought) when filed; the worker moves it to `kemungkinan_cocok` when the matcher
finds a strong candidate; an operator confirms the person (`ditemukan`, with the matched person), then
records the reunion (`dipertemukan`: when, where, by whom) or closes it (`ditutup`, with a reason).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

TracingStatus = Literal["dicari", "kemungkinan_cocok", "ditemukan", "dipertemukan", "ditutup"]
TracingKind = Literal["orang", "keluarga"]
STATUSES: tuple[str, ...] = ("dicari", "kemungkinan_cocok", "ditemukan", "dipertemukan", "ditutup")
# Requests the worker still matches (a found, reunited or closed request is settled).
OPEN_STATUSES: tuple[str, ...] = ("dicari", "kemungkinan_cocok")

TRANSITIONS: dict[str, frozenset[str]] = {
    "dicari": frozenset({"kemungkinan_cocok", "ditemukan", "ditutup"}),
    # every candidate turned out to be someone else: sought again
    "kemungkinan_cocok": frozenset({"dicari", "ditemukan", "ditutup"}),
    "ditemukan": frozenset({"dipertemukan", "ditutup"}),
    "dipertemukan": frozenset(),
    "ditutup": frozenset(),
}

# Children's protection flags (under 18 only): separated from usual caregivers, or with no adult at all.
CHILD_FLAGS: tuple[str, ...] = ("terpisah", "tanpa_pendamping")
CHILD_UNDER = 18  # years

# The matcher's score from which a candidate is offered at all, and from which it is strong (moves the
# request to kemungkinan_cocok and is pushed live): shared/matching/score.py's CANDIDATE_FLOOR and
# REVIEW_THRESHOLD, the thresholds duplicate review uses.
AGE_TOLERANCE_YEARS = 2  # a reported age is a guess: a birth year up to 2 off still agrees


def can_transition(current: str, new: str) -> bool:
    """True when a request in `current` may move to `new` (staying put is no transition)."""
    return new in TRANSITIONS.get(current, frozenset())


def transition_problem(current: str, new: str) -> str | None:
    """Why `current` → `new` is refused (Indonesian, for a 409), or None."""
    if current == new or can_transition(current, new):
        return None
    return f"status {current} tidak dapat menjadi {new} (a {current} request cannot become {new})"


def birth_year(birth_date: date | None, age_years: int | None, on: date) -> int | None:
    """The (approximate) birth year: from the date, or `on`'s year minus the age reported then."""
    if birth_date is not None:
        return birth_date.year
    if age_years is not None:
        return on.year - age_years
    return None


def ages_agree(a: int | None, b: int | None) -> bool:
    """Two birth years agree within AGE_TOLERANCE_YEARS; an unknown one never disagrees."""
    return a is None or b is None or abs(a - b) <= AGE_TOLERANCE_YEARS


def is_child(age: int | None) -> bool:
    return age is not None and age < CHILD_UNDER


def status_at(at: datetime, *, created_at: datetime, found_at: datetime | None, reunited_at: datetime | None,
              closed_at: datetime | None) -> str | None:
    """The status a request had at `at`, from the instants it keeps (None: not filed yet). Settled states
    are final and each is reached once, so the instants are its history; dicari and kemungkinan_cocok,
    which go back and forth, are both "still missing" and told apart only now (reported as `dicari`).
    A reunion counts from its recorded time, but never before the request was marked found."""
    if created_at > at:
        return None
    if closed_at is not None and closed_at <= at:
        return "ditutup"
    if found_at is not None and found_at <= at:
        if reunited_at is not None and reunited_at <= at:
            return "dipertemukan"
        return "ditemukan"
    return "dicari"
