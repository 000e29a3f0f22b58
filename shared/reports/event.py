"""Laporan pasca bencana: the post-disaster report of one event at an instant `as_of`.

`build_event_report` returns a plain dict (the JSON answer); `render_event_report`
(shared/reports/render/) turns it into JSON, CSV, XLSX or PDF bytes. The rows come from
shared/repositories/reports.py and the needs loader; this module only arranges them into sections.
The headline figures come from the needs engine on the same inputs as `GET /events/{id}/status`
(`shared.services.status.compute`), so for the same `as_of` the report and the status agree to the
last digit.

Sections (docs/rules.md, "Reports"):

- `event`: kind, category, status, standard, start and end (UTC instants and local dates), the
  kelurahan with their names, and `status_history`: when the event was opened and changed, from the
  audit log (it records that a change happened, not what changed; `status` is the current one).
- `people`: the snapshot's counts (displaced now, of them in shelters and mandiri), plus by
  condition, by age group (0–4 balita, 5–17 anak, 18–59 dewasa, 60+ lansia, age unknown) overall and
  per sex, per kelurahan of the household (`by_kelurahan`, with the displaced split into shelter
  residents and mandiri persons; a person without a household, or a household without a kelurahan,
  is counted under code ""), and per kelurahan where the displaced stay now
  (`displaced_by_kelurahan`: shelter residents by their shelter's kelurahan, mandiri persons by the
  kelurahan of their stay, side by side, with names and every kelurahan of the event; the snapshot's
  own `staying_by_kelurahan` is kept as it is).
- `shelters`: per shelter, the snapshot's row (occupants, capacity, adequacy at `as_of`, meals of
  `as_of`'s day) with kind, kelurahan, open/close dates, days open, persons served and peak occupancy
  (most distinct persons present at once up to `as_of`, and when that was first reached).
- `needs`: the snapshot's needs per item of the standard (required, delivered, gap, coverage %).
- `distributions`: every item delivered up to `as_of` (including items the standard does not
  compute, such as cash aid): records and quantity.
- `indicator`: the snapshot's indicator, each service with its percent.
- `services`: services delivered per kind up to `as_of`: records and distinct persons.
- `daily`: one row per local day from the event's start to `as_of`: displaced persons and the
  percent fulfilled at the end of that day (at `as_of` for its own day). A day with a stored
  end-of-day snapshot (the worker's) takes it (`source: "stored"`); other days are computed for the
  day's last instant on the inputs loaded once (`source: "computed"`), all days in one pass
  (shared/needs/daily.py, checked against the engine at as_of; the engine day by day otherwise).
- `unmet`: the persons not fulfilled with the services they miss, with their names, age, household
  head, and the shelter they are in at `as_of` (else their household's kelurahan) — only when the
  caller may see names; `unmet_total` is always there.
- `event.number_in_year`: the event's ordinal among the events that started in its local year (the
  `{seq}` of the document number, shared/reports/numbering.py).
"""

from __future__ import annotations

import logging
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from shared.memory import no_cyclic_gc
from shared.models import Event
from shared.needs.daily import daily_counts
from shared.needs.engine import compute_snapshot
from shared.needs.model import SERVICES, NeedsInputs, seconds
from shared.needs.numbers import percent
from shared.reports.facts import (
    AGE_GROUPS,
    STANDINGS,
    UNKNOWN_AREA,
    StayingNow,
    load_person_facts,
    load_regions,
    occupancy,
    standings,
    staying_now,
)
from shared.repositories import reports as reports_repo
from shared.repositories import status as status_repo
from shared.repositories import tracing as tracing_repo
from shared.repositories.daily_series import with_daily_sandang
from shared.repositories.needs_inputs import load_needs_inputs
from shared.services.status import status_as_of

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]  # (what, done, total)
STATUS_ACTIONS = {"event.create": "dicatat", "event.update": "diubah"}


def report_as_of(event: Event, requested: datetime | None, now: datetime) -> datetime:
    """The instant a report describes: the one asked for (default now; never later than now, which the
    clock skew of a request could allow), and never past the end of a finished event (its status stops
    moving there, as `GET /status` does)."""
    return status_as_of(event, min(requested, now) if requested is not None else now)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


def _local_date(value: datetime | None, tz: ZoneInfo) -> str | None:
    return None if value is None else value.astimezone(tz).date().isoformat()


def _day_end(day: Any, tz: ZoneInfo) -> datetime:
    """The last instant of a local day (the worker's end-of-day snapshot uses the same)."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz) - timedelta(microseconds=1)


def build_event_report(session: Session, event: Event, as_of: datetime, tz: ZoneInfo, *, with_names: bool,
                       now: datetime | None = None, progress: Progress | None = None) -> dict[str, Any]:
    """The report of `event` at `as_of` (already settled with `report_as_of`), read in `session`."""
    with no_cyclic_gc():
        return _build(session, event, as_of, tz, with_names=with_names, now=now, progress=progress)


def daily_series(session: Session, event: Event, as_of: datetime, tz: ZoneInfo) -> list[dict[str, Any]]:
    """The report's day-by-day series alone (no names): what the dashboard's chart draws."""
    with no_cyclic_gc():
        inputs = load_needs_inputs(session, event, as_of, tz)
        snapshot = compute_snapshot(inputs.event, inputs.profile, inputs.persons, inputs.shelters, inputs.stays,
                                    inputs.deliveries, inputs.services, as_of, tz, inputs.today_meals)
        return _daily_section(session, event, inputs, snapshot, as_of, tz, lambda what, done, total: None)


def _build(session: Session, event: Event, as_of: datetime, tz: ZoneInfo, *, with_names: bool,
           now: datetime | None, progress: Progress | None) -> dict[str, Any]:
    note = progress or (lambda what, done, total: None)
    note("memuat data", 0, 1)
    inputs = load_needs_inputs(session, event, as_of, tz)
    snapshot = compute_snapshot(inputs.event, inputs.profile, inputs.persons, inputs.shelters, inputs.stays,
                                inputs.deliveries, inputs.services, as_of, tz, inputs.today_meals)
    start_local = event.started_at.astimezone(tz).date()
    regions = load_regions(session)
    persons = load_person_facts(session, event.id, start_local, with_names=with_names)
    where = standings(persons, inputs.stays, as_of)
    occ = occupancy(inputs.stays, as_of)
    shelter_rows = reports_repo.shelters(session, event.id)
    staying = staying_now(inputs.stays, {s.id: s.kelurahan_code for s in shelter_rows}, as_of)
    note("memuat data", 1, 1)

    report: dict[str, Any] = {
        "report": "laporan_pasca_bencana",
        "generated_at": _iso(now or datetime.now(UTC)),
        "as_of": _iso(as_of),
        "as_of_local": as_of.astimezone(tz).isoformat(),
        "timezone": str(tz),
        "data_seq": snapshot["data_seq"],
        "event": _event_section(session, event, as_of, tz, regions),
        "people": _people_section(snapshot, persons, where, staying, regions, event),
        "shelters": _shelter_section(shelter_rows, snapshot, occ, as_of, tz, regions),
        "needs": _needs_section(session, snapshot, inputs),
        "distributions": _distribution_section(session, event.id, as_of),
        "indicator": _indicator_section(snapshot),
        "services": _service_section(session, event.id, as_of),
        "tracing": _tracing_section(session, event.id, as_of),
    }
    note("menyusun bagian", 1, 1)
    report["daily"] = _daily_section(session, event, inputs, snapshot, as_of, tz, note)
    report["unmet_total"] = len(snapshot["unmet"])
    if with_names:
        report["unmet"] = _unmet_section(session, event.id, snapshot, persons, occ, report["shelters"], regions)
    return report


def _unmet_section(session: Session, event_id: str, snapshot: dict[str, Any], persons: list[Any], occ: dict[str, Any],
                   shelters: list[dict[str, Any]], regions: Any) -> list[dict[str, Any]]:
    """The persons not fulfilled, with what tells namesakes apart (age, household head, where they stay:
    the shelter they are in at as_of, else the kelurahan of their household)."""
    by_id = {p.id: p for p in persons}
    heads = reports_repo.household_heads(session, event_id)
    shelter_names = {s["id"]: s["name"] for s in shelters}
    shelter_of = {pid: sid for sid, o in occ.items() for pid in o.occupants}
    out = []
    for u in snapshot["unmet"]:
        p = by_id.get(u["person_id"])
        sid = shelter_of.get(u["person_id"])
        out.append({"person_id": u["person_id"], "name": p.name if p else None, "missing": u["missing"],
                    "age": p.age if p else None,
                    "household_head": heads.get(p.household_id) if p and p.household_id else None,
                    "shelter_name": shelter_names.get(sid) if sid else None,
                    "kelurahan_name": regions.name(p.kelurahan_code) if p and p.kelurahan_code else None})
    return out


# ---------------------------------------------------------------- sections

def _tracing_section(session: Session, event_id: str, as_of: datetime) -> dict[str, int]:
    """Tracing requests of the event as of the report's instant, counted (no names: every role reading the
    report may see it): sought (every request filed by then), found, reunited, still missing, closed,
    children separated and reunited (docs/rules.md, "Tracing requests"). Each request's status at `as_of`
    comes from the instants it keeps (found, reunited, closed), which are its whole history."""
    by = tracing_repo.kind_status_counts_at(session, event_id, as_of)
    n = {s: sum(v for (_, st), v in by.items() if st == s) for s in ("dicari", "ditemukan", "dipertemukan", "ditutup")}
    return {"sought": sum(by.values()), "found": n["ditemukan"] + n["dipertemukan"], "reunited": n["dipertemukan"],
            "still_missing": n["dicari"], "closed": n["ditutup"],
            "children_separated": sum(v for (k, _), v in by.items() if k == "keluarga"),
            "children_reunited": by.get(("keluarga", "dipertemukan"), 0)}


def _event_section(session: Session, event: Event, as_of: datetime, tz: ZoneInfo, regions: Any) -> dict[str, Any]:
    history = [
        {"at": _iso(at), "action": action, "label": STATUS_ACTIONS.get(action, action)}
        for at, action in reports_repo.status_changes(session, event.id, STATUS_ACTIONS)
    ]
    start_local = event.started_at.astimezone(tz).date()
    last_local = as_of.astimezone(tz).date()
    return {
        "id": event.id,
        "name": event.name,
        "kind": event.kind,
        "category": event.category,
        "status": event.status,
        "standard_code": event.standard_code,
        "standard_version": event.standard_version,
        "started_at": _iso(event.started_at),
        "ended_at": _iso(event.ended_at),
        "start_date": start_local.isoformat(),
        "end_date": _local_date(event.ended_at, tz),
        "year": start_local.year,
        "days": max(0, (last_local - start_local).days + 1),
        "kelurahan": [{"code": code, "name": regions.name(code), "kecamatan_code": regions.parent(code),
                       "kecamatan_name": regions.name(regions.parent(code))} for code in event.kelurahan_codes],
        "status_history": history,
        "number_in_year": _number_in_year(session, event, tz),
    }


def _number_in_year(session: Session, event: Event, tz: ZoneInfo) -> int:
    """The event's ordinal among the events that started in its local year ({seq} of the document number)."""
    local = event.started_at.astimezone(tz)
    year_start = datetime(local.year, 1, 1, tzinfo=tz)
    return reports_repo.events_started_before(session, year_start, event) + 1


def _people_section(snapshot: dict[str, Any], persons: list[Any], where: dict[str, str], staying: StayingNow,
                    regions: Any, event: Event) -> dict[str, Any]:
    people = dict(snapshot["people"])
    by_condition = Counter(p.condition for p in persons)
    people["by_condition"] = {c: by_condition.get(c, 0) for c in ("selamat", "luka", "hilang", "meninggal")}
    ages = Counter(p.age_group for p in persons)
    people["by_age_group"] = {g: ages.get(g, 0) for g in AGE_GROUPS}
    sex_age = Counter((p.sex, p.age_group) for p in persons)
    people["by_sex_age_group"] = {s: {g: sex_age.get((s, g), 0) for g in AGE_GROUPS} for s in ("L", "P")}
    people["needs_psychosocial"] = sum(1 for p in persons if p.psychosocial)
    rows: dict[str, dict[str, Any]] = {}

    def row(code: str) -> dict[str, Any]:
        found = rows.get(code)
        if found is None:
            found = rows[code] = {"kelurahan_code": code, "kelurahan_name": regions.name(code) if code else
                                  "tidak diketahui", "kecamatan_name": regions.name(regions.parent(code)),
                                  "registered": 0, **dict.fromkeys(STANDINGS, 0), "in_shelters_now": 0,
                                  "mandiri_now": 0, "injured": 0, "L": 0, "P": 0,
                                  **dict.fromkeys(AGE_GROUPS, 0)}
        return found

    for code in event.kelurahan_codes:
        row(code)
    for p in persons:
        r = row(p.kelurahan_code)
        r["registered"] += 1
        r[where[p.id]] += 1
        if where[p.id] == "displaced_now":
            r["in_shelters_now"] += p.id in staying.in_shelters
            r["mandiri_now"] += p.id in staying.mandiri
        if p.condition == "luka":
            r["injured"] += 1
        if p.sex in ("L", "P"):
            r[p.sex] += 1
        r[p.age_group] += 1
    ordered = [rows[c] for c in event.kelurahan_codes]
    ordered += sorted((r for c, r in rows.items() if c not in event.kelurahan_codes and c != UNKNOWN_AREA),
                      key=lambda r: r["kelurahan_code"])
    if UNKNOWN_AREA in rows and UNKNOWN_AREA not in event.kelurahan_codes:
        ordered.append(rows[UNKNOWN_AREA])
    people["by_kelurahan"] = ordered
    people["displaced_by_kelurahan"] = _displaced_by_kelurahan(persons, where, staying, regions, event)
    return people


def _displaced_by_kelurahan(persons: list[Any], where: dict[str, str], staying: StayingNow, regions: Any,
                          event: Event) -> list[dict[str, Any]]:
    """Per kelurahan where displaced persons stay at `as_of`: shelter residents (by their shelter's
    kelurahan) and mandiri persons (by their stay's), side by side; missing and dead persons are not
    counted, like `displaced_now`. The event's kelurahan first, then the others by code."""
    counts: dict[str, list[int]] = {code: [0, 0] for code in event.kelurahan_codes}
    for p in persons:
        if where[p.id] != "displaced_now":
            continue
        for code in staying.in_shelters.get(p.id, ()):
            counts.setdefault(code, [0, 0])[0] += 1
        for code in staying.mandiri.get(p.id, ()):
            counts.setdefault(code, [0, 0])[1] += 1
    order = list(event.kelurahan_codes) + sorted(c for c in counts if c not in event.kelurahan_codes)
    return [{"kelurahan_code": code, "kelurahan_name": regions.name(code) if code else "tidak diketahui",
             "kecamatan_name": regions.name(regions.parent(code)), "in_shelters_now": counts[code][0],
             "mandiri_now": counts[code][1]}
            for code in order]


def _shelter_section(shelter_rows: list[Any], snapshot: dict[str, Any], occ: dict[str, Any], as_of: datetime,
                     tz: ZoneInfo, regions: Any) -> list[dict[str, Any]]:
    rows = {s.id: s for s in shelter_rows}
    as_of_local = as_of.astimezone(tz).date()
    out = []
    for snap in snapshot["shelters"]:
        sh = rows[snap["id"]]
        closed = sh.closed_at if sh.closed_at is not None and sh.closed_at <= as_of else None
        opened_day = sh.opened_at.astimezone(tz).date()
        last_day = closed.astimezone(tz).date() if closed is not None else as_of_local
        o = occ.get(sh.id)
        peak_at = datetime.fromtimestamp(o.peak_at, UTC) if o is not None and o.peak_at is not None else None
        out.append({
            "id": sh.id,
            "name": sh.name,
            "kind": sh.kind,
            "kelurahan_code": sh.kelurahan_code,
            "kelurahan_name": regions.name(sh.kelurahan_code),
            "opened_at": _iso(sh.opened_at),
            "closed_at": _iso(closed),
            "opened_date": opened_day.isoformat(),
            "closed_date": closed.astimezone(tz).date().isoformat() if closed is not None else None,
            "days_open": max(0, (last_day - opened_day).days + 1) if sh.opened_at <= as_of else 0,
            "capacity_persons": snap["capacity_persons"],
            "occupants": snap["occupants"],
            "peak_occupancy": o.peak if o is not None else 0,
            "peak_at": _iso(peak_at),
            "peak_date": peak_at.astimezone(tz).date().isoformat() if peak_at is not None else None,
            "persons_served": o.served if o is not None else 0,
            "covered_area_m2": sh.covered_area_m2,
            "toilets": sh.toilets,
            "covered_area_ok": snap["covered_area_ok"],
            "toilets_ok": snap["toilets_ok"],
            "meals_due_today": snap["meals_due_today"],
            "meals_delivered_today": snap["meals_delivered_today"],
        })
    return out


def _needs_section(session: Session, snapshot: dict[str, Any], inputs: NeedsInputs) -> list[dict[str, Any]]:
    names = reports_repo.item_names(session)
    rules = {i.code: i for i in inputs.profile.items}
    out = []
    for need in snapshot["needs"]:
        rule = rules.get(need["item_code"])
        out.append({"item_code": need["item_code"], "item_name": names.get(need["item_code"], ("", ""))[0],
                    "unit": need["unit"], "basis": rule.basis if rule else None,
                    "rate": rule.rate if rule else None, "service": rule.service if rule else None,
                    "required": need["required"], "delivered": need["delivered"], "gap": need["gap"],
                    "coverage_percent": need["coverage_percent"]})
    return out


def _distribution_section(session: Session, event_id: str, as_of: datetime) -> list[dict[str, Any]]:
    names = reports_repo.item_names(session)
    return [{"item_code": t.item_code, "item_name": names.get(t.item_code, ("", ""))[0],
             "unit": names.get(t.item_code, ("", ""))[1], "records": t.records, "quantity": t.quantity}
            for t in reports_repo.distribution_totals(session, event_id, as_of)]


def _indicator_section(snapshot: dict[str, Any]) -> dict[str, Any]:
    ind = snapshot["indicator"]
    return {**{k: v for k, v in ind.items() if k != "services"},
            "services": {code: {**ind["services"][code],
                                "percent": percent(ind["services"][code]["fulfilled"], ind["services"][code]["eligible"])}
                         for code in SERVICES}}


def _service_section(session: Session, event_id: str, as_of: datetime) -> list[dict[str, Any]]:
    found = reports_repo.service_totals(session, event_id, as_of)
    kinds = ["penanganan_khusus", "psikososial"] + sorted(k for k in found if k not in ("penanganan_khusus", "psikososial"))
    return [{"kind": k, "records": found[k].records if k in found else 0,
             "persons": found[k].persons if k in found else 0} for k in kinds]


def _daily_section(session: Session, event: Event, inputs: NeedsInputs, snapshot: dict[str, Any], as_of: datetime,
                   tz: ZoneInfo, note: Progress) -> list[dict[str, Any]]:
    first = event.started_at.astimezone(tz).date()
    last = as_of.astimezone(tz).date()
    if last < first:
        return []
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    stored = {row.local_date: row for row in status_repo.daily(session, event.id)}
    note("menghitung seri harian", 0, len(days))
    ind = snapshot["indicator"]
    counts: list[tuple[int, int, int]] | None = []
    if any(day not in stored for day in days[:-1]):
        inputs = with_daily_sandang(session, event.id, inputs, as_of, tz)
        counts = daily_counts(inputs, first, as_of, tz)
        if counts is not None and counts[-1] != (snapshot["people"]["displaced_now"], ind["eligible"],
                                                 ind["fulfilled"]):
            log.warning("daily series of event %s disagrees with the engine at as_of; computing day by day",
                        event.id)
            counts = None
        if counts is None:
            counts = _engine_per_day(inputs, days, stored, as_of, tz, note)
    assert counts is not None
    out = []
    for i, day in enumerate(days):
        if day == last:
            at, source = as_of, "computed"
            displaced, eligible, fulfilled = snapshot["people"]["displaced_now"], ind["eligible"], ind["fulfilled"]
        elif day in stored:
            row = stored[day]
            at, source = row.as_of, "stored"
            displaced = row.body["people"]["displaced_now"]
            eligible, fulfilled = row.body["indicator"]["eligible"], row.body["indicator"]["fulfilled"]
        else:
            at, source = _day_end(day, tz), "computed"
            displaced, eligible, fulfilled = counts[i]
        out.append({"date": day.isoformat(), "as_of": _iso(at), "displaced": displaced, "eligible": eligible,
                    "fulfilled": fulfilled, "fulfilled_percent": percent(fulfilled, eligible), "source": source})
    note("menghitung seri harian", len(days), len(days))
    return out


def _engine_per_day(inputs: NeedsInputs, days: list[Any], stored: dict[Any, Any], as_of: datetime, tz: ZoneInfo,
                    note: Progress) -> list[tuple[int, int, int]]:
    """The series the slow way: the engine at the end of each day without a stored snapshot."""
    stays = sorted(inputs.stays, key=lambda s: seconds(s.check_in))
    stay_ts = [seconds(s.check_in) for s in stays]
    deliveries = sorted(inputs.deliveries, key=lambda d: seconds(d.delivered_at))
    delivery_ts = [seconds(d.delivered_at) for d in deliveries]
    services = sorted(inputs.services, key=lambda s: seconds(s.delivered_at))
    service_ts = [seconds(s.delivered_at) for s in services]
    out = []
    for i, day in enumerate(days):
        note("menghitung seri harian", i, len(days))
        if day in stored or i == len(days) - 1:
            out.append((0, 0, 0))  # taken from the stored snapshot, or the report's own
            continue
        at = _day_end(day, tz)
        cut = at.timestamp()
        snap = compute_snapshot(inputs.event, inputs.profile, inputs.persons, inputs.shelters,
                                stays[:bisect_right(stay_ts, cut)], deliveries[:bisect_right(delivery_ts, cut)],
                                services[:bisect_right(service_ts, cut)], at, tz, details=False)
        out.append((snap["people"]["displaced_now"], snap["indicator"]["eligible"], snap["indicator"]["fulfilled"]))
    return out


__all__ = ["build_event_report", "daily_series", "report_as_of"]
