"""Regions, catalogue items and needs-standard profiles."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.domain.vocabulary import Vulnerability
from shared.schemas.common import (
    CatalogueCode,
    Input,
    Name,
    Output,
    UTCInstantOut,
    clean_json,
    json_text_problem,
    multi_line,
    one_line,
)

Unit = Annotated[str, Field(min_length=1, max_length=30), one_line]
Source = Annotated[str, Field(max_length=1000), multi_line]


def _extras_clean(model: BaseModel) -> None:
    """A profile keeps fields it does not know (notes, sources): their text is checked too."""
    problem = json_text_problem(model.__pydantic_extra__ or {})
    if problem:
        raise ValueError(problem)

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class RegionPublic(Output):
    code: str
    name: str
    level: str
    parent_code: str | None


class ItemCreate(Input):
    """POST /items (admin): a catalogue item that no profile needs to compute."""

    code: CatalogueCode
    name: Name
    unit: Unit


class ItemPublic(Output):
    code: str
    name: str
    unit: str


class ItemRule(BaseModel):
    """One item of a profile: what `rate` is counted against, and the SPM service it serves."""

    model_config = ConfigDict(extra="allow")
    code: CatalogueCode
    name: Name
    unit: Unit
    basis: Literal["per_person_day", "per_person_once", "per_household_once", "per_vulnerable_once"]
    rate: float = Field(gt=0, le=1_000_000)
    service: Literal["permakanan", "sandang"] | None = None
    applies_to: list[Vulnerability] | None = None
    source: Source | None = None

    @model_validator(mode="after")
    def _vulnerable_needs_groups(self) -> ItemRule:
        _extras_clean(self)
        if self.basis == "per_vulnerable_once" and not self.applies_to:
            raise ValueError("per_vulnerable_once item needs applies_to")
        return self


class ShelterStandards(BaseModel):
    model_config = ConfigDict(extra="allow")
    covered_area_m2_per_person: float = Field(gt=0, le=100)
    persons_per_toilet: float = Field(gt=0, le=1000)
    source: Source | None = None

    @model_validator(mode="after")
    def _clean_extras(self) -> ShelterStandards:
        _extras_clean(self)
        return self


class StandardProfileIn(Input):
    """POST /standards (admin): a new version of a profile, the shape of needs_profiles.json."""

    code: CatalogueCode
    name: Annotated[str, Field(min_length=1, max_length=300), one_line]
    meal_times_local: list[str] = Field(min_length=1, max_length=6)
    items: list[ItemRule] = Field(min_length=1, max_length=100)
    services: Annotated[list[dict[str, Any]], clean_json] = Field(default_factory=list, max_length=10)
    shelter_standards: ShelterStandards

    @field_validator("meal_times_local")
    @classmethod
    def _times(cls, v: list[str]) -> list[str]:
        for t in v:
            if not _HHMM.match(t):
                raise ValueError(f"jam makan harus HH:MM, bukan {t!r} (meal times must be HH:MM)")
        if sorted(set(v)) != v:
            raise ValueError("jam makan harus urut dan unik (meal times must be ascending and unique)")
        return v

    @model_validator(mode="after")
    def _rules(self) -> StandardProfileIn:
        codes = [i.code for i in self.items]
        if len(set(codes)) != len(codes):
            raise ValueError("kode item ganda dalam profil (duplicate item code in profile)")
        for service in ("permakanan", "sandang"):
            if sum(1 for i in self.items if i.service == service) > 1:
                raise ValueError(f"paling banyak satu item untuk layanan {service} (at most one item per service)")
        return self


class StandardProfilePublic(Output):
    code: str
    version: int
    name: str
    is_default: bool
    meal_times_local: list[str]
    items: list[dict[str, Any]]
    services: list[dict[str, Any]]
    shelter_standards: dict[str, Any]
    created_at: UTCInstantOut
