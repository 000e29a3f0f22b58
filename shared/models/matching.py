"""The blocking keys of each person, for find-before-register (shared/matching/blocking.py)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer
from sqlmodel import Field, SQLModel


class PersonMatchKey(SQLModel, table=True):
    """One blocking key of one person, as a 63-bit hash (no name, NIK or date is readable here).

    Written by the worker for new persons (from `person_key_backlog`, below), in the transaction of a
    correction, and deleted when the person is anonymised; a candidate search is an index lookup of a
    handful of keys."""

    __tablename__ = "person_match_keys"
    # One B-tree only: no index by person, no foreign key and, on SQLite, no rowid. These rows are derived
    # data written a few per person on every registration, and an index of random person ids tripled
    # their cost. A correction or anonymisation deletes them by recomputing them from the old values
    # (shared/services/match_keys.py).
    __table_args__ = ({"sqlite_with_rowid": False},)
    match_key: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    person_id: str = Field(primary_key=True, max_length=36)
    event_id: str = Field(max_length=36)


class PersonKeyBacklog(SQLModel, table=True):
    """A person stored whose match keys are not written yet: appended in the write transaction of every
    registration, drained by the worker (shared/services/match_keys.py:drain_backlog).

    Why not the keys themselves: the keys are random 63-bit hashes, so each is an insert at a random
    place of a large B-tree (about 25 µs a row on SQLite at 100,000 persons, 2–3 rows a person) — a
    third of a batch sync's cost. An append here costs about 2 µs. Until the drain, a search reads the
    backlog too (it is small: what the last few seconds registered), so a person is findable the moment
    their registration commits."""

    __tablename__ = "person_key_backlog"
    seq: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    person_id: str = Field(max_length=36)
    event_id: str = Field(max_length=36)
