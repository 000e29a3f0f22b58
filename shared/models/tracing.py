"""Tracing requests (laporan orang dicari), their match candidates and blocking keys."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from shared.models.base import created_at as now_column
from shared.models.base import instant, json_list


class TracingRequest(SQLModel, table=True):
    """A report of a person sought (or, `kind` keluarga, the family sought for a separated child)."""

    __tablename__ = "tracing_requests"
    __table_args__ = (
        Index("ix_tracing_created", "created_at", "id"),
        Index("ix_tracing_status", "status"),
        Index("ix_tracing_event", "event_id"),
        Index("ix_tracing_subject", "subject_person_id"),
        UniqueConstraint("pfif_record_id", name="uq_tracing_pfif_record"),
    )
    id: str = Field(primary_key=True, max_length=36)
    event_id: str | None = Field(default=None, foreign_key="events.id", max_length=36)
    kind: str = Field(default="orang", max_length=10)
    # The registered person this request is about: the one marked hilang, or the separated child.
    subject_person_id: str | None = Field(default=None, max_length=36)
    full_name: str | None = Field(default=None, max_length=200)
    sex: str | None = Field(default=None, max_length=1)
    birth_date: date | None = None
    age_years: int | None = None
    nik: str | None = Field(default=None, max_length=16)
    kelurahan_code: str | None = Field(default=None, max_length=20)
    address: str | None = Field(default=None, max_length=500)
    last_seen_at: datetime | None = instant(nullable=True)
    last_seen_place: str | None = Field(default=None, max_length=500)
    description: str | None = Field(default=None, max_length=1000)
    reporter_name: str | None = Field(default=None, max_length=200)
    reporter_relation: str | None = Field(default=None, max_length=60)
    reporter_phone: str | None = Field(default=None, max_length=30)
    reporter_contact: str | None = Field(default=None, max_length=500)
    reporter_person_id: str | None = Field(default=None, max_length=36)
    reporter_household_id: str | None = Field(default=None, max_length=36)
    status: str = Field(default="dicari", max_length=20)
    matched_person_id: str | None = Field(default=None, max_length=36)
    found_at: datetime | None = instant(nullable=True)
    reunited_at: datetime | None = instant(nullable=True)
    reunited_place: str | None = Field(default=None, max_length=500)
    reunited_by: str | None = Field(default=None, max_length=200)
    closed_reason: str | None = Field(default=None, max_length=500)
    closed_at: datetime | None = instant(nullable=True)
    source: str = Field(default="posko", max_length=10)  # posko | pfif
    pfif_record_id: str | None = Field(default=None, max_length=500)
    version: int = 1
    # The `version` the worker last matched: less than `version` means "match me again".
    matched_version: int = 0
    created_by: int | None = None
    created_at: datetime = now_column()
    updated_at: datetime = now_column()


class TracingMatch(SQLModel, table=True):
    """A registered person the matcher proposes for a request, with the score and its reasons."""

    __tablename__ = "tracing_matches"
    request_id: str = Field(primary_key=True, max_length=36)
    person_id: str = Field(primary_key=True, max_length=36)
    event_id: str = Field(max_length=36)
    score: float
    reasons: list[str] = json_list()
    strong: bool = False
    first_seen_at: datetime = now_column()
    updated_at: datetime = now_column()


class TracingMatchKey(SQLModel, table=True):
    """One blocking key (63-bit hash, shared/matching/blocking.py) of one open request: a new registration
    looks its own keys up here to find the requests it may answer."""

    __tablename__ = "tracing_match_keys"
    __table_args__ = ({"sqlite_with_rowid": False},)
    match_key: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    request_id: str = Field(primary_key=True, max_length=36)


class TracingCursor(SQLModel, table=True):
    """How far the worker has matched new registrations against open requests (persons by creation)."""

    __tablename__ = "tracing_cursor"
    name: str = Field(primary_key=True, max_length=30)
    created_at: datetime = instant()
    # the last person matched at `created_at`: persons are read by (created_at, id), so a pass always moves
    # on, however many registrations share one instant (a /sync batch shares its "now")
    person_id: str = Field(default="", max_length=36)
