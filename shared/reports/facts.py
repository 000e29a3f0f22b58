"""Facts about one event that the post-disaster report and the HXL exports share, from the rows of
shared/repositories/reports.py.

The needs engine (shared/needs/engine.py) gives the headline figures; these helpers add what the
engine does not keep per person or per shelter: age groups, the kelurahan of a person's household,
where each person stands at `as_of`, and occupancy over time (peak, occupants at any instant).
They follow the engine's rules (docs/rules.md, "Stays and presence at meal times"): a stay is
`[check_in, check_out)`; stays that start after `as_of` are ignored; a check-out after `as_of`
counts as still open; missing (hilang) and dead (meninggal) persons are neither displaced, returned
nor affected.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from shared.domain.vulnerability import age_at
from shared.needs.model import seconds
from shared.repositories import reports as reports_repo
from shared.repositories.reports import PersonRow, RegionRow

AGE_GROUPS = ("balita", "anak", "dewasa", "lansia", "tidak_diketahui")
# Where a person stands at as_of: the engine's people counts, per person.
STANDINGS = ("displaced_now", "returned", "affected", "missing", "dead")
UNKNOWN_AREA = ""  # kelurahan code of persons without a household (or a household without a kelurahan)


def age_group(age: int | None) -> str:
    """0–4 balita, 5–17 anak, 18–59 dewasa, 60+ lansia (docs/rules.md, "Reports")."""
    if age is None:
        return "tidak_diketahui"
    if age < 5:
        return "balita"
    if age < 18:
        return "anak"
    if age < 60:
        return "dewasa"
    return "lansia"


# ---------------------------------------------------------------- regions

@dataclass(frozen=True)
class Regions:
    """Names and parents of region codes (kelurahan → kecamatan → kabupaten/kota)."""

    names: dict[str, str]
    parents: dict[str, str | None]

    def name(self, code: str | None) -> str:
        return self.names.get(code or "", "")

    def parent(self, code: str | None) -> str:
        return self.parents.get(code or "") or ""

    def kelurahan(self, code: str | None) -> dict[str, str]:
        """Code and name of a kelurahan and of its kecamatan and kota."""
        kec = self.parent(code)
        kota = self.parent(kec)
        return {"kelurahan_code": code or "", "kelurahan_name": self.name(code), "kecamatan_code": kec,
                "kecamatan_name": self.name(kec), "kota_code": kota, "kota_name": self.name(kota)}


def regions_of(rows: list[RegionRow]) -> Regions:
    return Regions(names={c: n for c, n, _ in rows}, parents={c: p for c, _, p in rows})


def load_regions(session: Session) -> Regions:
    return regions_of(reports_repo.regions(session))


# ---------------------------------------------------------------- persons

@dataclass
class PersonFacts:
    """The columns of a person that reports group by (no NIK; the name only when asked for)."""

    id: str
    sex: str
    condition: str
    household_id: str | None
    kelurahan_code: str
    age_group: str
    psychosocial: bool
    name: str | None = None
    age: int | None = None  # completed years at the event's start (local date)


def person_facts(rows: Iterable[PersonRow], household_area: Mapping[str, str | None],
                 start_local: date) -> list[PersonFacts]:
    """Every person of the event, with the kelurahan of their household and their age group at the
    event's start (local date)."""
    out = []
    for r in rows:
        age = age_at(r.birth_date, r.age_years, start_local)
        out.append(PersonFacts(
            id=r.id, sex=r.sex, condition=r.condition, household_id=r.household_id,
            kelurahan_code=(household_area.get(r.household_id) if r.household_id else None) or UNKNOWN_AREA,
            age_group=age_group(age), psychosocial=bool(r.needs_psychosocial), name=r.full_name, age=age))
    return out


def load_person_facts(session: Session, event_id: str, start_local: date, *, with_names: bool) -> list[PersonFacts]:
    """`person_facts` of the event's persons as stored."""
    area = reports_repo.household_areas(session, event_id)
    return person_facts(reports_repo.persons(session, event_id, with_names=with_names), area, start_local)


# ---------------------------------------------------------------- stays and occupancy

@dataclass
class ShelterOccupancy:
    """Occupancy of one shelter over time, from its stays merged per person."""

    changes: list[float] = field(default_factory=list)  # instants where the count changes, ascending
    counts: list[int] = field(default_factory=list)  # the count from changes[i] on
    peak: int = 0
    peak_at: float | None = None
    served: int = 0  # distinct persons who stayed at some time up to as_of
    occupants: set[str] = field(default_factory=set)  # persons with an open stay at as_of

    def at(self, ts: float) -> int:
        """Distinct persons present at instant `ts` (check_in ≤ ts < check_out)."""
        i = bisect_right(self.changes, ts) - 1
        return self.counts[i] if i >= 0 else 0


def occupancy(stays: Iterable[Any], as_of: datetime) -> dict[str, ShelterOccupancy]:
    """Per shelter: the count of distinct persons present over time up to `as_of`, its peak (and when it
    was first reached), persons served, and the occupants at `as_of` (open stays)."""
    as_of_ts = seconds(as_of)
    per_pair: dict[tuple[str, str], list[tuple[float, float | None]]] = {}
    result: dict[str, ShelterOccupancy] = {}
    for st in stays:
        ci = seconds(st.check_in)
        if ci > as_of_ts:
            continue
        if st.shelter_id is None:
            continue  # a mandiri stay: in no shelter
        co = None if st.check_out is None else seconds(st.check_out)
        if co is not None and co > as_of_ts:
            co = None
        per_pair.setdefault((st.shelter_id, st.person_id), []).append((ci, co))
    deltas: dict[str, list[tuple[float, int]]] = {}
    for (sid, pid), spans in per_pair.items():
        occ = result.get(sid)
        if occ is None:
            occ = result[sid] = ShelterOccupancy()
        occ.served += 1
        out = deltas.setdefault(sid, [])
        spans.sort(key=lambda s: s[0])
        cur_lo, cur_hi = spans[0]
        merged: list[tuple[float, float | None]] = []
        for lo, hi in spans[1:]:
            if cur_hi is None or lo <= cur_hi:
                if cur_hi is not None and (hi is None or hi > cur_hi):
                    cur_hi = hi
            else:
                merged.append((cur_lo, cur_hi))
                cur_lo, cur_hi = lo, hi
        merged.append((cur_lo, cur_hi))
        for lo, hi in merged:
            if hi is not None and hi <= lo:
                continue  # an empty stay: present at no instant
            out.append((lo, 1))
            if hi is None:
                occ.occupants.add(pid)
            else:
                out.append((hi, -1))
    for sid, events in deltas.items():
        occ = result[sid]
        events.sort()  # at one instant, leaving (-1) sorts before arriving (+1): [check_in, check_out)
        count = 0
        for ts, delta in events:
            count += delta
            if occ.changes and occ.changes[-1] == ts:
                occ.counts[-1] = count
            else:
                occ.changes.append(ts)
                occ.counts.append(count)
            if count > occ.peak:
                occ.peak, occ.peak_at = count, ts
    return result


@dataclass
class StayingNow:
    """Where the persons displaced at `as_of` stay (docs/rules.md, "Mandiri stays"): per person, the
    kelurahan of their open shelter stays and of their open mandiri stays (a person with open stays of
    both kinds is in both)."""

    in_shelters: dict[str, set[str]] = field(default_factory=dict)
    mandiri: dict[str, set[str]] = field(default_factory=dict)


def staying_now(stays: Iterable[Any], shelter_areas: Mapping[str, str], as_of: datetime) -> StayingNow:
    """`StayingNow` from the stays (shelter stays placed in their shelter's kelurahan, mandiri stays in
    their own)."""
    as_of_ts = seconds(as_of)
    out = StayingNow()
    for st in stays:
        if seconds(st.check_in) > as_of_ts or (st.check_out is not None and seconds(st.check_out) <= as_of_ts):
            continue
        if st.shelter_id is None:
            out.mandiri.setdefault(st.person_id, set()).add(st.kelurahan_code or UNKNOWN_AREA)
        else:
            out.in_shelters.setdefault(st.person_id, set()).add(shelter_areas.get(st.shelter_id) or UNKNOWN_AREA)
    return out


def standings(persons: Iterable[PersonFacts], stays: Iterable[Any], as_of: datetime) -> dict[str, str]:
    """Where each person stands at `as_of`: displaced_now (a stay open), returned (stays, none open),
    affected (no stay), missing or dead (condition hilang or meninggal, whatever their stays)."""
    as_of_ts = seconds(as_of)
    has_stay: set[str] = set()
    open_now: set[str] = set()
    for st in stays:
        if seconds(st.check_in) > as_of_ts:
            continue
        has_stay.add(st.person_id)
        if st.check_out is None or seconds(st.check_out) > as_of_ts:
            open_now.add(st.person_id)
    out = {}
    for p in persons:
        if p.condition == "hilang":
            out[p.id] = "missing"
        elif p.condition == "meninggal":
            out[p.id] = "dead"
        elif p.id in open_now:
            out[p.id] = "displaced_now"
        elif p.id in has_stay:
            out[p.id] = "returned"
        else:
            out[p.id] = "affected"
    return out

