"""Editing the Renstra figures (admin): targets and pagu per (year, indicator), and manual realisations.

- `PUT /reports/renstra/targets {year, indicator_code, target?, pagu?, budget_realisation?}` upserts the
  row (`budget_realisation`: realisasi anggaran, the Rupiah actually spent, beside the pagu). A field that
  is not sent keeps its stored value; `null` clears it. Unknown indicator → 422.
- `PUT /reports/renstra/manual {year, indicator_code, value}` upserts a manual realisation of an
  indicator whose `computed` sentence is "manual" (preparedness work outside any emergency:
  trainings, kampung siaga bencana, documents); `value: null` removes it (the report shows source
  "none" again). Unknown indicator → 422.

  A manual value for a *computed* indicator is refused with 409. A Dinas Sosial officer expects the
  Renstra figure for, say, penyediaan makanan to be the same number the post-disaster reports and
  the dashboard show for those events: the realisation is traceable to recorded persons, stays and
  distributions, and an override would let the two reports disagree without anyone noticing. When
  the figure is wrong, the records are corrected (the field app accepts back-dated records), and
  the report follows. The same holds for the rows computed from an office register (TAGANA roster,
  preparedness activities: 409 naming the register): the training or activity is recorded instead.

Every change leaves an audit row (`renstra.target.set`, `renstra.manual.set`, `renstra.manual.clear`).
The report itself is built by shared/reports/renstra.py; the rows live in shared/repositories/renstra.py.
"""

from __future__ import annotations

from typing import Any

from shared.db import UnitOfWork, utcnow
from shared.domain.access import Actor, can_manage_reference
from shared.domain.registers import REGISTER_LABELS
from shared.errors import Conflict, Forbidden, Invalid
from shared.models import RenstraManualValue, RenstraTarget
from shared.reports.renstra import indicator, is_computed, number
from shared.repositories import renstra as renstra_repo
from shared.schemas.renstra import ManualIn, TargetIn
from shared.services.bookkeeping import record_audit


def _known(code: str) -> dict[str, Any]:
    found = indicator(code)
    if found is None:
        raise Invalid("indicator_code", f"indikator {code} tidak ada dalam Renstra (unknown indicator code)")
    return found


def _admin(actor: Actor) -> None:
    if not can_manage_reference(actor):
        raise Forbidden("hanya admin yang dapat mengubah target dan realisasi Renstra (admin only)")


def target_public(row: RenstraTarget) -> dict[str, Any]:
    return {"year": row.year, "indicator_code": row.indicator_code, "target": number(row.target),
            "pagu": number(row.pagu), "budget_realisation": number(row.budget_realisation),
            "updated_at": row.updated_at.isoformat()}


def set_target(uow: UnitOfWork, actor: Actor, data: TargetIn) -> dict[str, Any]:
    """Upsert the target and/or pagu of (year, indicator)."""
    _admin(actor)
    _known(data.indicator_code)
    s = uow.session
    row = renstra_repo.get_target(s, data.year, data.indicator_code)
    if row is None:
        row = RenstraTarget(year=data.year, indicator_code=data.indicator_code)
    sent = data.model_fields_set
    if "target" in sent:
        row.target = data.target
    if "pagu" in sent:
        row.pagu = data.pagu
    if "budget_realisation" in sent:
        row.budget_realisation = data.budget_realisation
    row.updated_by = actor.id
    row.updated_at = utcnow()
    renstra_repo.save(s, row)
    record_audit(uow, actor, "renstra.target.set", "renstra_target", f"{data.year}:{data.indicator_code}")
    return target_public(row)


def set_manual(uow: UnitOfWork, actor: Actor, data: ManualIn) -> dict[str, Any]:
    """Upsert (or, with value null, remove) the manual realisation of (year, indicator)."""
    _admin(actor)
    ind = _known(data.indicator_code)
    if is_computed(ind) and ind.get("register"):
        raise Conflict(f"indikator {data.indicator_code} dihitung dari {REGISTER_LABELS[ind['register']]}; "
                       "catat pelatihan atau kegiatannya di register, bukan angkanya "
                       "(computed from an office register: record the training or activity instead)")
    if is_computed(ind):
        raise Conflict(f"indikator {data.indicator_code} dihitung dari data kejadian ({ind['computed']}); "
                       "perbaiki datanya, bukan angkanya (computed indicators take no manual value)")
    s = uow.session
    row = renstra_repo.get_manual(s, data.year, data.indicator_code)
    key = f"{data.year}:{data.indicator_code}"
    if data.value is None:
        if row is not None:
            renstra_repo.delete(s, row)
        record_audit(uow, actor, "renstra.manual.clear", "renstra_manual", key)
        return {"year": data.year, "indicator_code": data.indicator_code, "value": None, "source": "none"}
    if row is None:
        row = RenstraManualValue(year=data.year, indicator_code=data.indicator_code, value=data.value)
    row.value = data.value
    row.updated_by = actor.id
    row.updated_at = utcnow()
    renstra_repo.save(s, row)
    record_audit(uow, actor, "renstra.manual.set", "renstra_manual", key)
    return {"year": row.year, "indicator_code": row.indicator_code, "value": number(row.value), "source": "manual",
            "updated_at": row.updated_at.isoformat()}
