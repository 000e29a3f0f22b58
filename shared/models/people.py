"""Shelters, households, persons and their stays (check-in/check-out history)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index, false, text
from sqlmodel import Field, SQLModel

from shared.models.base import created_at, instant, json_list


class Shelter(SQLModel, table=True):
    """A place where displaced persons stay (tempat penampungan)."""

    __tablename__ = "shelters"
    __table_args__ = (Index("ix_shelters_event_created", "event_id", "created_at", "id"),)
    id: str = Field(primary_key=True, max_length=36)
    event_id: str = Field(foreign_key="events.id", max_length=36)
    name: str = Field(max_length=200)
    kelurahan_code: str = Field(max_length=20)
    kind: str = Field(max_length=30)
    capacity_persons: int
    covered_area_m2: float | None = None
    toilets: int | None = None
    lat: float | None = None
    lon: float | None = None
    opened_at: datetime = instant()
    closed_at: datetime | None = instant(nullable=True)
    version: int = 1
    created_by: int | None = None
    created_at: datetime = created_at()


class Household(SQLModel, table=True):
    """A family (kartu keluarga) registered in an event."""

    __tablename__ = "households"
    __table_args__ = (Index("ix_households_event_created", "event_id", "created_at", "id"),)
    id: str = Field(primary_key=True, max_length=36)
    event_id: str = Field(foreign_key="events.id", max_length=36)
    head_name: str = Field(max_length=200)
    kk_number: str | None = Field(default=None, max_length=16)
    kelurahan_code: str | None = Field(default=None, max_length=20)
    address: str | None = Field(default=None, max_length=500)
    created_by: int | None = None
    created_at: datetime = created_at()


class Person(SQLModel, table=True):
    """A person affected by the event. `vulnerabilities` holds only the explicit flags."""

    __tablename__ = "persons"
    __table_args__ = (
        Index("ix_persons_event_created", "event_id", "created_at", "id"),
        Index("ix_persons_event_nik", "event_id", "nik"),
        Index("ix_persons_household", "household_id"),
        # Only merged persons are looked up by it: no entry (and no insert) for everyone else.
        Index("ix_persons_merged_into", "merged_into", sqlite_where=text("merged_into IS NOT NULL"),
              postgresql_where=text("merged_into IS NOT NULL")),
    )
    id: str = Field(primary_key=True, max_length=36)
    event_id: str = Field(foreign_key="events.id", max_length=36)
    household_id: str | None = Field(default=None, foreign_key="households.id", max_length=36)
    full_name: str = Field(max_length=200)
    sex: str = Field(max_length=1)
    birth_date: date | None = None
    age_years: int | None = None
    nik: str | None = Field(default=None, max_length=16)
    vulnerabilities: list[str] = json_list()
    needs_psychosocial: bool = False
    condition: str = Field(default="selamat", max_length=20)
    # The NIK disagrees with the birth date, age or sex and the sender confirmed the record as it is
    # (shared/domain/plausibility.py `nik_mismatch`); false when they agree.
    nik_mismatch_confirmed: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    registered_at: datetime = instant()
    version: int = 1
    created_by: int | None = None
    created_at: datetime = created_at()
    # Set when the person was anonymised (on request or by retention): see shared/services/privacy.py.
    anonymised_at: datetime | None = instant(nullable=True)
    # Set when the person was merged into another (a duplicate): the row stays as an alias of the
    # survivor and is left out of every read (shared/repositories/people.py:is_active; shared/services/merge.py).
    merged_into: str | None = Field(default=None, max_length=36)


# docs/rules.md, "Mandiri stays": a shelter stay names its shelter, a mandiri stay its kelurahan.
STAY_KIND_CHECK = ("(kind = 'shelter' AND shelter_id IS NOT NULL) OR "
                   "(kind = 'mandiri' AND shelter_id IS NULL AND kelurahan_code IS NOT NULL)")


class Stay(SQLModel, table=True):
    """A person's stay, [check_in, check_out): in a shelter (`kind` shelter), or displaced outside the
    shelters, with relatives or elsewhere (`kind` mandiri: a kelurahan and an optional address, no
    shelter). `kelurahan_code` of a shelter stay is its shelter's, so people per kelurahan are one query."""

    __tablename__ = "stays"
    __table_args__ = (
        Index("ix_stays_person", "person_id", "check_out"),
        Index("ix_stays_event_shelter", "event_id", "shelter_id"),
        CheckConstraint(STAY_KIND_CHECK, name="ck_stays_kind_place"),
    )
    id: str = Field(primary_key=True, max_length=36)
    event_id: str = Field(foreign_key="events.id", max_length=36)
    person_id: str = Field(foreign_key="persons.id", max_length=36)
    shelter_id: str | None = Field(default=None, foreign_key="shelters.id", max_length=36)
    kind: str = Field(default="shelter", max_length=10, sa_column_kwargs={"server_default": "shelter"})  # | mandiri
    kelurahan_code: str | None = Field(default=None, max_length=20)
    address: str | None = Field(default=None, max_length=500)
    check_in: datetime = instant()
    check_out: datetime | None = instant(nullable=True)
    created_by: int | None = None
    created_at: datetime = created_at()


__all__ = ["Shelter", "Household", "Person", "Stay", "date", "json_list"]
