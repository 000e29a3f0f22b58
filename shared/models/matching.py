"""The blocking keys of each person, for find-before-register (shared/matching/blocking.py)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column
from sqlmodel import Field, SQLModel


class PersonMatchKey(SQLModel, table=True):
    """One blocking key of one person, as a 63-bit hash (no name, NIK or date is readable here).

    Written with the person in the same transaction (create, correction) and deleted when the person
    is anonymised; a candidate search is an index lookup of a handful of keys."""

    __tablename__ = "person_match_keys"
    # One B-tree only: no index by person, no foreign key and, on SQLite, no rowid. These rows are derived
    # data written a few per person on every registration, and an index of random person ids tripled
    # their cost. A correction or anonymisation deletes them by recomputing them from the old values
    # (shared/services/match_keys.py).
    __table_args__ = ({"sqlite_with_rowid": False},)
    match_key: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    person_id: str = Field(primary_key=True, max_length=36)
    event_id: str = Field(max_length=36)
