"""Find before register: who among the persons the caller may see is probably the one being typed in.

The search (`find_matches`) turns the typed NIK / name / birth date into blocking keys, reads the few
persons filed under them (shared/repositories/matching.py), scores each with shared/matching and
answers the best, across every event the caller may see. The keys are kept by the write paths
(shared/services/match_keys.py).

Who may search: like reading persons (pengamat 403); a relawan sees candidates of their member events
only. Every search is audited with the kinds of what was typed and the number of answers, never
the typed values (docs/personal-data.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from shared.db import UnitOfWork, utcnow
from shared.domain.access import Actor, can_see_names
from shared.errors import Forbidden, Invalid
from shared.matching import CANDIDATE_FLOOR, PersonKey, analyse, key_hashes, score_pair
from shared.repositories import matching as matching_repo
from shared.schemas.matching import PersonMatch
from shared.services.bookkeeping import record_audit
from shared.services.events import visible_event


@dataclass(frozen=True)
class MatchQuery:
    """What the volunteer typed (already validated as to form by the route)."""

    nik: str | None = None
    name: str | None = None
    birth_date: date | None = None
    sex: str | None = None
    kelurahan_code: str | None = None
    event_id: str | None = None
    limit: int = 10

    def as_key(self) -> PersonKey:
        return PersonKey("", self.event_id or "", self.name or "", self.birth_date, self.sex, self.nik,
                         self.kelurahan_code, None)


# ---- the search ----

def _query_kind(query: MatchQuery) -> str:
    """What the audit keeps of a search: which fields were given, never their values."""
    given = [name for name in ("nik", "name", "birth_date", "sex", "kelurahan_code", "event_id")
             if getattr(query, name) not in (None, "")]
    return "match=" + "+".join(given)


def _place(rows: list[dict[str, Any]], shelters: dict[str, tuple[str, str, str]]) -> None:
    for r in rows:
        found = shelters.get(r["person_id"])
        if found is not None:
            r["shelter_id"], r["shelter_name"] = found[0], found[1]
            r["kelurahan_code"] = r["kelurahan_code"] or found[2]


def find_matches(uow: UnitOfWork, actor: Actor, query: MatchQuery) -> list[PersonMatch]:
    """Ranked candidates for the typed person among the persons the caller may see (audited)."""
    if not can_see_names(actor):
        raise Forbidden("peran pengamat tidak dapat melihat data pribadi (observers see no personal data)")
    if not query.nik and not (query.name and query.name.strip()):
        raise Invalid(("query", "nik"), "isi NIK atau nama (name) untuk mencari (give nik or name to search)")
    if query.name and not query.nik and analyse(query.name).empty:
        raise Invalid(("query", "name"), "nama tidak berisi huruf yang dapat dicari (the name holds no searchable letters)")
    session = uow.session
    events: set[str] | None = None
    if query.event_id:
        visible_event(session, actor, query.event_id)
        events = {query.event_id}
    elif actor.is_relawan:
        events = matching_repo.member_events(session, actor.id)
    probe = query.as_key()
    ids = matching_repo.persons_with_nik(session, query.nik, events) if query.nik else []
    ids += [i for i in matching_repo.candidate_ids(session, key_hashes(probe), events) if i not in ids]
    rows = matching_repo.candidate_rows(session, ids)
    now = utcnow()
    # a person without a household's kelurahan is placed by their shelter's, before scoring
    _place(rows, matching_repo.open_shelters(session, [r["person_id"] for r in rows if not r["kelurahan_code"]], now))
    scored = []
    for r in rows:
        result = score_pair(probe, PersonKey(r["person_id"], r["event_id"], r["full_name"], r["birth_date"], r["sex"],
                                             r["nik"], r["kelurahan_code"], r["household_id"]))
        if result.score >= CANDIDATE_FLOOR:
            scored.append((result, r))
    scored.sort(key=lambda t: (-t[0].score, t[1]["full_name"], t[1]["person_id"]))
    scored = scored[:query.limit]
    _place([r for _, r in scored], matching_repo.open_shelters(
        session, [r["person_id"] for _, r in scored if r["shelter_id"] is None], now))
    answer = [PersonMatch(person_id=r["person_id"], event_id=r["event_id"], full_name=r["full_name"],
                          birth_date=r["birth_date"], sex=r["sex"], household_id=r["household_id"],
                          shelter_id=r["shelter_id"], shelter_name=r["shelter_name"],
                          kelurahan_code=r["kelurahan_code"], score=res.score, reasons=list(res.reasons))
              for res, r in scored]
    record_audit(uow, actor, "person.match", "event", query.event_id or "*", query.event_id,
                 detail=_query_kind(query), row_count=len(answer))
    return answer
