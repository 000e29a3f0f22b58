"""Where each Renstra row's number comes from (docs/rules.md, "Renstra registers"), and the rows computed
from the office registers.

`register_realisations(session, year, tz)` computes the indicators whose plan entry names a `register`
(shared/data/renstra_penanganan_bencana.json): the TAGANA roster and its trainings, and the
preparedness-activity register, with the pure rules of shared/domain/registers.py.

`provenance(...)` is the `provenance` object of a report row, added beside the existing `source`:

- `kind`: `events` (computed from the events of the year), `register` (computed from a register),
  `manual` (typed in by an admin) or `none` (nothing yet);
- `register`: `tagana` | `preparedness_activities` | null; `rule`: the plan's sentence of how it is counted;
- `records`: how many register rows were read (trainings, activities), or for `events` how many events;
- `entered_by` `{id, username, full_name}` and `entered_at` for a typed-in value;
- `label`: one Indonesian line for the report and the dashboard, e.g. "Dihitung dari register TAGANA
  (4 pelatihan)" or "Diisi manual oleh Budi Santoso (admin1), 07-12-2026 10:15 WIB".
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from shared.domain.registers import (
    REGISTER_ACTIVITIES,
    REGISTER_LABELS,
    REGISTER_TAGANA,
    Figure,
    register_figures,
    taruna_ids,
)
from shared.models import RenstraManualValue
from shared.repositories import registers as registers_repo
from shared.repositories import reports as reports_repo

TARUNA = "taruna_siaga_bencana"
_UNITS = {REGISTER_TAGANA: "pelatihan", REGISTER_ACTIVITIES: "kegiatan"}


def _bounds(year: int, tz: ZoneInfo) -> tuple[datetime, datetime]:
    return datetime(year, 1, 1, tzinfo=tz), datetime(year + 1, 1, 1, tzinfo=tz)


def taruna_figure(session: Session, year: int, tz: ZoneInfo) -> Figure:
    """taruna_siaga_bencana for `year` (shared/domain/registers.py::taruna_ids)."""
    start, end = _bounds(year, tz)
    authors = reports_repo.field_authors(session, start, end)
    roster = registers_repo.active_roster_accounts(session)
    relawan = registers_repo.active_relawan_accounts(session, authors)
    assigned = registers_repo.members_of_events_started(session, start, end)
    counted = taruna_ids(authors, relawan, roster, assigned)
    on_roster = counted & roster
    return Figure(len(counted), len(on_roster),
                  {"roster_volunteers": len(on_roster), "accounts_not_on_roster": len(counted - roster)})


def register_realisations(session: Session, year: int, tz: ZoneInfo) -> dict[str, Figure]:
    """Every register-computed indicator for `year`."""
    first, after = date(year, 1, 1), date(year + 1, 1, 1)
    figures = register_figures(year, registers_repo.training_facts(session, first, after),
                               registers_repo.activity_facts(session, first, after))
    figures[TARUNA] = taruna_figure(session, year, tz)
    return figures


def _local(at: datetime, tz: ZoneInfo) -> str:
    local = at.astimezone(tz)
    zone = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}.get(getattr(tz, "key", ""), "")
    return f"{local:%d-%m-%Y %H:%M} {zone}".rstrip()


def provenance(ind: dict[str, Any], source: str, *, events: int, figure: Figure | None,
               manual: RenstraManualValue | None, users: dict[int, tuple[str, str]], tz: ZoneInfo) -> dict[str, Any]:
    """The `provenance` object of one report row (see the module docstring)."""
    register = ind.get("register")
    base: dict[str, Any] = {"kind": "none", "register": register, "rule": ind.get("computed"), "records": None,
                            "entered_by": None, "entered_at": None}
    if source == "computed" and register:
        records = figure.records if figure is not None else 0
        if ind["code"] == TARUNA:
            label = (f"Dihitung dari {REGISTER_LABELS[register]} dan data lapangan "
                     f"({records} relawan terdaftar ikut dihitung)")
        else:
            label = f"Dihitung dari {REGISTER_LABELS[register]} ({records} {_UNITS[register]})"
        return {**base, "kind": "register", "records": records, "label": label}
    if source == "computed":
        return {**base, "kind": "events", "records": events,
                "label": f"Dihitung dari data kejadian ({events} kejadian)"}
    if source == "manual" and manual is not None:
        who = users.get(manual.updated_by) if manual.updated_by is not None else None
        entered_by = ({"id": manual.updated_by, "username": who[0], "full_name": who[1]} if who
                      else ({"id": manual.updated_by, "username": None, "full_name": None}
                            if manual.updated_by is not None else None))
        name = (f"{who[1]} ({who[0]})" if who and who[1] else who[0]) if who else "admin"
        return {**base, "kind": "manual", "entered_by": entered_by, "entered_at": manual.updated_at.isoformat(),
                "label": f"Diisi manual oleh {name}, {_local(manual.updated_at, tz)}"}
    return {**base, "label": "Belum ada data: belum diisi"}


_SHORT = {"events": "Dihitung sistem", "manual": "Diisi manual", "none": "Belum ada data"}
_SHORT_REGISTER = {REGISTER_TAGANA: "Register TAGANA", REGISTER_ACTIVITIES: "Register kegiatan"}


def source_label(row: dict[str, Any]) -> str:
    """The short "Sumber" cell of a report row: Dihitung sistem | Register TAGANA | Register kegiatan |
    Diisi manual | Belum ada data (the full line is `provenance.label`)."""
    prov = row.get("provenance") or {}
    if prov.get("kind") == "register":
        return _SHORT_REGISTER.get(prov.get("register") or "", "Register")
    if prov.get("kind") in _SHORT:
        return _SHORT[prov["kind"]]
    return {"computed": "Dihitung sistem", "manual": "Diisi manual"}.get(row.get("source", ""), "Belum ada data")


def provenance_columns(row: dict[str, Any]) -> tuple[str, str, str, str, str]:
    """(kind, register, label, entered by, entered at) of a row for the CSV: empty strings when absent."""
    prov = row.get("provenance") or {}
    who = prov.get("entered_by") or {}
    return (prov.get("kind") or "", prov.get("register") or "", prov.get("label") or "",
            who.get("username") or "", prov.get("entered_at") or "")
