"""The blocking keys of each person, for find-before-register (shared/matching/blocking.py)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index
from sqlmodel import Field, SQLModel


class PersonMatchKey(SQLModel, table=True):
    """One blocking key of one person, as a 63-bit hash (no name, NIK or date is readable here).

    Written with the person in the same transaction (create, correction) and deleted when the person
    is anonymised; a candidate search is an index lookup of a handful of keys."""

    __tablename__ = "person_match_keys"
    __table_args__ = (Index("ix_person_match_keys_person", "person_id"),)
    match_key: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    person_id: str = Field(primary_key=True, foreign_key="persons.id", max_length=36)
    event_id: str = Field(max_length=36)
