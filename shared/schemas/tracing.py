"""Tracing requests (laporan orang dicari): requests, answers, candidates."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field, field_validator

from shared.domain.tracing import TracingKind, TracingStatus
from shared.domain.vocabulary import Sex
from shared.schemas.common import (
    ClientId,
    Input,
    KelurahanCode,
    Name,
    Notes,
    ObjectId,
    Output,
    PastDate,
    PastInstant,
    ShortText,
    UTCInstantOut,
    one_line,
)
from shared.schemas.people import AGE_YEARS, _check_nik, _only_one_age

# A phone number as people write it: digits, spaces, +, -, parentheses (never validated further: a
# neighbour's number or a posko's is just as good).
Phone = Field(default=None, max_length=30, pattern=r"^[0-9+()\- ]{3,30}$")


class Reporter(Input):
    """Who reported the person sought and where they can be reached (a registered person or household
    may be named too)."""

    name: Name | None = None
    relation: Annotated[str, one_line] | None = Field(default=None, max_length=60)
    phone: Annotated[str, one_line] | None = Phone
    contact: ShortText | None = None
    person_id: ObjectId | None = None
    household_id: ObjectId | None = None


class _SoughtFields(Input):
    full_name: Name | None = None
    sex: Sex | None = None
    birth_date: PastDate | None = None
    age_years: int | None = Field(default=None, json_schema_extra=AGE_YEARS)
    nik: str | None = Field(default=None, max_length=16)
    kelurahan_code: KelurahanCode | None = None
    address: ShortText | None = None
    last_seen_at: PastInstant | None = None
    last_seen_place: ShortText | None = None
    description: Notes | None = None

    _nik = field_validator("nik")(classmethod(lambda cls, v: _check_nik(v)))
    _one_age = field_validator("age_years")(classmethod(lambda cls, v, info: _only_one_age(v, info)))


class TracingCreate(_SoughtFields):
    """POST /tracing: the person sought (kind `orang`), or the family sought for a child (`keluarga`)."""

    id: ClientId | None = None
    event_id: ObjectId | None = None
    kind: TracingKind = "orang"
    subject_person_id: ObjectId | None = None
    reporter: Reporter = Field(default_factory=Reporter)


class TracingUpdate(_SoughtFields):
    """PATCH /tracing/{id} (If-Match): correct what is known, or move the status on.

    `ditemukan` needs `matched_person_id`; `dipertemukan` needs `reunited_at`, `reunited_place`,
    `reunited_by`; `ditutup` needs `closed_reason`. `condition` (with ditemukan) is what the found
    person's condition becomes (default selamat)."""

    reporter: Reporter | None = None
    status: TracingStatus | None = None
    matched_person_id: ObjectId | None = None
    condition: str | None = Field(default=None, pattern="^(selamat|luka|meninggal)$")
    reunited_at: PastInstant | None = None
    reunited_place: ShortText | None = None
    reunited_by: Name | None = None
    closed_reason: ShortText | None = None


class ReporterPublic(Output):
    name: str | None = None
    relation: str | None = None
    phone: str | None = None
    contact: str | None = None
    person_id: str | None = None
    household_id: str | None = None


class TracingPublic(Output):
    """A tracing request as roles that see personal data read it (relawan: phone and NIK masked)."""

    id: str
    event_id: str | None
    kind: str
    subject_person_id: str | None
    full_name: str | None
    sex: str | None
    birth_date: date | None
    age_years: int | None
    nik: str | None
    kelurahan_code: str | None
    address: str | None
    last_seen_at: UTCInstantOut | None
    last_seen_place: str | None
    description: str | None
    reporter: ReporterPublic
    status: str
    matched_person_id: str | None
    found_at: UTCInstantOut | None
    reunited_at: UTCInstantOut | None
    reunited_place: str | None
    reunited_by: str | None
    closed_reason: str | None
    closed_at: UTCInstantOut | None
    source: str
    pfif_record_id: str | None
    strong_matches: int = 0
    child_flags: list[str] = Field(default_factory=list, description="terpisah / tanpa_pendamping of the subject child")
    version: int
    created_at: UTCInstantOut
    updated_at: UTCInstantOut


class TracingCandidate(Output):
    """A registered person the matcher proposes for a request (shared/matching, as duplicate review)."""

    person_id: str
    event_id: str
    event_name: str | None
    full_name: str
    sex: str | None
    birth_date: date | None
    age_years: int | None
    condition: str | None
    shelter_id: str | None
    shelter_name: str | None
    score: float
    reasons: list[str]
    strong: bool
    first_seen_at: UTCInstantOut


class TracingCounts(Output):
    """Counts only (what pengamat may see), also the post-disaster report's tracing section."""

    dicari: int = 0
    kemungkinan_cocok: int = 0
    ditemukan: int = 0
    dipertemukan: int = 0
    ditutup: int = 0
    still_missing: int = 0
    children_separated: int = 0
    children_reunited: int = 0
