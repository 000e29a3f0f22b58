"""Field types shared by every request and answer: instants, names, client ids, list envelopes."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Generic, TypeVar
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
)

CLOCK_SKEW = timedelta(minutes=5)


def _not_in_future(value: datetime) -> datetime:
    if value - datetime.now(UTC) > CLOCK_SKEW:
        raise ValueError("waktu tidak boleh di masa depan (timestamp is more than 5 minutes in the future)")
    return value.astimezone(UTC)


def _as_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _date_not_in_future(value: date) -> date:
    if value > (datetime.now(UTC) + timedelta(days=1)).date():
        raise ValueError("tanggal tidak boleh di masa depan (date is in the future)")
    if value.year < 1890:
        raise ValueError("tanggal tidak masuk akal (date before 1890)")
    return value


_CANONICAL_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _canonical_uuid(value: object) -> object:
    if isinstance(value, str):
        if _CANONICAL_UUID.match(value):  # the common case, without building a UUID
            return value
        try:
            return str(UUID(value))
        except ValueError as exc:
            raise ValueError("id harus UUID (id must be a UUID)") from exc
    return value


# An instant a client reports (must carry an offset, not in the future beyond clock skew), kept in UTC.
PastInstant = Annotated[AwareDatetime, AfterValidator(_not_in_future)]
# An instant that may lie in the future (planning), kept in UTC.
Instant = Annotated[AwareDatetime, AfterValidator(_as_utc)]
PastDate = Annotated[date, AfterValidator(_date_not_in_future)]
ClientId = Annotated[str, BeforeValidator(_canonical_uuid), Field(min_length=36, max_length=36)]
ObjectId = Annotated[str, Field(min_length=1, max_length=36)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
ShortText = Annotated[str, Field(max_length=500)]
Notes = Annotated[str, Field(max_length=1000)]
KelurahanCode = Annotated[str, Field(pattern=r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$", max_length=13)]
UTCInstantOut = Annotated[datetime, PlainSerializer(lambda v: v.astimezone(UTC).isoformat(), return_type=str)]

class Input(BaseModel):
    """Every request body: unknown fields are refused so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """The list envelope: items ordered by creation time, then id."""

    items: list[T]
    total: int
    limit: int
    offset: int

