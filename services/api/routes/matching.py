"""Find before register: GET /persons/matches (shared/services/matching.py)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from services.api.deps import CurrentActor, UnitOfWorkRoute, WriteUnit
from shared.domain.identity import nik_problem
from shared.errors import Invalid
from shared.schemas.matching import PersonMatch
from shared.services import matching as matching_service

router = APIRouter(tags=["people"], route_class=UnitOfWorkRoute)

MAX_MATCHES = 50


def _birth_date(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid(("query", "birth_date"), "tanggal lahir harus berbentuk YYYY-MM-DD (birth_date must be "
                                               "a date YYYY-MM-DD)") from None


@router.get("/persons/matches", response_model=list[PersonMatch],
            summary="Cari orang yang sudah terdaftar sebelum mendaftarkan (NIK atau nama); tercatat di audit")
def person_matches(
    actor: CurrentActor, uow: WriteUnit,
    nik: Annotated[str | None, Query(max_length=16, description="16 digits")] = None,
    name: Annotated[str | None, Query(max_length=200)] = None,
    birth_date: Annotated[str | None, Query(max_length=10, description="YYYY-MM-DD")] = None,
    sex: Annotated[str | None, Query(max_length=1, description="L or P")] = None,
    kelurahan_code: Annotated[str | None, Query(max_length=20)] = None,
    event_id: Annotated[str | None, Query(max_length=36, description="only this event")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_MATCHES, description="at most 50")] = 10,
) -> list[PersonMatch]:
    if nik:
        problem = nik_problem(nik)
        if problem:
            raise Invalid(("query", "nik"), problem)
    if sex and sex not in ("L", "P"):
        raise Invalid(("query", "sex"), "jenis kelamin harus L atau P (sex must be L or P)")
    query = matching_service.MatchQuery(nik=nik or None, name=name or None, birth_date=_birth_date(birth_date),
                                        sex=sex or None, kelurahan_code=kelurahan_code or None,
                                        event_id=event_id or None, limit=limit)
    return matching_service.find_matches(uow, actor, query)
