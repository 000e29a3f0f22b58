"""What was delivered: item distributions and person services."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from shared.models.base import created_at, instant


class Distribution(SQLModel, table=True):
    """A quantity of one catalogue item delivered to a shelter, a person or a household."""

    __tablename__ = "distributions"
    __table_args__ = (
        Index("ix_distributions_event_created", "event_id", "created_at", "id"),
        Index("ix_distributions_event_item", "event_id", "item_code", "delivered_at"),
        Index("ix_distributions_event_source", "event_id", "source_location_id"),
    )
    id: str = Field(primary_key=True, max_length=36)
    event_id: str = Field(foreign_key="events.id", max_length=36)
    item_code: str = Field(foreign_key="items.code", max_length=60)
    quantity: float
    delivered_at: datetime = instant()
    shelter_id: str | None = Field(default=None, foreign_key="shelters.id", max_length=36)
    person_id: str | None = Field(default=None, foreign_key="persons.id", max_length=36)
    household_id: str | None = Field(default=None, foreign_key="households.id", max_length=36)
    notes: str | None = Field(default=None, max_length=1000)
    # The stock location it was handed out from (a gudang or shelter id); unset: the shelter's own
    # stock when `shelter_id` is given, else no stock (docs/rules.md, "Stock").
    source_location_id: str | None = Field(default=None, max_length=36)
    created_by: int | None = None
    created_at: datetime = created_at()


class Service(SQLModel, table=True):
    """A service given to a person: penanganan khusus or psychosocial support."""

    __tablename__ = "services"
    __table_args__ = (Index("ix_services_event_created", "event_id", "created_at", "id"),
                      Index("ix_services_person", "person_id"))
    id: str = Field(primary_key=True, max_length=36)
    event_id: str = Field(foreign_key="events.id", max_length=36)
    person_id: str = Field(foreign_key="persons.id", max_length=36)
    kind: str = Field(max_length=30)
    delivered_at: datetime = instant()
    notes: str | None = Field(default=None, max_length=1000)
    created_by: int | None = None
    created_at: datetime = created_at()


class DeliveryTotal(SQLModel, table=True):
    """Running sums of an event's distributions per item, recipient and local day, kept by the write path.

    The recompute reads these (tens of thousands of rows) instead of grouping every distribution
    (hundreds of thousands); it checks `rows` against the distributions table and falls back to the
    raw rows whenever they disagree. '' stands for "no shelter/person/household" (keys cannot be NULL).
    """

    __tablename__ = "delivery_totals"
    event_id: str = Field(primary_key=True, foreign_key="events.id", max_length=36)
    item_code: str = Field(primary_key=True, max_length=60)
    shelter_id: str = Field(primary_key=True, max_length=36)
    person_id: str = Field(primary_key=True, max_length=36)
    household_id: str = Field(primary_key=True, max_length=36)
    local_date: date = Field(primary_key=True)
    quantity: float
    rows: int
    last_delivered_at: datetime = instant()
    tz: str = Field(max_length=64)  # the zone whose local days these are
