"""Event requests and answers."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, field_validator

from shared.domain.vocabulary import EventKind, EventStatus
from shared.schemas.common import (
    MAX_DB_ID,
    ClientId,
    Code,
    Input,
    Instant,
    KelurahanCode,
    Name,
    Output,
    PastInstant,
    UTCInstantOut,
)


class EventCreate(Input):
    """POST /events (admin, posko)."""

    id: ClientId | None = None
    name: Name
    kind: EventKind
    started_at: PastInstant
    kelurahan_codes: list[KelurahanCode] = Field(min_length=1, max_length=100)
    status: EventStatus = "tanggap_darurat"
    standard_code: Code | None = None

    @field_validator("status")
    @classmethod
    def _not_closed(cls, v: str) -> str:
        if v == "selesai":
            raise ValueError("kejadian baru tidak boleh berstatus selesai (a new event cannot start as selesai)")
        return v

    @field_validator("kelurahan_codes")
    @classmethod
    def _unique(cls, v: list[str]) -> list[str]:
        return list(dict.fromkeys(v))


class EventUpdate(Input):
    """PATCH /events/{id}: kind and started_at are fixed; standard_code is admin-only."""

    name: Name | None = None
    status: EventStatus | None = None
    kelurahan_codes: list[KelurahanCode] | None = Field(default=None, min_length=1, max_length=100)
    ended_at: Instant | None = None
    standard_code: Code | None = None


class EventPublic(Output):
    """An event as every role that may see it receives it."""

    id: str
    name: str
    kind: str
    category: str
    status: str
    started_at: UTCInstantOut
    ended_at: UTCInstantOut | None
    kelurahan_codes: list[str]
    standard_code: str
    standard_version: int
    data_seq: int
    version: int
    created_at: UTCInstantOut


class MemberAdd(Input):
    user_id: int = Field(ge=1, le=MAX_DB_ID)


class MemberPublic(Output):
    event_id: str
    user_id: int
    username: str
    full_name: str
    role: str
    created_at: UTCInstantOut


__all__ = ["EventCreate", "EventUpdate", "EventPublic", "MemberAdd", "MemberPublic", "datetime"]
