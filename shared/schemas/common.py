"""Field types shared by every request and answer: instants, names, client ids, list envelopes.

Every text a request body carries goes through one of the text types below (`Name`, `Code`,
`ObjectId`, `ShortText`, `Notes`, or `one_line` / `multi_line` on a type of its own), which refuse
control characters (shared/domain/text.py); tests/shared/test_text_fields.py checks that no string
field of any request model is left without one. Every instant goes through `PastInstant` or `Instant`,
which refuse the edges of the calendar (shared/domain/plausibility.py) before converting to UTC.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, ClassVar, Generic, NamedTuple, TypeVar
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
from pydantic_core import PydanticCustomError

from shared.domain.plausibility import birth_date_problem, instant_problem
from shared.domain.text import control_character_problem

CLOCK_SKEW = timedelta(minutes=5)


def _in_range(value: datetime) -> None:
    problem = instant_problem(value)  # before any arithmetic: 9999-12-31T23:59-12:00 overflows in UTC
    if problem:
        raise ValueError(problem)


def _not_in_future(value: datetime) -> datetime:
    _in_range(value)
    if value - datetime.now(UTC) > CLOCK_SKEW:
        raise ValueError("waktu tidak boleh di masa depan (timestamp is more than 5 minutes in the future)")
    return value.astimezone(UTC)


def _as_utc(value: datetime) -> datetime:
    _in_range(value)
    return value.astimezone(UTC)


def _plausible_birth_date(value: date) -> date:
    problem = birth_date_problem(value, datetime.now(UTC).date())
    if problem:
        raise ValueError(problem)
    return value


def _one_line(value: str) -> str:
    problem = control_character_problem(value)
    if problem:
        raise PydanticCustomError("control_character", problem)
    return value


def _multi_line(value: str) -> str:
    problem = control_character_problem(value, multiline=True)
    if problem:
        raise PydanticCustomError("control_character", problem)
    return value


def json_text_problem(value: Any, path: str = "") -> str | None:
    """The first text inside free JSON (keys and values, at any depth) that carries a control character."""
    if isinstance(value, str):
        problem = control_character_problem(value, multiline=True)
        return f"{path or 'teks'}: {problem}" if problem else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and control_character_problem(key):
                return f"{path or 'kunci'}: {control_character_problem(key)}"
            found = json_text_problem(item, where)
            if found:
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = json_text_problem(item, f"{path}[{i}]")
            if found:
                return found
    return None


def _clean_json(value: Any) -> Any:
    problem = json_text_problem(value)
    if problem:
        raise PydanticCustomError("control_character", problem)
    return value


# Put on every text field of a request: single-line text (names, codes, ids) refuses every control
# character; free text that may span lines (addresses, notes) keeps TAB, LF and CR.
one_line = AfterValidator(_one_line)
multi_line = AfterValidator(_multi_line)
# Put on a field that takes free JSON (kept as given): every text in it, keys and values.
clean_json = AfterValidator(_clean_json)

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
# A birth date: not before 1900, not in the future (the rules against the event are in the write path).
PastDate = Annotated[date, AfterValidator(_plausible_birth_date)]
# A client-chosen id: a UUID, stored in its canonical form (which has no room for control characters).
ClientId = Annotated[str, BeforeValidator(_canonical_uuid), Field(min_length=36, max_length=36)]
ObjectId = Annotated[str, Field(min_length=1, max_length=36), one_line]
Name = Annotated[str, Field(min_length=1, max_length=200), one_line]
Code = Annotated[str, Field(min_length=1, max_length=60), one_line]
ShortText = Annotated[str, Field(max_length=500), multi_line]
Notes = Annotated[str, Field(max_length=1000), multi_line]
KelurahanCode = Annotated[str, Field(pattern=r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$", max_length=13)]
# The code of a catalogue item or a standards profile: lower-case letters, digits and _.
CatalogueCode = Annotated[str, Field(pattern=r"^[a-z0-9_]{2,60}$")]
UTCInstantOut = Annotated[datetime, PlainSerializer(lambda v: v.astimezone(UTC).isoformat(), return_type=str)]

class Input(BaseModel):
    """Every request body: unknown fields are refused so a typo never passes silently.

    `FINGERPRINT_OMIT_DEFAULTS` names fields added to a create request after phones could already have
    queued it, with their defaults: a replay's fingerprint (shared/services/idempotency.py) leaves such
    a field out while it holds that default, so a record queued before the field existed is still
    recognised as the same content. (Done there, not with a wrap serializer here: a wrap serializer
    slows every dump of the model, and a 1,000-record /sync batch dumps each record.)"""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    FINGERPRINT_OMIT_DEFAULTS: ClassVar[Mapping[str, Any]] = {}


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


T = TypeVar("T")


class Paging(NamedTuple):
    """A list request's window (the `limit` and `offset` query parameters)."""

    limit: int
    offset: int


class Page(BaseModel, Generic[T]):
    """The list envelope: items ordered by creation time, then id."""

    items: list[T]
    total: int
    limit: int
    offset: int

    @classmethod
    def of(cls, items: list[T], total: int, page: Paging) -> Page[T]:
        """The envelope of one window of a list."""
        return cls(items=items, total=total, limit=page.limit, offset=page.offset)


MAX_LIMIT = 500
# An offset past any table this system holds; larger ones (2**64) overflow SQLite's and PostgreSQL's
# 64-bit integers, so they are refused (422) rather than reaching the database.
MAX_OFFSET = 1_000_000_000
# The largest integer id a client may name (user ids are PostgreSQL `integer`): past it, 422 rather than
# an out-of-range error from the database.
MAX_DB_ID = 2**31 - 1
