"""Reference data: regions, the item catalogue and versioned needs-standard profiles."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from shared.models.base import created_at, json_dict


class Region(SQLModel, table=True):
    """A provinsi, kabupaten/kota, kecamatan or kelurahan with its Kemendagri code."""

    __tablename__ = "regions"
    code: str = Field(primary_key=True, max_length=20)
    name: str = Field(max_length=120)
    level: str = Field(max_length=20, index=True)  # provinsi | kabupaten_kota | kecamatan | kelurahan
    parent_code: str | None = Field(default=None, max_length=20, index=True)


class Item(SQLModel, table=True):
    """A catalogue item that can be distributed (meals, water, kits, cash)."""

    __tablename__ = "items"
    code: str = Field(primary_key=True, max_length=60)
    name: str = Field(max_length=200)
    unit: str = Field(max_length=30)
    created_at: datetime = created_at()


class StandardProfile(SQLModel, table=True):
    """One version of a needs-standard profile; the body has the shape of needs_profiles.json."""

    __tablename__ = "standard_profiles"
    __table_args__ = (UniqueConstraint("code", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=60, index=True)
    version: int
    name: str = Field(max_length=300)
    body: dict[str, Any] = json_dict()
    is_default: bool = False
    created_at: datetime = created_at()
    created_by: int | None = None
