"""Renstra (strategic plan) bookkeeping: editable targets and budgets, and manually entered realisations.

Both are keyed by (year, indicator code); the indicator codes are those of
shared/data/renstra_penanganan_bencana.json. Targets and pagu are seeded from that file when a row
is missing (shared/seed.py) and edited by admin with `PUT /reports/renstra/targets`; a row whose
target or pagu an admin cleared keeps its nulls (seeding never refills it).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from shared.models.base import created_at


class RenstraTarget(SQLModel, table=True):
    """Target, pagu (indicative budget, Rupiah) and realised budget (realisasi anggaran, Rupiah: what was
    actually spent, entered by admin from the finance office's records) of one Renstra indicator in one year."""

    __tablename__ = "renstra_targets"
    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    indicator_code: str = Field(primary_key=True, max_length=60)
    target: float | None = None
    pagu: float | None = None
    budget_realisation: float | None = None
    updated_by: int | None = None  # None: as seeded
    updated_at: datetime = created_at()


class RenstraManualValue(SQLModel, table=True):
    """A realisation entered by an administrator for an indicator the system cannot compute."""

    __tablename__ = "renstra_manual_values"
    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    indicator_code: str = Field(primary_key=True, max_length=60)
    value: float
    updated_by: int | None = None
    updated_at: datetime = created_at()
