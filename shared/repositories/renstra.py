"""The Renstra figures an admin edits: target and pagu per (year, indicator), and manual realisations.

Read by the Renstra report (shared/reports/renstra.py), written by shared/services/renstra.py.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session, col

from shared.models import RenstraManualValue, RenstraTarget


def targets(session: Session, year: int) -> dict[str, RenstraTarget]:
    """The year's targets by indicator code."""
    return {r.indicator_code: r for r in session.execute(
        select(RenstraTarget).where(col(RenstraTarget.year) == year)).scalars()}


def manual_values(session: Session, year: int) -> dict[str, float]:
    """The year's manual realisations by indicator code."""
    return {r.indicator_code: r.value for r in session.execute(
        select(RenstraManualValue).where(col(RenstraManualValue.year) == year)).scalars()}


def get_target(session: Session, year: int, indicator_code: str) -> RenstraTarget | None:
    return session.get(RenstraTarget, (year, indicator_code))


def get_manual(session: Session, year: int, indicator_code: str) -> RenstraManualValue | None:
    return session.get(RenstraManualValue, (year, indicator_code))


def save(session: Session, row: RenstraTarget | RenstraManualValue) -> None:
    """Insert or update the row now (flushed: its audit row follows in the same transaction)."""
    session.add(row)
    session.flush()


def delete(session: Session, row: RenstraManualValue) -> None:
    session.delete(row)
    session.flush()


def manual_entries(session: Session, year: int) -> dict[str, RenstraManualValue]:
    """The year's manual realisations by indicator code, with who typed them in and when."""
    return {r.indicator_code: r for r in session.execute(
        select(RenstraManualValue).where(col(RenstraManualValue.year) == year)).scalars()}
