"""Small builders for needs-engine tests: local (WIB) instants, profiles from the shipped JSON, one call."""

from __future__ import annotations

import copy
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from shared.needs.engine import compute_snapshot
from shared.needs.model import DeliveryIn, EventIn, PersonIn, Profile, ServiceIn, ShelterIn, StayIn
from shared.seed import load_json

TZ = ZoneInfo("Asia/Jakarta")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant on January `day`, 2026, local time in Jakarta (UTC+7)."""
    return datetime(2026, 1, day, hour, minute, tzinfo=TZ)


def profile_body(code: str = "spm_binjai") -> dict[str, Any]:
    """A deep copy of a shipped profile body, safe to edit like an admin would."""
    body = next(p for p in load_json("needs_profiles.json")["profiles"] if p["code"] == code)
    return copy.deepcopy(body)


def profile(code: str = "spm_binjai", body: dict[str, Any] | None = None) -> Profile:
    return Profile.from_body(code, 1, body if body is not None else profile_body(code))


def person(pid: str, household: str | None = None, *, sex: str = "L", condition: str = "selamat",
           vulns: Collection[str] = (), psy: bool = False, registered: datetime | None = None) -> PersonIn:
    return PersonIn(id=pid, household_id=household, sex=sex, condition=condition, vulnerabilities=frozenset(vulns),
                    needs_psychosocial=psy, registered_at=registered)


def shelter(sid: str, *, capacity: int = 100, area: float | None = None, toilets: int | None = None,
            kelurahan: str | None = None) -> ShelterIn:
    return ShelterIn(id=sid, name=f"Posko {sid}", capacity_persons=capacity, covered_area_m2=area, toilets=toilets,
                     kelurahan_code=kelurahan)


def stay(pid: str, sid: str, check_in: datetime, check_out: datetime | None = None) -> StayIn:
    return StayIn(person_id=pid, shelter_id=sid, check_in=check_in, check_out=check_out)


def mandiri(pid: str, check_in: datetime, check_out: datetime | None = None, kelurahan: str = "K1") -> StayIn:
    """A mandiri stay (no shelter: with relatives or elsewhere) in `kelurahan`."""
    return StayIn(person_id=pid, shelter_id=None, check_in=check_in, check_out=check_out, kelurahan_code=kelurahan)


def meals(sid: str, qty: float, when: datetime, item: str = "makanan_siap_saji") -> DeliveryIn:
    """A shelter-level delivery (meals by default)."""
    return DeliveryIn(item_code=item, quantity=qty, delivered_at=when, shelter_id=sid)


def to_person(pid: str, qty: float, when: datetime, item: str = "paket_sandang") -> DeliveryIn:
    return DeliveryIn(item_code=item, quantity=qty, delivered_at=when, person_id=pid)


def to_household(hid: str, qty: float, when: datetime, item: str = "paket_sandang") -> DeliveryIn:
    return DeliveryIn(item_code=item, quantity=qty, delivered_at=when, household_id=hid)


def service(pid: str, kind: str, when: datetime) -> ServiceIn:
    return ServiceIn(person_id=pid, kind=kind, delivered_at=when)


def run(persons: Sequence[PersonIn], stays: Sequence[StayIn] = (), deliveries: Sequence[DeliveryIn] = (),
        services: Sequence[ServiceIn] = (), *, shelters: Sequence[ShelterIn] | None = None,
        as_of: datetime | None = None, prof: Profile | None = None, target: float | None = 100.0) -> dict[str, Any]:
    """The snapshot; shelters default to every shelter id the stays name, in order of first mention."""
    if shelters is None:
        shelters = [shelter(sid) for sid in dict.fromkeys(s.shelter_id for s in stays) if sid is not None]
    prof = prof or profile()
    event = EventIn(id="ev-1", started_at=at(1, 0), standard_code=prof.code, data_seq=42, target_percent=target)
    return compute_snapshot(event, prof, persons, shelters, stays, deliveries, services,
                            as_of if as_of is not None else at(1, 23), TZ)


def need(snapshot: dict[str, Any], code: str) -> dict[str, Any]:
    return next(n for n in snapshot["needs"] if n["item_code"] == code)


def shelter_row(snapshot: dict[str, Any], sid: str) -> dict[str, Any]:
    return next(s for s in snapshot["shelters"] if s["id"] == sid)


def unmet(snapshot: dict[str, Any]) -> dict[str, list[str]]:
    return {u["person_id"]: u["missing"] for u in snapshot["unmet"]}


def service_counts(snapshot: dict[str, Any], code: str) -> tuple[int, int]:
    row = snapshot["indicator"]["services"][code]
    return row["eligible"], row["fulfilled"]
