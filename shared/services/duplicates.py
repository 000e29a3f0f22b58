"""The duplicate queue: listing pairs side by side, dismissing them, and the scan that fills the queue.

The scan (run by the worker job `scan_duplicates`, services/worker/jobs.py) reads an event's persons,
asks the matcher (shared/matching) for likely pairs, and reconciles them with the stored queue:
new pairs are added open, open pairs found again are refreshed, open pairs no longer found (a
person corrected or merged) are removed, and a decided pair (dismissed or merged) is never touched:
"not the same person" is never suggested again. Across events it keeps only the same NIK or a strong
match. Running it twice stores the same queue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from shared.db import UnitOfWork, utcnow
from shared.domain.access import Actor, masks_nik_in_lists
from shared.errors import Conflict, NotFound
from shared.matching import STRONG_THRESHOLD, PersonKey
from shared.matching.scan import likely_pairs
from shared.models import DuplicatePair, Event
from shared.repositories import duplicates as dup_repo
from shared.repositories import people as people_repo
from shared.schemas.common import Page, Paging
from shared.schemas.duplicates import DuplicatePairPublic, Moved, PairSide
from shared.services.bookkeeping import record_audit
from shared.services.merge import require_merger
from shared.services.people import require_names
from shared.services.presenters import person_public

# The fields compared in the side-by-side view (differing ones are highlighted).
COMPARED = ("full_name", "sex", "birth_date", "age_years", "nik", "nik_mismatch_confirmed", "household_id",
            "vulnerabilities", "needs_psychosocial", "condition", "shelter_id")


def _visible_events(session: Session, actor: Actor) -> set[str] | None:
    """The events whose persons the caller may see in a pair: every event, or a relawan's own."""
    return dup_repo.member_events(session, actor.id) if actor.is_relawan else None


def pair_views(session: Session, pairs: list[DuplicatePair], tz: ZoneInfo, *, mask: bool) -> list[DuplicatePairPublic]:
    """Pairs with both persons' fields, where they stand and what a merge would move."""
    ids = {p.person_a for p in pairs} | {p.person_b for p in pairs}
    rows = people_repo.get_person_rows(session, ids)
    counts = dup_repo.row_counts(session, ids)
    sides = dup_repo.side_rows(session, ids, {pid: r[2] for pid, r in rows.items()})
    out = []
    for p in pairs:
        if p.person_a not in rows or p.person_b not in rows:
            continue  # a person removed meanwhile (never, today): the pair has nothing to show
        views = []
        for pid in (p.person_a, p.person_b):
            c, side = counts[pid], sides[pid]
            views.append(PairSide(person=person_public(*rows[pid], tz, mask=mask), shelter_name=side.shelter_name,
                                  household_head=side.household_head, kelurahan_code=side.kelurahan_code,
                                  moves=Moved(stays=c.stays, distributions=c.distributions, services=c.services)))
        a, b = views
        differing = [f for f in COMPARED if getattr(a.person, f) != getattr(b.person, f)]
        out.append(DuplicatePairPublic(
            id=p.id, event_id=p.event_id, other_event_id=p.other_event_id, score=p.score, reasons=list(p.reasons),
            status=p.status, created_at=p.created_at, updated_at=p.updated_at, decided_at=p.decided_at,
            decided_by=p.decided_by_username, differing=differing, a=a, b=b))
    return out


def list_pairs(uow: UnitOfWork, session: Session, actor: Actor, event: Event, status: str | None, page: Paging,
               tz: ZoneInfo) -> Page[DuplicatePairPublic]:
    """One page of the event's queue (personal data: pengamat 403, NIK masked for relawan, audited)."""
    require_names(actor)
    rows, total = dup_repo.list_pairs(session, event.id, status=status, visible_events=_visible_events(session, actor),
                                      limit=page.limit, offset=page.offset)
    items = pair_views(session, rows, tz, mask=masks_nik_in_lists(actor))
    record_audit(uow, actor, "duplicate.list", "event", event.id, event.id, detail=f"status={status or 'all'}",
                 row_count=len(items))
    return Page.of(items, total, page)


def dismiss(uow: UnitOfWork, actor: Actor, event: Event, pair_id: str, tz: ZoneInfo) -> DuplicatePairPublic:
    """Mark a pair "not the same person": it leaves the open queue and no scan reopens it."""
    require_merger(actor)
    pair = dup_repo.get_pair(uow.session, pair_id)
    if pair is None or event.id not in (pair.event_id, pair.other_event_id):
        raise NotFound("pasangan tidak ditemukan (duplicate pair not found)")
    if pair.status == "merged":
        raise Conflict("pasangan ini sudah digabung; batalkan penggabungan dulu (this pair was merged: unmerge first)")
    if pair.status == "open":
        now = utcnow()
        pair.status, pair.decided_at, pair.updated_at = "dismissed", now, now
        pair.decided_by, pair.decided_by_username = actor.id, actor.username
        uow.session.add(pair)
        record_audit(uow, actor, "duplicate.dismiss", "duplicate_pair", pair.id, event.id,
                     detail=f"a={pair.person_a};b={pair.person_b}")
        uow.session.flush()
    return pair_views(uow.session, [pair], tz, mask=masks_nik_in_lists(actor))[0]


# ---------------------------------------------------------------- the scan


@dataclass
class Found:
    """A pair the matcher found, in canonical order."""

    id: str
    event_id: str
    other_event_id: str
    person_a: str
    person_b: str
    score: float
    reasons: list[str]


@dataclass
class Scan:
    event_id: str
    data_seq: int
    persons: int
    found: list[Found]


def _key(row: dup_repo.KeyRow) -> PersonKey:
    return PersonKey(person_id=row.person_id, event_id=row.event_id, full_name=row.full_name,
                     birth_date=row.birth_date if isinstance(row.birth_date, date) else None, sex=row.sex,
                     nik=row.nik, kelurahan_code=row.kelurahan_code, household_id=row.household_id)


def find_event_pairs(session: Session, event: Event, *, across_events: bool = True,
                     should_stop: Callable[[], bool] | None = None) -> Scan:
    """Read the event's persons (and those of the other open events) and find the likely pairs:
    every pair inside the event at the review threshold; across events the same NIK or a strong match
    (shared/matching/scan.py: the matcher's pairs, without scoring those dates rule out)."""
    own = dup_repo.match_rows(session, event.id)
    others = dup_repo.other_open_event_rows(session, event.id) if across_events else []
    keys = [_key(r) for r in own] + [_key(r) for r in others]
    found: dict[str, Found] = {}
    for x, y, result in likely_pairs(keys, event_id=event.id, should_stop=should_stop):
        if event.id not in (x.event_id, y.event_id):
            continue  # a pair of other events: their own scans keep it
        if x.event_id != y.event_id and not ("nik" in result.reasons or result.score >= STRONG_THRESHOLD):
            continue
        a, b = (x, y) if x.person_id < y.person_id else (y, x)
        pid = dup_repo.pair_id(a.person_id, b.person_id)
        found[pid] = Found(pid, a.event_id, b.event_id, a.person_id, b.person_id, round(float(result.score), 4),
                           list(result.reasons))
    return Scan(event_id=event.id, data_seq=event.data_seq, persons=len(own), found=list(found.values()))


@dataclass
class Stored:
    inserted: int = 0
    updated: int = 0
    removed: int = 0


def store_pairs(uow: UnitOfWork, scan: Scan) -> Stored:
    """Reconcile the queue with what a scan found (see the module docstring)."""
    s = uow.session
    now = utcnow()
    stored = dup_repo.pairs_touching(s, scan.event_id)
    out = Stored()
    new: list[dict[str, Any]] = []
    for f in scan.found:
        old = stored.get(f.id)
        if old is None:
            new.append({"id": f.id, "event_id": f.event_id, "other_event_id": f.other_event_id, "person_a": f.person_a,
                        "person_b": f.person_b, "score": f.score, "reasons": f.reasons, "status": "open",
                        "created_at": now, "updated_at": now, "decided_at": None, "decided_by": None,
                        "decided_by_username": None})
        elif old.status == "open" and (old.score != f.score or old.reasons != f.reasons):
            dup_repo.update_open_pair(s, f.id, f.score, f.reasons, now)
            out.updated += 1
    dup_repo.insert_pairs(s, new)
    out.inserted = len(new)
    seen = {f.id for f in scan.found}
    out.removed = dup_repo.delete_open_pairs(s, [pid for pid, p in stored.items() if p.status == "open" and pid not in seen])
    return out
