"""A disaster event: the scope of every record in the field."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from shared.models.base import created_at, instant, json_list


class Event(SQLModel, table=True):
    """A disaster event. `data_seq` counts every write inside it; `version` counts PATCHes of it."""

    __tablename__ = "events"
    id: str = Field(primary_key=True, max_length=36)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=40)
    category: str = Field(max_length=20)
    status: str = Field(max_length=30, index=True)
    started_at: datetime = instant()
    ended_at: datetime | None = instant(nullable=True)
    kelurahan_codes: list[str] = json_list()
    standard_code: str = Field(max_length=60)
    standard_version: int
    data_seq: int = 0
    version: int = 1
    created_by: int | None = None
    created_at: datetime = created_at()
