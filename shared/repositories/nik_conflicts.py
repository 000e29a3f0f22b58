"""What a NIK conflict answer says about the person already registered: one small read, only when a
conflict happened (never on the hot path of a batch)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from shared.models import Event, Household, Person, Shelter
from shared.repositories.people import open_stays


def existing_person(session: Session, person_id: str, now: datetime) -> dict[str, Any] | None:
    """The person's id, name, household (id, head's name), open shelter (id, name) and event (id, name)."""
    person = session.get(Person, person_id)
    if person is None:
        return None
    stay = open_stays(session, [person_id], now).get(person_id)
    return {"person_id": person.id, "full_name": person.full_name, "event_id": person.event_id,
            "event_name": event_name(session, person.event_id), "household_id": person.household_id,
            "household_head_name": household_head(session, person.household_id) if person.household_id else None,
            "shelter_id": stay[1] if stay else None, "shelter_name": shelter_name(session, stay[1]) if stay else None}


def household_head(session: Session, household_id: str) -> str | None:
    household = session.get(Household, household_id)
    return household.head_name if household else None


def shelter_name(session: Session, shelter_id: str | None) -> str | None:
    """The shelter's name; None for a mandiri stay (no shelter)."""
    if shelter_id is None:
        return None
    shelter = session.get(Shelter, shelter_id)
    return shelter.name if shelter else None


def event_name(session: Session, event_id: str) -> str | None:
    event = session.get(Event, event_id)
    return event.name if event else None
