"""Duplicate review requests and answers: the pair queue, merge and unmerge."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from shared.schemas.common import Input, ObjectId, Output, UTCInstantOut
from shared.schemas.people import PersonPublic, PersonUpdate


class MergeRequest(Input):
    """POST /persons/{id}/merge: the person is merged into `into` (the survivor); `fields` are the
    survivor's values the caller chose from the two records (validated like PATCH /persons/{id})."""

    into: ObjectId
    fields: PersonUpdate = Field(default_factory=PersonUpdate)


class Moved(Output):
    """How many rows a merge moves (or moved) from the merged person to the survivor."""

    stays: int = 0
    distributions: int = 0
    services: int = 0


class MergePublic(Output):
    """A merge (or its undoing): who was merged into whom, what moved, and both persons now."""

    merge_id: str
    event_id: str
    merged_id: str
    survivor_id: str
    pair_id: str | None
    moved: Moved
    closed_stays: int  # open stays the merge closed (the survivor keeps one open stay)
    merged_at: UTCInstantOut
    undone_at: UTCInstantOut | None
    survivor: PersonPublic
    merged: PersonPublic | None = None  # the person again, after an unmerge


class PairSide(Output):
    """One person of a pair, for the side-by-side view (NIK masked for relawan)."""

    person: PersonPublic
    shelter_name: str | None
    household_head: str | None
    kelurahan_code: str | None
    moves: Moved  # what a merge of this person into the other would move


class DuplicatePairPublic(Output):
    """A likely duplicate pair; `a` and `b` in canonical order (by id)."""

    id: str
    event_id: str
    other_event_id: str
    score: float
    reasons: list[str]
    status: str  # open | dismissed | merged
    created_at: UTCInstantOut
    updated_at: UTCInstantOut
    decided_at: UTCInstantOut | None
    decided_by: str | None
    differing: list[str]  # the person fields whose values differ
    a: PairSide
    b: PairSide


class ScanPublic(Output):
    """What one duplicate scan of an event did."""

    event_id: str
    data_seq: int
    persons: int
    found: int
    inserted: int
    updated: int
    removed: int
    seconds: float
    finished_at: datetime | None = None
