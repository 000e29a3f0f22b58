"""Shelter, household, person and stay requests and answers."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, ClassVar, Literal

from pydantic import Field, ValidationInfo, field_validator
from pydantic.json_schema import JsonDict

from shared.domain.identity import kk_problem, nik_problem
from shared.domain.plausibility import MAX_AGE_YEARS, age_years_problem
from shared.domain.vocabulary import Condition, ServiceKind, Sex, ShelterKind, Vulnerability
from shared.domain.vulnerability import explicit_only
from shared.schemas.common import (
    ClientId,
    Code,
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
)


def _check_nik(v: str | None) -> str | None:
    if v is None or v == "":
        return None
    problem = nik_problem(v)
    if problem:
        raise ValueError(problem)
    return v


def _only_one_age(v: int | None, info: ValidationInfo) -> int | None:
    """Checked on age_years (declared after birth_date) so the 422 names a field."""
    if v is None:
        return v
    problem = age_years_problem(v)
    if problem:
        raise ValueError(problem)
    if info.data.get("birth_date") is not None:
        raise ValueError("isi salah satu: birth_date atau age_years (give birth_date or age_years, not both)")
    return v


# 0–120, checked by `_only_one_age` with an Indonesian message; the bounds are shown in the schema.
AGE_YEARS: JsonDict = {"minimum": 0, "maximum": MAX_AGE_YEARS}


NIK_MISMATCH_CONFIRMED = ("true keeps a record whose birth date, age or sex disagrees with what the NIK encodes "
                          "(otherwise 422 naming the field); stored on the person while they disagree")


def _check_kk(v: str | None) -> str | None:
    if v is None or v == "":
        return None
    problem = kk_problem(v)
    if problem:
        raise ValueError(problem)
    return v


class ShelterCreate(Input):
    """POST /events/{id}/shelters."""

    id: ClientId | None = None
    name: Name
    kelurahan_code: KelurahanCode
    kind: ShelterKind
    capacity_persons: int = Field(ge=1, le=100_000)
    covered_area_m2: float | None = Field(default=None, gt=0, le=1_000_000)
    toilets: int | None = Field(default=None, ge=0, le=10_000)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    opened_at: PastInstant | None = None


class ShelterUpdate(Input):
    """PATCH /events/{id}/shelters/{sid}; `closed_at` closes it (no check-ins after)."""

    name: Name | None = None
    kelurahan_code: KelurahanCode | None = None
    kind: ShelterKind | None = None
    capacity_persons: int | None = Field(default=None, ge=1, le=100_000)
    covered_area_m2: float | None = Field(default=None, gt=0, le=1_000_000)
    toilets: int | None = Field(default=None, ge=0, le=10_000)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    closed_at: PastInstant | None = None


class ShelterPublic(Output):
    id: str
    event_id: str
    name: str
    kelurahan_code: str
    kind: str
    capacity_persons: int
    covered_area_m2: float | None
    toilets: int | None
    lat: float | None
    lon: float | None
    opened_at: UTCInstantOut
    closed_at: UTCInstantOut | None
    occupants: int = 0
    version: int
    created_at: UTCInstantOut


class HouseholdCreate(Input):
    """POST /events/{id}/households."""

    id: ClientId | None = None
    head_name: Name
    kk_number: str | None = Field(default=None, max_length=16)
    kelurahan_code: KelurahanCode | None = None
    address: ShortText | None = None

    _kk = field_validator("kk_number")(classmethod(lambda cls, v: _check_kk(v)))


class HouseholdPublic(Output):
    id: str
    event_id: str
    head_name: str
    kk_number: str | None
    kelurahan_code: str | None
    address: str | None
    members: int = 0
    created_at: UTCInstantOut


class _PersonFields(Input):
    full_name: Name
    sex: Sex
    birth_date: PastDate | None = None
    age_years: int | None = Field(default=None, json_schema_extra=AGE_YEARS)
    nik: str | None = Field(default=None, max_length=16)
    household_id: ObjectId | None = None
    vulnerabilities: list[Vulnerability] = Field(default_factory=list, max_length=7)
    needs_psychosocial: bool = False
    condition: Condition = "selamat"
    nik_mismatch_confirmed: bool = Field(default=False, description=NIK_MISMATCH_CONFIRMED)

    _nik = field_validator("nik")(classmethod(lambda cls, v: _check_nik(v)))

    @field_validator("vulnerabilities")
    @classmethod
    def _explicit(cls, v: list[str]) -> list[str]:
        return explicit_only(v)  # balita/lansia are derived from age; sent as flags they are ignored

    _one_age = field_validator("age_years")(classmethod(lambda cls, v, info: _only_one_age(v, info)))


StayKind = Literal["shelter", "mandiri"]


class MandiriPlace(Input):
    """Where a person displaced outside the shelters stays (with relatives or elsewhere): docs/rules.md,
    "Mandiri stays"."""

    kelurahan_code: KelurahanCode
    address: ShortText | None = None


class PersonCreate(_PersonFields):
    """POST /events/{id}/persons; a shelter_id opens a shelter stay at registered_at, `mandiri` (in its
    place) a mandiri stay."""

    FINGERPRINT_OMIT_DEFAULTS: ClassVar[Mapping[str, Any]] = {"mandiri": None}  # added with mandiri stays

    id: ClientId | None = None
    shelter_id: ObjectId | None = None
    mandiri: MandiriPlace | None = None
    registered_at: PastInstant | None = None

    @field_validator("mandiri")
    @classmethod
    def _one_place(cls, v: MandiriPlace | None, info: ValidationInfo) -> MandiriPlace | None:
        if v is not None and info.data.get("shelter_id") is not None:
            raise ValueError("isi salah satu: shelter_id atau mandiri, bukan keduanya "
                             "(give shelter_id or mandiri, not both)")
        return v



class PersonUpdate(Input):
    """PATCH /persons/{id}: shelter changes go through check-in/check-out."""

    full_name: Name | None = None
    sex: Sex | None = None
    birth_date: PastDate | None = None
    age_years: int | None = Field(default=None, json_schema_extra=AGE_YEARS)
    nik: str | None = Field(default=None, max_length=16)
    household_id: ObjectId | None = None
    vulnerabilities: list[Vulnerability] | None = Field(default=None, max_length=7)
    needs_psychosocial: bool | None = None
    condition: Condition | None = None
    nik_mismatch_confirmed: bool | None = Field(default=None, description=NIK_MISMATCH_CONFIRMED)

    _nik = field_validator("nik")(classmethod(lambda cls, v: _check_nik(v)))

    @field_validator("vulnerabilities")
    @classmethod
    def _explicit(cls, v: list[str] | None) -> list[str] | None:
        return None if v is None else explicit_only(v)

    _one_age = field_validator("age_years")(classmethod(lambda cls, v, info: _only_one_age(v, info)))


class PersonPublic(Output):
    """A person; `vulnerabilities` is the effective set, `displacement` is derived from stays."""

    id: str
    event_id: str
    household_id: str | None
    full_name: str
    sex: str
    birth_date: date | None
    age_years: int | None
    age: int | None
    age_months: int | None = Field(default=None, description=(
        "completed months on the local date of the event's start (the date `age` is counted on), only "
        "for a known birth date under 2 years; null otherwise"))
    nik: str | None
    vulnerabilities: list[str]
    needs_psychosocial: bool
    condition: str
    nik_mismatch_confirmed: bool = False
    registered_at: UTCInstantOut
    displacement: str  # mengungsi (open stay) | kembali (stays, none open) | terdampak (no stay)
    shelter_id: str | None
    stay_kind: StayKind | None = None  # the kind of the open stay: shelter | mandiri (null without one)
    version: int
    created_at: UTCInstantOut


class ExistingPerson(Output):
    """The person already registered with a NIK, as a 409 (`existing`) or a `/sync` conflict names them."""

    person_id: str
    full_name: str
    event_id: str
    event_name: str | None
    household_id: str | None
    household_head_name: str | None
    shelter_id: str | None
    shelter_name: str | None


class NikConflictAnswer(Output):
    """409 of a person create or patch whose NIK is already registered in the event."""

    detail: str
    existing: ExistingPerson | None = Field(default=None, description="absent for roles that may not see names")


class CheckIn(Input):
    """POST /persons/{id}/check-in: `{shelter_id}` in a shelter, or `{kind: "mandiri", kelurahan_code,
    address?}` staying outside the shelters (docs/rules.md, "Mandiri stays"); a transfer (to another
    shelter, between a shelter and mandiri, or to another mandiri place) closes the open stay at `at`."""

    FINGERPRINT_OMIT_DEFAULTS: ClassVar[Mapping[str, Any]] = {  # added with mandiri stays
        "kind": "shelter", "kelurahan_code": None, "address": None}

    id: ClientId | None = None
    kind: StayKind = "shelter"
    shelter_id: ObjectId | None = Field(default=None, validate_default=True)
    kelurahan_code: KelurahanCode | None = Field(default=None, validate_default=True)
    address: ShortText | None = None
    at: PastInstant | None = None

    @field_validator("shelter_id")
    @classmethod
    def _shelter_for_shelter_stays(cls, v: str | None, info: ValidationInfo) -> str | None:
        kind = info.data.get("kind")
        if kind == "shelter" and v is None:
            raise ValueError("wajib diisi untuk masuk tempat penampungan; untuk mengungsi mandiri kirim "
                             "kind: mandiri dan kelurahan_code (required for a shelter stay; for a mandiri stay "
                             "send kind: mandiri and kelurahan_code)")
        if kind == "mandiri" and v is not None:
            raise ValueError("mengungsi mandiri tidak di tempat penampungan: kosongkan shelter_id "
                             "(a mandiri stay has no shelter)")
        return v

    @field_validator("kelurahan_code")
    @classmethod
    def _kelurahan_for_mandiri_stays(cls, v: str | None, info: ValidationInfo) -> str | None:
        kind = info.data.get("kind")
        if kind == "mandiri" and v is None:
            raise ValueError("wajib diisi untuk mengungsi mandiri: kelurahan tempat menumpang "
                             "(required for a mandiri stay: the kelurahan where the person stays)")
        if kind == "shelter" and v is not None:
            raise ValueError("hanya untuk mengungsi mandiri; kelurahan tempat penampungan diambil dari datanya "
                             "(only for a mandiri stay: a shelter stay takes its shelter's kelurahan)")
        return v

    @field_validator("address")
    @classmethod
    def _address_for_mandiri_stays(cls, v: str | None, info: ValidationInfo) -> str | None:
        if v is not None and info.data.get("kind") == "shelter":
            raise ValueError("hanya untuk mengungsi mandiri (only for a mandiri stay)")
        return v



class CheckOut(Input):
    id: ClientId | None = None
    at: PastInstant | None = None


class StayPublic(Output):
    """A stay: in a shelter (`kind` shelter, `kelurahan_code` the shelter's when known) or mandiri (no
    shelter; the kelurahan and address where the person stays)."""

    id: str
    event_id: str
    person_id: str
    shelter_id: str | None
    kind: StayKind = "shelter"
    kelurahan_code: str | None = None
    address: str | None = None
    check_in: UTCInstantOut
    check_out: UTCInstantOut | None


class DistributionCreate(Input):
    """POST /events/{id}/distributions; a per_person_day item needs shelter_id, or a household or person
    (meals for mandiri stays: docs/rules.md, "Mandiri stays")."""

    FINGERPRINT_OMIT_DEFAULTS: ClassVar[Mapping[str, Any]] = {"source_location_id": None}  # added with stock

    id: ClientId | None = None
    item_code: Code
    quantity: float = Field(gt=0, le=1_000_000_000)
    delivered_at: PastInstant | None = None
    shelter_id: ObjectId | None = None
    person_id: ObjectId | None = None
    household_id: ObjectId | None = None
    notes: Notes | None = None
    source_location_id: ObjectId | None = Field(default=None, description=(
        "the gudang or shelter whose stock it came from; unset: the shelter's own stock when shelter_id is given"))

    @field_validator("household_id")
    @classmethod
    def _one_recipient(cls, v: str | None, info: ValidationInfo) -> str | None:
        if v is not None and info.data.get("person_id") is not None:
            raise ValueError("pilih penerima person_id atau household_id, bukan keduanya (give person_id or household_id, not both)")
        return v


class DistributionPublic(Output):
    id: str
    event_id: str
    item_code: str
    quantity: float
    delivered_at: UTCInstantOut
    shelter_id: str | None
    person_id: str | None
    household_id: str | None
    notes: str | None
    source_location_id: str | None = None
    created_at: UTCInstantOut


class ServiceCreate(Input):
    """POST /events/{id}/services."""

    id: ClientId | None = None
    person_id: ObjectId
    kind: ServiceKind
    delivered_at: PastInstant | None = None
    notes: Notes | None = None


class ServicePublic(Output):
    id: str
    event_id: str
    person_id: str
    kind: str
    delivered_at: UTCInstantOut
    notes: str | None
    created_at: UTCInstantOut
