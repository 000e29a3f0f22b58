"""Queries behind the unmet list (docs/api.md, "The unmet list"): the columns of persons that tell
namesakes apart, their household heads, and the event's shelters. The reasons themselves come from the
stored snapshot (shared/needs/shortfalls.py), never recomputed here."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import NamedTuple

from sqlalchemy import select
from sqlmodel import Session, col

from shared.models import Person, Shelter
from shared.repositories.bulk import select_in


class PersonCard(NamedTuple):
    """What the unmet list shows of a person (no NIK, no health details beyond the snapshot's flags)."""

    id: str
    full_name: str
    sex: str
    birth_date: date | None
    age_years: int | None
    household_id: str | None


class ShelterCard(NamedTuple):
    id: str
    name: str
    kelurahan_code: str | None


def _card(row: tuple) -> PersonCard:
    pid, name, sex, birth, age, hid = row
    if isinstance(birth, str):  # SQLite through the driver
        birth = date.fromisoformat(birth[:10])
    return PersonCard(pid, name, sex, birth, age, hid)


def person_cards(session: Session, ids: Iterable[str]) -> dict[str, PersonCard]:
    """The cards of the persons named (a page of the list)."""
    return {r[0]: _card(r) for r in select_in(
        session, "SELECT id, full_name, sex, birth_date, age_years, household_id FROM persons WHERE id {values}", ids)}


def event_person_cards(session: Session, event_id: str) -> dict[str, PersonCard]:
    """The cards of every person of the event (sorting the whole list by name or age: one query)."""
    q = select(col(Person.id), col(Person.full_name), col(Person.sex), col(Person.birth_date), col(Person.age_years),
               col(Person.household_id)).where(col(Person.event_id) == event_id)
    return {r[0]: _card(tuple(r)) for r in session.execute(q)}


def household_heads(session: Session, ids: Iterable[str]) -> dict[str, str]:
    """Head's name per household id (of a page of the list)."""
    return {hid: name for hid, name in select_in(session, "SELECT id, head_name FROM households WHERE id {values}", ids)}


def event_shelters(session: Session, event_id: str) -> dict[str, ShelterCard]:
    return {r[0]: ShelterCard(*r) for r in session.execute(
        select(col(Shelter.id), col(Shelter.name), col(Shelter.kelurahan_code)).where(col(Shelter.event_id) == event_id))}


__all__ = ["PersonCard", "ShelterCard", "event_person_cards", "event_shelters", "household_heads",
           "person_cards"]
