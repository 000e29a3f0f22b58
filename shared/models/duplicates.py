"""Duplicate review: likely duplicate pairs, the merges that resolved them, and the scan's progress."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from shared.models.base import created_at, instant, json_dict, json_list


class DuplicatePair(SQLModel, table=True):
    """Two persons that are likely one, found by the scan (services/worker/jobs.py:scan_duplicates).

    `person_a` < `person_b` (canonical order), so a pair is found again under the same row; `id` is
    derived from the two ids. `event_id` is person a's event, `other_event_id` person b's (equal for a
    pair inside one event). A dismissed pair is never reopened; a merged pair records the merge.
    """

    __tablename__ = "duplicate_pairs"
    __table_args__ = (
        Index("ix_duplicate_pairs_event_status", "event_id", "status", "created_at", "id"),
        Index("ix_duplicate_pairs_other_event", "other_event_id", "status"),
        Index("ix_duplicate_pairs_persons", "person_a", "person_b", unique=True),
    )
    id: str = Field(primary_key=True, max_length=36)
    event_id: str = Field(max_length=36)
    other_event_id: str = Field(max_length=36)
    person_a: str = Field(max_length=36)
    person_b: str = Field(max_length=36, index=True)
    score: float
    reasons: list[str] = json_list()
    status: str = Field(default="open", max_length=10)  # open | dismissed | merged
    created_at: datetime = created_at()
    updated_at: datetime = instant(default_now=True)
    decided_at: datetime | None = instant(nullable=True)
    decided_by: int | None = None
    decided_by_username: str | None = Field(default=None, max_length=64)


class PersonMerge(SQLModel, table=True):
    """One merge of a person into a survivor, with exactly what it moved and changed, so that
    `unmerge` can undo it (shared/services/merge.py)."""

    __tablename__ = "person_merges"
    __table_args__ = (Index("ix_person_merges_merged", "merged_id", "undone_at"),)
    id: str = Field(primary_key=True, max_length=36)
    event_id: str = Field(max_length=36, index=True)
    merged_id: str = Field(max_length=36)
    survivor_id: str = Field(max_length=36, index=True)
    pair_id: str | None = Field(default=None, max_length=36)
    # {"stays": [...], "distributions": [...], "services": [...], "closed_stays": {stay id: its check_out
    # before the merge}, "survivor_before": {field: value}, "survivor_after": {field: value}}
    moved: dict[str, Any] = json_dict()
    actor_id: int | None = None
    actor_username: str | None = Field(default=None, max_length=64)
    merged_at: datetime = created_at()
    undone_at: datetime | None = instant(nullable=True)
    undone_by: int | None = None


class DuplicateScan(SQLModel, table=True):
    """How far the duplicate scan of an event has got: the `data_seq` its last finished scan read."""

    __tablename__ = "duplicate_scans"
    event_id: str = Field(primary_key=True, max_length=36)
    data_seq: int = 0
    started_at: datetime | None = instant(nullable=True)
    finished_at: datetime | None = instant(nullable=True)
    pairs: int = 0
    seconds: float = 0.0
