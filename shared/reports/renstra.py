"""The Renstra indicator report: every indicator of the disaster-handling programme for a year, with
target, realisation, achievement and pagu (docs/rules.md, "Reports").

`build_renstra_report(session, year, tz, now)` makes the report as a dict; `render_renstra_report`
(shared/reports/render/) turns it into JSON, CSV, XLSX or PDF. The rows come from
shared/repositories/reports.py and shared/repositories/renstra.py.

The indicators, their order and their `computed` sentences come from
shared/data/renstra_penanganan_bencana.json. Targets and pagu come from the `renstra_targets` table
(seeded from that file, edited by admin); manual realisations from `renstra_manual_values`.

**The events of year Y** are those whose `started_at` falls in Y in local time (`tz`): an event that
started on 31 December at 23:30 WIB belongs to that year even though it is 16:30 UTC. Each is
evaluated at `as_of` = `now`, or the event's end once it has ended (`status_as_of`), with the needs
engine's inputs loaded once per event (`load_needs_inputs` + `compute_snapshot`, exactly what
`shared.services.status.compute` does); the other computed indicators are read off the same inputs.

How each computed sentence is read (a person is counted once per event; a year sums its events):

- ikk5_kebutuhan_dasar_terpenuhi: Σ indicator.fulfilled / Σ indicator.eligible × 100 over the
  year's snapshots (half up, 2 decimals; null when nobody was eligible).
- pemulihan_sosial: displaced persons (at least one stay started by as_of, any condition: the
  engine's "displaced persons") with at least one psikososial or penanganan_khusus service by as_of,
  / all displaced persons × 100, summed over the events before dividing (null without displaced).
- penyediaan_makanan: Σ indicator.services.permakanan.fulfilled (the permakanan service is defined
  for eligible persons: every shelter-day they were present at a meal time was covered; as in the
  basic-needs indicator, someone who was at no meal time had nothing due and counts as met).
- penyediaan_sandang: persons of the event (displaced or not, any condition) who received a
  paket_sandang: person-level paket_sandang totalling at least one paket, or one of the first ⌊Q⌋
  members of a household (registration order, then id, as in docs/rules.md's sandang rule) that got Q
  paket at household level. One paket is one recipient whatever the profile's sandang rate: the
  sentence counts recipients, not persons whose sandang need is fully met.
- penanganan_khusus_rentan: persons with an effective vulnerability (balita/lansia derived from age
  at the event's start, or an explicit flag) and at least one penanganan_khusus service by as_of.
- dukungan_psikososial: persons with at least one psikososial service by as_of (flagged or not).
- tempat_penampungan: shelters of the year's events with `opened_at` ≤ as_of.
- bantuan_uang_tunai: persons with a person-level uang_tunai distribution by as_of, plus every
  member of a household that got a household-level one (no person_id).
- taruna_siaga_bencana (not tied to an event): distinct accounts that recorded field data whose own
  time falls in year Y (local) and are active relawan accounts or linked to an active volunteer of the
  TAGANA roster, plus roster volunteers assigned to an event that started in Y. Field data: a person
  registered (`registered_at`), a check-in (`check_in`), a distribution or service (`delivered_at`), a
  shelter opened (`opened_at`) or a household (`created_at`, it carries no field time). Field times
  rather than server receipt times: a volunteer who worked offline on 31 December and synced on
  2 January was active in the old year.
- the other rows whose plan entry names a `register` (TAGANA trainings, preparedness activities) are
  counted by shared/domain/registers.py from the register rows dated in Y.

Every row carries `provenance` (shared/reports/renstra_provenance.py): computed from events, from a
register (which), typed in (by whom, when) or nothing yet.

Indicators whose sentence is "manual" take the value an admin entered (source "manual"), or show
nothing (source "none"). A computed indicator always has source "computed" (a count of 0 is a
realisation); manual values for computed indicators are refused (see shared/services/renstra.py).
`achievement_percent` = realisation / target × 100, half up to 2 decimals; null without a target
(none or 0) or without a realisation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from math import floor
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from shared.domain.registers import Figure
from shared.models import Event
from shared.needs.engine import compute_snapshot
from shared.needs.model import VULNERABILITIES, NeedsInputs, seconds
from shared.needs.numbers import exact, percent
from shared.reports.renstra_provenance import provenance, register_realisations
from shared.repositories import registers as registers_repo
from shared.repositories import renstra as renstra_repo
from shared.repositories import reports as reports_repo
from shared.repositories.needs_inputs import load_needs_inputs
from shared.seed import load_json
from shared.services.status import status_as_of

RENSTRA_FILE = "renstra_penanganan_bencana.json"
SANDANG_ITEM = "paket_sandang"
CASH_ITEM = "uang_tunai"
_VULNERABLE = frozenset(VULNERABILITIES)
Progress = Callable[[int, int], object]


def renstra_plan() -> dict[str, Any]:
    """The shipped Renstra file (program name and indicators in the plan's order)."""
    return load_json(RENSTRA_FILE)


def indicators() -> list[dict[str, Any]]:
    return list(renstra_plan()["indicators"])


def indicator(code: str) -> dict[str, Any] | None:
    return next((i for i in indicators() if i["code"] == code), None)


def is_computed(ind: dict[str, Any]) -> bool:
    return ind.get("computed", "manual") != "manual"


def year_bounds(year: int, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[1 January Y 00:00, 1 January Y+1 00:00) local, as aware instants."""
    return datetime(year, 1, 1, tzinfo=tz), datetime(year + 1, 1, 1, tzinfo=tz)


def number(value: float | int | Decimal | Fraction | None) -> int | float | None:
    """A figure for the report: an int when it is whole (100, not 100.0), else a float."""
    if value is None:
        return None
    if isinstance(value, int):
        return value
    f = float(value)
    return int(f) if f.is_integer() else f


def achievement(realisation: float | int | None, target: float | int | None) -> float | None:
    """realisation / target × 100, half up to 2 decimals; None without a target or realisation."""
    if realisation is None or target is None or target == 0:
        return None
    return percent(exact(realisation), exact(target))


# ---- per-event tallies -------------------------------------------------------------------------------

@dataclass
class Tally:
    """Numerators and denominators of the computed indicators, summed over a year's events."""

    eligible: int = 0
    fulfilled: int = 0
    permakanan: int = 0
    displaced: int = 0
    recovered: int = 0  # displaced with a psikososial or penanganan_khusus service
    sandang: int = 0
    special_vulnerable: int = 0
    psychosocial: int = 0
    shelters: int = 0
    cash: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)
    registers: dict[str, Figure] = field(default_factory=dict)  # register-computed rows with their record counts


def recipient_totals(session: Session, event_id: str, as_of: datetime,
                     items: tuple[str, ...]) -> list[tuple[str, str | None, str | None, Decimal]]:
    """(item, person_id, household_id, Σ quantity) of the event's person- or household-level distributions of
    `items` delivered by `as_of` (one set-based query: the needs loader sums cash per item only)."""
    return [(t.item_code, t.person_id, t.household_id, exact(t.quantity))
            for t in reports_repo.recipient_totals(session, event_id, as_of, items)]


def sandang_recipients(inputs: NeedsInputs, totals: list[tuple[str, str | None, str | None, Decimal]]) -> set[str]:
    """Persons who received a paket_sandang: person-level (≥ 1 paket) or a household place."""
    own: dict[str, Decimal] = {}
    household: dict[str, Decimal] = {}
    for item, pid, hid, q in totals:
        if item != SANDANG_ITEM:
            continue
        if pid is not None:
            own[pid] = own.get(pid, Decimal(0)) + q
        elif hid is not None:
            household[hid] = household.get(hid, Decimal(0)) + q
    got = {pid for pid, total in own.items() if total >= 1}
    places = {hid: floor(total) for hid, total in household.items() if total >= 1}
    if places:
        members: dict[str, list[tuple[float, str]]] = {}
        for p in inputs.persons:
            if p.household_id is not None and p.household_id in places:
                reg = float("inf") if p.registered_at is None else seconds(p.registered_at)
                members.setdefault(p.household_id, []).append((reg, p.id))
        for hid, ranked in members.items():
            ranked.sort()  # registration time (none last), then id
            got.update(pid for _, pid in ranked[:places[hid]])
    return got


def cash_recipients(inputs: NeedsInputs, totals: list[tuple[str, str | None, str | None, Decimal]]) -> set[str]:
    """Persons with a person-level uang_tunai distribution, and every member of a household that got one."""
    persons: set[str] = set()
    households: set[str] = set()
    for item, pid, hid, q in totals:
        if item != CASH_ITEM or q <= 0:
            continue
        if pid is not None:
            persons.add(pid)
        elif hid is not None:
            households.add(hid)
    if households:
        persons.update(p.id for p in inputs.persons if p.household_id in households)
    return persons


def tally_event(session: Session, event: Event, now: datetime, tz: ZoneInfo, tally: Tally) -> None:
    """Add one event, evaluated at its as_of, to the year's tallies."""
    as_of = status_as_of(event, now)
    inputs = load_needs_inputs(session, event, as_of, tz)
    snapshot = compute_snapshot(inputs.event, inputs.profile, inputs.persons, inputs.shelters, inputs.stays,
                                inputs.deliveries, inputs.services, as_of, tz, inputs.today_meals)
    ind = snapshot["indicator"]
    tally.eligible += ind["eligible"]
    tally.fulfilled += ind["fulfilled"]
    tally.permakanan += ind["services"]["permakanan"]["fulfilled"]

    known = {p.id for p in inputs.persons}
    displaced = {s.person_id for s in inputs.stays} & known  # the loader keeps stays started by as_of
    special = {s.person_id for s in inputs.services if s.kind == "penanganan_khusus"} & known
    psychosocial = {s.person_id for s in inputs.services if s.kind == "psikososial"} & known
    vulnerable = {p.id for p in inputs.persons if not _VULNERABLE.isdisjoint(p.vulnerabilities)}
    tally.displaced += len(displaced)
    tally.recovered += len(displaced & (special | psychosocial))
    tally.special_vulnerable += len(vulnerable & special)
    tally.psychosocial += len(psychosocial)
    totals = recipient_totals(session, event.id, as_of, (CASH_ITEM,))
    sandang_rule = inputs.profile.item_for("sandang")
    if sandang_rule is not None and sandang_rule.code == SANDANG_ITEM:
        # the engine's sandang rule needs per-person and per-household sums of this item, so every loader
        # keeps them: no second pass over the distributions
        totals += [(d.item_code, d.person_id, d.household_id, exact(d.quantity)) for d in inputs.deliveries
                   if d.item_code == SANDANG_ITEM and (d.person_id is not None or d.household_id is not None)]
    else:
        totals += recipient_totals(session, event.id, as_of, (SANDANG_ITEM,))
    tally.sandang += len(sandang_recipients(inputs, totals) & known)
    tally.cash += len(cash_recipients(inputs, totals) & known)
    tally.shelters += reports_repo.opened_shelter_count(session, event.id, as_of)
    tally.events.append({
        "id": event.id, "name": event.name, "kind": event.kind, "status": event.status,
        "started_at": event.started_at.astimezone(UTC).isoformat(), "as_of": as_of.astimezone(UTC).isoformat(),
        "eligible": ind["eligible"], "fulfilled": ind["fulfilled"], "percent": ind["percent"],
    })


def year_events(session: Session, year: int, tz: ZoneInfo) -> list[Event]:
    """Events whose start falls in `year` (local time), oldest first."""
    start, end = year_bounds(year, tz)
    return reports_repo.events_started_between(session, start, end)


def computed_realisations(session: Session, year: int, tz: ZoneInfo, now: datetime,
                          progress: Progress | None = None) -> tuple[dict[str, Any], Tally]:
    """Realisation (and the figures behind it) of every computed indicator for `year`."""
    tally = Tally()
    events = year_events(session, year, tz)
    if progress is not None:
        progress(0, len(events))
    for done, event in enumerate(events, start=1):
        tally_event(session, event, now, tz, tally)
        if progress is not None:
            progress(done, len(events))
    registers = register_realisations(session, year, tz)
    values: dict[str, tuple[Any, dict[str, Any]]] = {
        "ikk5_kebutuhan_dasar_terpenuhi": (percent(tally.fulfilled, tally.eligible),
                                           {"fulfilled": tally.fulfilled, "eligible": tally.eligible}),
        "pemulihan_sosial": (percent(tally.recovered, tally.displaced),
                             {"served": tally.recovered, "displaced": tally.displaced}),
        "penyediaan_makanan": (tally.permakanan, {}),
        "penyediaan_sandang": (tally.sandang, {}),
        "penanganan_khusus_rentan": (tally.special_vulnerable, {}),
        "dukungan_psikososial": (tally.psychosocial, {}),
        "tempat_penampungan": (tally.shelters, {}),
        "bantuan_uang_tunai": (tally.cash, {}),
    }
    # the rows of the office registers (TAGANA roster, preparedness activities; shared/reports/renstra_provenance.py)
    values.update({code: (figure.value, figure.detail) for code, figure in registers.items()})
    tally.registers = registers
    return values, tally


# ---- the report -----------------------------------------------------------------------------------------

def build_renstra_report(session: Session, year: int, tz: ZoneInfo, now: datetime, *,
                         progress: Progress | None = None) -> dict[str, Any]:
    """`{year, indicators: [{code, name, unit, target, realisation, achievement_percent, pagu, budget_realisation,
    source}]}`
    (plus `level`, `detail`, the program, the events counted and when it was made). `progress(done, total)`,
    if given, is called before the first event and after each one (the CLI's progress bar)."""
    targets = renstra_repo.targets(session, year)
    entries = renstra_repo.manual_entries(session, year)
    manual = {code: e.value for code, e in entries.items()}
    typists = registers_repo.usernames(session, [e.updated_by for e in entries.values()])
    values, tally = computed_realisations(session, year, tz, now, progress)
    rows = []
    for ind in indicators():
        code = ind["code"]
        t = targets.get(code)
        target = number(t.target) if t is not None else None
        pagu = number(t.pagu) if t is not None else None
        budget = number(t.budget_realisation) if t is not None else None
        detail: dict[str, Any] = {}
        if is_computed(ind) and code in values:
            realisation, detail = values[code]
            source = "computed"
        elif code in manual:
            realisation, source = manual[code], "manual"
        else:
            realisation, source = None, "none"
        realisation = number(realisation)
        row = {
            "code": code,
            "name": ind["name"],
            "unit": ind["unit"],
            "target": target,
            "realisation": realisation,
            "achievement_percent": achievement(realisation, target),
            "pagu": pagu,
            "budget_realisation": budget,
            "source": source,
            "level": ind.get("level"),
            "provenance": provenance(ind, source, events=len(tally.events), figure=tally.registers.get(code),
                                     manual=entries.get(code) if source == "manual" else None, users=typists, tz=tz),
        }
        if detail:
            row["detail"] = detail
        rows.append(row)
    return {
        "year": year,
        "program": renstra_plan().get("program"),
        "generated_at": now.astimezone(UTC).isoformat(),
        "timezone": getattr(tz, "key", str(tz)),
        "events": tally.events,
        "indicators": rows,
    }


__all__ = ["achievement", "build_renstra_report", "indicators", "is_computed"]
