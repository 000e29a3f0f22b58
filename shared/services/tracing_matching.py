"""Matching tracing requests against the register, in the worker (docs/rules.md, "Tracing matches").

The same matcher as duplicate detection and find-before-register (shared/matching: name variants, NIK,
birth date, sex, kelurahan): a request is scored like a typed search against the persons filed under its
blocking keys in every event (person_match_keys, plus the NIK); a new registration is looked up under
its keys among the open requests' keys (tracing_match_keys). One pass (`match_pass`) does both:

1. every request changed since it was last matched (`version` > `matched_version`): its candidates are
   computed afresh from the whole register and its keys re-filed (a settled request loses its keys);
2. every person registered since the cursor (minus a grace for transactions that committed late):
   scored against the open requests sharing a key.

A candidate scoring at least CANDIDATE_FLOOR is kept with its reasons; at least REVIEW_THRESHOLD (the
duplicate-review threshold) is strong. A person whose reported age disagrees (birth years more than
AGE_TOLERANCE_YEARS apart), the request's own subject and anyone still hilang are never candidates.
A strong candidate that is new moves a `dicari` request to `kemungkinan_cocok` (audited, actor system)
and is announced on the live channel of the person's event and the request's event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from shared.db import UnitOfWork, utcnow
from shared.domain.access import SYSTEM, Actor
from shared.domain.tracing import OPEN_STATUSES, ages_agree, birth_year
from shared.matching import CANDIDATE_FLOOR, REVIEW_THRESHOLD, PersonKey, key_hash, key_hashes, score_pair
from shared.models import TracingMatch, TracingRequest
from shared.repositories import matching as matching_repo
from shared.repositories import tracing as tracing_repo
from shared.schemas.tracing import TracingCandidate
from shared.services.bookkeeping import record_audit

GRACE = timedelta(seconds=5)  # a registration staged before the cursor but committed after it is still seen
REQUESTS_PER_PASS = 500
PERSONS_PER_PASS = 5000


@dataclass
class PassResult:
    requests: int = 0
    persons: int = 0
    new_strong: list[tuple[str, str, str, str | None]] = field(default_factory=list)  # request, person, person event, request event
    more: bool = False  # a limit was reached: run again
    matched: list[tuple[str, datetime]] = field(default_factory=list)  # (person, created_at) matched by the pass
    horizon: datetime | None = None  # the grace window's start after the pass: older registrations are not read again


@dataclass
class RecentlyMatched:
    """The registrations this process's committed passes matched whose instants still lie in the grace
    window (person id -> created_at).

    Why: every pass reads the grace window behind the cursor again, for registrations that committed late,
    and at 100 registrations a second that window holds ~500 persons while a pass finds a handful of new
    ones: matched again each time, they were most of a pass's cost. Matching them again changes nothing,
    so the ones this process matched (and committed) are left out; those matched by another worker, or
    before a restart, are matched once more, as before. Remembered only after the pass committed
    (`remember`), so a pass rolled back leaves nothing behind."""

    seen: dict[str, datetime] = field(default_factory=dict)

    def remember(self, result: PassResult) -> None:
        self.seen.update(result.matched)
        if result.horizon is not None:
            horizon = result.horizon
            for pid in [pid for pid, at in self.seen.items() if at < horizon]:
                del self.seen[pid]


def request_key(request: TracingRequest) -> PersonKey:
    return PersonKey("", request.event_id or "", request.full_name or "", request.birth_date, request.sex,
                     request.nik, request.kelurahan_code, None)


def request_hashes(request: TracingRequest) -> set[int]:
    """What a request is filed under: the keys of a search (names, birth date, NIK)."""
    if not (request.full_name or request.nik):
        return set()
    out = key_hashes(request_key(request))
    if request.nik:
        out.add(key_hash("nik:" + request.nik))
    return out


def _person_key(row: dict[str, Any]) -> PersonKey:
    return PersonKey(row["person_id"], row["event_id"], row["full_name"], row["birth_date"], row["sex"], row["nik"],
                     row["kelurahan_code"], row["household_id"])


def score(request: TracingRequest, row: dict[str, Any]) -> tuple[float, tuple[str, ...], bool] | None:
    """(score, reasons, strong) of a registered person for a request, or None when they are no candidate."""
    if row["person_id"] == request.subject_person_id or row["condition"] == "hilang":
        return None
    reported_on = (request.created_at or utcnow()).date()
    if not ages_agree(birth_year(request.birth_date, request.age_years, reported_on),
                      birth_year(row["birth_date"], row["age_years"], row["event_started_at"].date())):
        return None
    result = score_pair(request_key(request), _person_key(row))
    if result.score < CANDIDATE_FLOOR:
        return None
    return result.score, result.reasons, result.score >= REVIEW_THRESHOLD


def _place(session: Session, rows: list[dict[str, Any]], now: datetime) -> None:
    """A person without a household's kelurahan is placed by their open shelter's (as find-before-register)."""
    shelters = tracing_repo.open_shelters(session, [r["person_id"] for r in rows if not r["kelurahan_code"]], now)
    for r in rows:
        if not r["kelurahan_code"] and r["person_id"] in shelters:
            r["kelurahan_code"] = shelters[r["person_id"]][2]


def _candidates_of(session: Session, request: TracingRequest, now: datetime) -> dict[str, tuple[float, tuple[str, ...], bool, str]]:
    """person_id -> (score, reasons, strong, event_id) over the whole register (every event)."""
    probe = request_key(request)
    if not (request.full_name or request.nik):
        return {}
    ids = matching_repo.persons_with_nik(session, request.nik, None) if request.nik else []
    ids += [i for i in matching_repo.candidate_ids(session, key_hashes(probe), None) if i not in ids]
    rows = tracing_repo.person_rows(session, ids)
    _place(session, rows, now)
    out = {}
    for r in rows:
        scored = score(request, r)
        if scored is not None:
            out[r["person_id"]] = (*scored, r["event_id"])
    return out


def _store(uow: UnitOfWork, request: TracingRequest, found: dict[str, tuple[float, tuple[str, ...], bool, str]],
           existing: dict[tuple[str, str], TracingMatch], now: datetime, result: PassResult, *, complete: bool) -> None:
    """Upsert the candidates of one request; `complete` (the request was matched against everyone) also
    removes those no longer found. New strong candidates are noted in `result`."""
    s = uow.session
    if complete:
        gone = [k for k in existing if k[0] == request.id and k[1] not in found]
        tracing_repo.delete_matches(s, gone)
    for pid, (value, reasons, strong, event_id) in found.items():
        match = existing.get((request.id, pid))
        if match is None:
            s.add(TracingMatch(request_id=request.id, person_id=pid, event_id=event_id, score=value,
                               reasons=list(reasons), strong=strong, first_seen_at=now, updated_at=now))
            became_strong = strong
        else:
            became_strong = strong and not match.strong
            if (match.score, list(match.reasons), match.strong) != (value, list(reasons), strong):
                match.score, match.reasons, match.strong, match.updated_at = value, list(reasons), strong, now
                s.add(match)
        if became_strong and request.status in OPEN_STATUSES:
            result.new_strong.append((request.id, pid, event_id, request.event_id))


def _promote(uow: UnitOfWork, requests: dict[str, TracingRequest], result: PassResult, actor: Actor) -> None:
    """A `dicari` request with a new strong candidate becomes `kemungkinan_cocok` (not a change of what
    was reported: matched_version follows version, so it is not matched again for this)."""
    for request_id in dict.fromkeys(r for r, *_ in result.new_strong):
        request = requests[request_id]
        if request.status == "dicari":
            request.status = "kemungkinan_cocok"
            up_to_date = request.matched_version == request.version
            request.version += 1
            if up_to_date:
                request.matched_version = request.version
            request.updated_at = utcnow()
            uow.session.add(request)
            record_audit(uow, actor, "tracing.kemungkinan_cocok", "tracing_request", request.id, request.event_id,
                         detail="match=worker")


def match_pass(uow: UnitOfWork, now: datetime | None = None, recent: RecentlyMatched | None = None) -> PassResult:
    """One pass over changed requests and new registrations (see the module docstring). Idempotent: run
    twice, the second finds nothing new. With `recent`, the grace window's registrations it holds are not
    matched again (the caller remembers `result` in it once the pass committed)."""
    s = uow.session
    now = now or utcnow()
    result = PassResult()
    touched: dict[str, TracingRequest] = {}

    dirty = tracing_repo.dirty_requests(s, REQUESTS_PER_PASS)
    result.more = len(dirty) == REQUESTS_PER_PASS
    existing = tracing_repo.existing_matches(s, [r.id for r in dirty])
    for request in dirty:
        touched[request.id] = request
        if request.status in OPEN_STATUSES:
            _store(uow, request, _candidates_of(s, request, now), existing, now, result, complete=True)
            tracing_repo.replace_keys(s, request.id, request_hashes(request))
        else:
            tracing_repo.replace_keys(s, request.id, ())
        request.matched_version = request.version
        s.add(request)
    result.requests = len(dirty)

    cursor = tracing_repo.cursor(s)
    if cursor is None:  # everyone registered before is covered by the request side (it reads the whole register)
        tracing_repo.save_cursor(s, now - GRACE)
    else:
        # New persons by the (created_at, id) keyset, so a pass always moves on however many share an
        # instant; and the grace window behind the cursor once more, for registrations that committed
        # after a pass moved past their instant (matching them again changes nothing).
        at, person_id = cursor
        new = tracing_repo.persons_after(s, at, person_id, PERSONS_PER_PASS)
        late = tracing_repo.persons_created_between(s, at - GRACE, at, PERSONS_PER_PASS)
        if recent is not None:
            late = [(pid, c) for pid, c in late if pid not in recent.seen]
        result.more = result.more or len(new) == PERSONS_PER_PASS
        result.persons = len(new)
        ids = list(dict.fromkeys([pid for pid, _ in late] + [pid for pid, _ in new]))
        if ids:
            _match_persons(uow, ids, touched, now, result)
        result.matched = late + new
        if new:
            tracing_repo.save_cursor(s, new[-1][1], new[-1][0])
        result.horizon = (new[-1][1] if new else at) - GRACE
    _promote(uow, touched, result, SYSTEM)
    return result


def _match_persons(uow: UnitOfWork, person_ids: list[str], touched: dict[str, TracingRequest], now: datetime,
                   result: PassResult) -> None:
    """Score new registrations against the open requests filed under their keys."""
    s = uow.session
    if not tracing_repo.has_open_requests(s):
        return  # nothing to answer: the cursor moves on all the same
    rows = tracing_repo.person_rows(s, person_ids)
    keys_of = {r["person_id"]: key_hashes(_person_key(r)) for r in rows}
    filed = tracing_repo.requests_for_keys(s, set().union(*keys_of.values()) if keys_of else ())
    wanted: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        for request_id in dict.fromkeys(rid for k in keys_of[r["person_id"]] for rid in filed.get(k, ())):
            wanted.setdefault(request_id, []).append(r)
    if not wanted:
        return
    _place(s, [r for people in wanted.values() for r in people], now)
    requests = {r.id: r for r in tracing_repo.requests_by_ids(s, list(wanted))}
    existing = tracing_repo.existing_matches(s, list(requests))
    for request_id, people in wanted.items():
        request = touched.setdefault(request_id, requests[request_id])
        found = {}
        for row in people:
            scored = score(request, row)
            if scored is not None:
                found[row["person_id"]] = (*scored, row["event_id"])
        if found:
            _store(uow, request, found, existing, now, result, complete=False)


def work_waiting(session: Session) -> bool:
    """True when a pass would find something: a changed request, or a registration after the cursor while
    requests are open (the relay's check, every few seconds)."""
    if tracing_repo.dirty_requests(session, 1):
        return True
    if not tracing_repo.has_open_requests(session):
        return False
    cursor = tracing_repo.cursor(session)
    latest = tracing_repo.latest_person_created(session)
    return latest is not None and (cursor is None or latest > cursor[0]
                                   or bool(tracing_repo.persons_after(session, cursor[0], cursor[1], 1)))


def candidates(session: Session, actor: Actor, request: TracingRequest) -> list[TracingCandidate]:
    """The stored candidates of a request, best first, with where each person is now (a relawan sees
    candidates of their member events only)."""
    matches = tracing_repo.matches_of(session, request.id)
    if actor.is_relawan:
        members = matching_repo.member_events(session, actor.id)
        matches = [m for m in matches if m.event_id in members]
    rows = {r["person_id"]: r for r in tracing_repo.person_rows(session, [m.person_id for m in matches])}
    shelters = tracing_repo.open_shelters(session, list(rows), utcnow())
    out = []
    for m in matches:
        r = rows.get(m.person_id)
        if r is None:  # anonymised or merged since
            continue
        shelter = shelters.get(m.person_id)
        out.append(TracingCandidate(
            person_id=m.person_id, event_id=r["event_id"], event_name=r["event_name"], full_name=r["full_name"],
            sex=r["sex"], birth_date=r["birth_date"], age_years=r["age_years"], condition=r["condition"],
            shelter_id=shelter[0] if shelter else None, shelter_name=shelter[1] if shelter else None,
            score=m.score, reasons=list(m.reasons), strong=m.strong, first_seen_at=m.first_seen_at))
    return out
