"""Computed status: the latest snapshot of each event, and one kept per local day for reports."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Field, SQLModel

from shared.models.base import created_at, instant, json_dict, json_list


class LatestSnapshot(SQLModel, table=True):
    """The newest snapshot of an event (state, not a log: each one supersedes the last).

    Named after what it holds, not `EventStatus`, which is the vocabulary of an event's phase
    (siaga/tanggap/transisi darurat, selesai). The table keeps its name `event_status`: renaming it
    would cost a migration and buy nothing a reader of the code sees.
    """

    __tablename__ = "event_status"
    event_id: str = Field(primary_key=True, foreign_key="events.id", max_length=36)
    seq: int
    data_seq: int
    as_of: datetime = instant()
    body: dict[str, Any] = json_dict()
    unmet: list[dict[str, Any]] = json_list()  # person ids and missing services: never sent to the public
    computed_at: datetime = created_at()
    # Set when the unmet list is held as rows of `unmet_entries` (stored from the worker's incremental needs
    # state, by difference) and `unmet` is empty: the token of that writing, which the next writer compares
    # with its own to know whether a difference suffices. None: `unmet` is the list.
    unmet_token: str | None = Field(default=None, max_length=64)


class UnmetEntry(SQLModel, table=True):
    """One entry of an event's unmet list (its latest snapshot's), when `LatestSnapshot.unmet_token` is set.

    A large event's list is megabytes (4.4 MB at 50,000 persons) and a write changes a few entries: the
    worker writes the entries that changed, not the list (shared/repositories/status.py:save_unmet_rows)."""

    __tablename__ = "unmet_entries"
    event_id: str = Field(primary_key=True, foreign_key="events.id", max_length=36)
    person_id: str = Field(primary_key=True, max_length=36)
    entry: str  # the entry as JSON text, exactly as the list holds it


class DailySnapshot(SQLModel, table=True):
    """The last snapshot of a local day; reports draw their day-by-day series from these."""

    __tablename__ = "daily_snapshots"
    event_id: str = Field(primary_key=True, foreign_key="events.id", max_length=36)
    local_date: date = Field(primary_key=True)
    seq: int
    data_seq: int
    as_of: datetime = instant()
    body: dict[str, Any] = json_dict()
    computed_at: datetime = created_at()
