"""What an admin sends to edit the Renstra figures (PUT /reports/renstra/targets and /manual)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from shared.schemas.common import Code, Input

Year = Annotated[int, Field(ge=2000, le=2100, description="tahun Renstra")]
Figure = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class TargetIn(Input):
    """PUT /reports/renstra/targets: a field not sent keeps its stored value; null clears it."""

    year: Year
    indicator_code: Code
    target: Figure | None = None
    pagu: Figure | None = Field(default=None, description="Rupiah")
    budget_realisation: Figure | None = Field(default=None, description="realisasi anggaran, Rupiah")


class ManualIn(Input):
    """PUT /reports/renstra/manual: value null removes the manual value."""

    year: Year
    indicator_code: Code
    value: Figure | None = Field(description="the realisation; null removes the manual value")
