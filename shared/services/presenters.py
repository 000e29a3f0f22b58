"""Turn stored rows into answers, applying what the caller's role may see."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from shared.domain.identity import mask_nik
from shared.domain.plausibility import MONTHS_SHOWN_UNDER, months_old
from shared.domain.vulnerability import age_at, effective_vulnerabilities
from shared.models import Person
from shared.schemas.people import DistributionPublic, PersonPublic


def local_date(instant: datetime, tz: ZoneInfo) -> date:
    return instant.astimezone(tz).date()


def person_public(person: Person | Any, event_started_at: datetime, open_shelter: str | None, has_stay: bool,
                  open_kind: str | None, tz: ZoneInfo, *, mask: bool) -> PersonPublic:
    """A person answer: effective vulnerabilities, derived displacement (an open stay of either kind,
    shelter or mandiri, is mengungsi), NIK masked when asked. The arguments before `tz` are a row of
    shared/repositories/people.py (`get_person_row`)."""
    start = local_date(event_started_at, tz)
    return PersonPublic(
        id=person.id, event_id=person.event_id, household_id=person.household_id, full_name=person.full_name,
        sex=person.sex, birth_date=person.birth_date, age_years=person.age_years,
        age=age_at(person.birth_date, person.age_years, start),
        age_months=_age_months(person.birth_date, start),
        nik=mask_nik(person.nik) if mask else person.nik,
        vulnerabilities=effective_vulnerabilities(person.vulnerabilities, person.birth_date, person.age_years, start),
        needs_psychosocial=person.needs_psychosocial, condition=person.condition,
        nik_mismatch_confirmed=bool(getattr(person, "nik_mismatch_confirmed", False)),
        registered_at=person.registered_at,
        displacement="mengungsi" if open_shelter or open_kind else ("kembali" if has_stay else "terdampak"),
        shelter_id=open_shelter, stay_kind=open_kind, version=person.version, created_at=person.created_at,
    )


def _age_months(birth_date: date | None, event_start: date) -> int | None:
    """Ages under 2 are given in months too (a 3-month-old is not "0 years" on a phone screen)."""
    if birth_date is None:
        return None
    months = months_old(birth_date, event_start)
    return months if months < MONTHS_SHOWN_UNDER else None


def distribution_public(row: Any, *, names: bool) -> DistributionPublic:
    """A distribution answer. Without `names` (pengamat) it says what was given where and when, but
    not to whom: `person_id`, `household_id` and the free-text `notes` are null (docs/api.md, "Roles": observers
    see no personal data; the field names stay, so the contract does not change)."""
    out = DistributionPublic.model_validate(row)
    if names:
        return out
    return out.model_copy(update={"person_id": None, "household_id": None, "notes": None})
