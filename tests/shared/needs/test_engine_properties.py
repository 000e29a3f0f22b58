"""Property-based tests of the needs engine on random small events (a few shelters, persons, stays —
shelter and mandiri —, deliveries to shelters, households and persons, and services over a few days),
including a comparison with a slow, literal reading of docs/rules.md that loops over every meal time
and person."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from math import floor
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.needs.engine import compute_snapshot
from shared.needs.model import SERVICES, VULNERABILITIES, DeliveryIn, EventIn, ServiceIn, StayIn

from .builders import TZ, at, person, profile, profile_body, shelter

SETTINGS = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
BASE = at(1, 0)
QUANTITIES = (0.1, 0.5, 1.0, 2.0, 3.0, 4.0)


def _edited_profile():
    body = profile_body()
    body["meal_times_local"] = ["08:00", "17:00"]
    body["items"][0]["rate"] = 2
    return profile("spm_binjai", body)


PROFILES = {"spm_binjai": profile("spm_binjai"), "bnpb_perka_7_2008": profile("bnpb_perka_7_2008"),
            "sphere_2018": profile("sphere_2018"), "edited": _edited_profile()}


MEAL_HOURS = [day * 24 + h for day in range(4) for h in (7, 8, 12, 17, 18)]  # both profiles' meal times


def instant(hours: int, half: bool) -> datetime:
    """Hours from Jan 1 00:00 local, on the hour or at half past."""
    return BASE + timedelta(hours=hours, minutes=30 if half else 0)


def moments(max_hours: int = 80) -> st.SearchStrategy[datetime]:
    """Instants over a few days, often exactly at a meal time (where the boundaries of the rules lie)."""
    return st.one_of(st.builds(instant, st.integers(0, max_hours), st.booleans()),
                     st.builds(instant, st.sampled_from([h for h in MEAL_HOURS if h <= max_hours]), st.just(False)))


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    prof = PROFILES[draw(st.sampled_from(sorted(PROFILES)))]
    n_shelters = draw(st.integers(1, 3))
    shelters = [shelter(f"s{i}", capacity=draw(st.integers(0, 10)),
                        area=draw(st.sampled_from([None, 0.0, 3.5, 10.0, 35.0])),
                        toilets=draw(st.sampled_from([None, 0, 1, 2])),
                        kelurahan=draw(st.sampled_from([None, "K1", "K2"]))) for i in range(n_shelters)]
    n_persons = draw(st.integers(1, 7))
    regs = [None, at(1, 1), at(1, 2), at(1, 2), at(1, 3)]
    persons = [person(f"p{i}", draw(st.sampled_from([None, "h0", "h0", "h0", "h1"])), sex=draw(st.sampled_from("LP")),
                      condition=draw(st.sampled_from(["selamat", "selamat", "selamat", "luka", "hilang", "meninggal"])),
                      vulns=draw(st.sets(st.sampled_from(VULNERABILITIES), max_size=2)),
                      psy=draw(st.booleans()), registered=draw(st.sampled_from(regs)))
               for i in range(n_persons)]
    stays = []
    for p in persons:  # most persons have one stay; some none, some two (a transfer, or overlapping)
        for _ in range(draw(st.sampled_from([0, 1, 1, 1, 2]))):
            start, end = draw(moments()), draw(st.one_of(st.none(), moments()))
            if end is not None and end < start:
                start, end = end, start
            if draw(st.integers(0, 3)) == 0:  # a mandiri stay: with relatives, no shelter
                stays.append(StayIn(person_id=p.id, shelter_id=None, check_in=start, check_out=end,
                                    kelurahan_code=draw(st.sampled_from([None, "K1", "K3"]))))
                continue
            stays.append(StayIn(person_id=p.id, shelter_id=f"s{draw(st.integers(0, n_shelters - 1))}",
                                check_in=start, check_out=end))
    deliveries = [draw(delivery(prof, n_shelters, n_persons)) for _ in range(draw(st.integers(0, 12)))]
    services = [ServiceIn(person_id=f"p{draw(st.integers(0, n_persons - 1))}",
                          kind=draw(st.sampled_from(["penanganan_khusus", "psikososial"])),
                          delivered_at=draw(moments()))
                for _ in range(draw(st.integers(0, 5)))]
    as_of = draw(st.one_of(moments(84), st.builds(instant, st.integers(60, 84), st.booleans())))
    return {"event": EventIn(id="ev", started_at=BASE, standard_code=prof.code, data_seq=3), "profile": prof,
            "persons": persons, "shelters": shelters, "stays": stays, "deliveries": deliveries,
            "services": services, "as_of": as_of, "tz": TZ}


def delivery(prof, n_shelters: int, n_persons: int, max_hours: int = 80) -> st.SearchStrategy[DeliveryIn]:
    """Any delivery, biased to what decides services: meals to a shelter in amounts that often just cover a
    shelter-day, meals to a household or person (mandiri stays), and sandang to persons and households."""
    codes = [i.code for i in prof.items] + ["uang_tunai"]
    meal = prof.item_for("permakanan").code
    sandang = prof.item_for("sandang").code

    @st.composite
    def build(draw: st.DrawFn) -> DeliveryIn:
        when = draw(moments(max_hours))
        kind = draw(st.sampled_from(["meals", "meals", "home_meals", "sandang", "any"]))
        if kind == "meals":
            return DeliveryIn(item_code=meal, quantity=float(draw(st.integers(1, 6))), delivered_at=when,
                              shelter_id=f"s{draw(st.integers(0, n_shelters - 1))}")
        if kind == "home_meals":  # to a household or a person, no shelter: meals of mandiri stays
            if draw(st.booleans()):
                return DeliveryIn(item_code=meal, quantity=float(draw(st.integers(1, 6))), delivered_at=when,
                                  household_id=draw(st.sampled_from(["h0", "h0", "h1", "h2"])))
            return DeliveryIn(item_code=meal, quantity=float(draw(st.integers(1, 4))), delivered_at=when,
                              person_id=f"p{draw(st.integers(0, n_persons - 1))}")
        if kind == "sandang" and draw(st.booleans()):  # a few packages for a household, seldom all its members
            return DeliveryIn(item_code=sandang, quantity=draw(st.sampled_from([1.0, 1.0, 2.0, 2.0, 3.0])),
                              delivered_at=when, household_id="h0")
        if kind == "sandang":
            target = draw(st.sampled_from(["person", "household"]))
        else:
            target = draw(st.sampled_from(["shelter", "person", "household", "none"]))
        return DeliveryIn(
            item_code=sandang if kind == "sandang" else draw(st.sampled_from(codes)),
            quantity=draw(st.sampled_from(QUANTITIES)), delivered_at=when,
            shelter_id=f"s{draw(st.integers(0, n_shelters - 1))}" if target == "shelter" else None,
            person_id=f"p{draw(st.integers(0, n_persons - 1))}" if target == "person" else None,
            household_id=draw(st.sampled_from(["h0", "h0", "h1", "h2"])) if target == "household" else None)
    return build()


# ---- a literal reading of the rules ---------------------------------------------------------------------


def _dec(x: float) -> Fraction:
    return Fraction(str(x))


def _pct(part: Fraction, whole: Fraction) -> float | None:
    if whole == 0:
        return None
    with localcontext() as ctx:
        ctx.prec = 60
        value = Decimal(part.numerator * whole.denominator * 100) / Decimal(part.denominator * whole.numerator)
        return float(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def reference_snapshot(event, profile, persons, shelters, stays, deliveries, services, as_of, tz) -> dict:
    """docs/rules.md read word by word: slow loops over every meal time, shelter and person."""
    def local(dt: datetime) -> date:
        return dt.astimezone(tz).date()

    known = {p.id for p in persons}
    stays = [s for s in stays if s.check_in <= as_of and s.person_id in known]
    deliveries = [d for d in deliveries if d.delivered_at <= as_of]
    services = [v for v in services if v.delivered_at <= as_of]

    def is_open(s: StayIn) -> bool:
        return s.check_out is None or s.check_out > as_of

    def contains(s: StayIn, t: datetime) -> bool:
        return s.check_in <= t and (t <= as_of if s.check_out is None or s.check_out > as_of else t < s.check_out)

    today = local(as_of)
    first = min([local(s.check_in) for s in stays] + [today])
    days = [first + timedelta(days=i) for i in range((today - first).days + 1)]
    meal_times = [(d, datetime.combine(d, mt, tzinfo=tz)) for d in days for mt in profile.meal_times]
    meal_times = [(d, t) for d, t in meal_times if t <= as_of]
    n = len(profile.meal_times)

    def present_ids(sid: str, t: datetime) -> set[str]:
        return {s.person_id for s in stays if s.shelter_id == sid and contains(s, t)}

    def due(rate: float, sid: str, d: date) -> Fraction:
        return _dec(rate) / n * sum(len(present_ids(sid, t)) for dd, t in meal_times if dd == d)

    # "Mandiri stays": meals per household (a person without one is their own unit)
    household_of = {p.id: p.household_id for p in persons}

    def unit(pid: str) -> tuple[str, str]:
        hid = household_of[pid]
        return ("h", hid) if hid is not None else ("p", pid)

    def present_mandiri_ids(u: tuple[str, str], t: datetime) -> set[str]:
        return {s.person_id for s in stays if s.shelter_id is None and unit(s.person_id) == u and contains(s, t)}

    def due_home(rate: float, u: tuple[str, str], d: date) -> Fraction:
        return _dec(rate) / n * sum(len(present_mandiri_ids(u, t)) for dd, t in meal_times if dd == d)

    units = list(dict.fromkeys(unit(s.person_id) for s in stays if s.shelter_id is None))
    shelter_ids = list(dict.fromkeys([s.id for s in shelters] + [s.shelter_id for s in stays
                                                                 if s.shelter_id is not None]))
    with_stay = {s.person_id for s in stays}
    displaced = [p for p in persons if p.id in with_stay]
    perm = profile.item_for("permakanan")
    sandang = profile.item_for("sandang")

    def perm_delivered(sid: str, d: date) -> Fraction:
        return sum((_dec(x.quantity) for x in deliveries
                    if perm and x.item_code == perm.code and x.shelter_id == sid and local(x.delivered_at) == d),
                   Fraction(0))

    def home_delivered(u: tuple[str, str], d: date) -> Fraction:
        """Meals with no shelter to the household itself or to any member (the household on the person)."""
        return sum((_dec(x.quantity) for x in deliveries
                    if perm and x.item_code == perm.code and x.shelter_id is None and local(x.delivered_at) == d
                    and ((x.person_id is None and x.household_id is not None and u == ("h", x.household_id))
                         or (x.person_id in household_of and unit(x.person_id) == u))),
                   Fraction(0))

    def permakanan_met(pid: str) -> bool:
        if perm is None:
            return True
        for sid in shelter_ids:
            for d, t in meal_times:
                if pid in present_ids(sid, t) and perm_delivered(sid, d) < due(perm.rate, sid, d):
                    return False
        for u in units:
            for d, t in meal_times:
                if pid in present_mandiri_ids(u, t) and home_delivered(u, d) < due_home(perm.rate, u, d):
                    return False
        return True

    def sandang_met(p) -> bool:
        if sandang is None:
            return True
        rate = _dec(sandang.rate)
        own = sum((_dec(x.quantity) for x in deliveries if x.item_code == sandang.code and x.person_id == p.id),
                  Fraction(0))
        if own >= rate:
            return True
        if p.household_id is None:
            return False
        members = sorted((q for q in persons if q.household_id == p.household_id),
                         key=lambda q: (q.registered_at is None, q.registered_at or BASE, q.id))
        q_total = sum((_dec(x.quantity) for x in deliveries if x.item_code == sandang.code
                       and x.household_id == p.household_id and x.person_id is None), Fraction(0))
        return p.id in [m.id for m in members[:max(0, floor(q_total / rate))]]

    got_service = {(v.person_id, v.kind) for v in services}
    eligible_persons = [p for p in displaced if p.condition not in ("hilang", "meninggal")]
    svc = {code: [0, 0] for code in SERVICES}
    unmet = []
    for p in eligible_persons:
        checks = {"permakanan": permakanan_met(p.id), "sandang": sandang_met(p)}
        if any(s.person_id == p.id and s.shelter_id is not None for s in stays):
            checks["tempat_penampungan"] = True
        if p.vulnerabilities & set(VULNERABILITIES):
            checks["penanganan_khusus"] = (p.id, "penanganan_khusus") in got_service
        if p.needs_psychosocial:
            checks["psikososial"] = (p.id, "psikososial") in got_service
        for code, met in checks.items():
            svc[code][0] += 1
            svc[code][1] += met
        missing = [code for code in SERVICES if code in checks and not checks[code]]
        if missing:
            unmet.append({"person_id": p.id, "missing": missing})
    fulfilled = len(eligible_persons) - len(unmet)

    needs = []
    for item in profile.items:
        rate = _dec(item.rate)
        if item.basis == "per_person_day":
            required = sum((due(item.rate, sid, d) for sid in shelter_ids for d in days), Fraction(0))
            required += sum((due_home(item.rate, u, d) for u in units for d in days), Fraction(0))
        elif item.basis == "per_person_once":
            required = rate * len(displaced)
        elif item.basis == "per_household_once":
            required = rate * len({p.household_id for p in displaced if p.household_id is not None})
        else:
            required = rate * sum(1 for p in displaced if p.vulnerabilities & set(item.applies_to))
        got = sum((_dec(x.quantity) for x in deliveries if x.item_code == item.code), Fraction(0))
        needs.append({"item_code": item.code, "unit": item.unit, "required": float(required),
                      "delivered": float(got), "gap": float(max(Fraction(0), required - got)),
                      "coverage_percent": _pct(got, required)})

    rows = []
    for sh in shelters:
        occupants = len({s.person_id for s in stays if s.shelter_id == sh.id and is_open(s)})
        rows.append({
            "id": sh.id, "name": sh.name, "occupants": occupants, "capacity_persons": sh.capacity_persons,
            "meals_due_today": float(due(perm.rate, sh.id, today)) if perm else 0.0,
            "meals_delivered_today": float(perm_delivered(sh.id, today)),
            "covered_area_ok": None if sh.covered_area_m2 is None
            else _dec(sh.covered_area_m2) >= occupants * _dec(profile.covered_area_m2_per_person),
            "toilets_ok": None if sh.toilets is None else sh.toilets * _dec(profile.persons_per_toilet) >= occupants,
        })

    # docs/rules.md, "What is missing now", read literally
    def failed_days(pid: str) -> list[tuple[date, str | None]]:
        if perm is None:
            return []
        found = set()
        for sid in shelter_ids:
            for d, t in meal_times:
                if pid in present_ids(sid, t) and perm_delivered(sid, d) < due(perm.rate, sid, d):
                    found.add((d, sid))
        for u in units:
            for d, t in meal_times:
                if pid in present_mandiri_ids(u, t) and home_delivered(u, d) < due_home(perm.rate, u, d):
                    found.add((d, None))
        return sorted(found, key=lambda x: (-x[0].toordinal(), -1 if x[1] is None else shelter_ids.index(x[1])))

    def latest_place(pid: str) -> dict | None:
        best = None
        for st_ in [s for s in stays if s.shelter_id is not None] + [s for s in stays if s.shelter_id is None]:
            if st_.person_id != pid:
                continue
            # the latest check-in; at one instant a shelter stay, then the shelter listed later (or the greater
            # kelurahan code), then an open stay (docs/rules.md, "What is missing now")
            where = shelter_ids.index(st_.shelter_id) if st_.shelter_id is not None else (st_.kelurahan_code or "")
            key = (st_.check_in, st_.shelter_id is not None, where, is_open(st_))
            if best is None or key > best[0]:
                best = (key, st_)
        if best is None:
            return None
        st_ = best[1]
        return {"kind": "shelter" if st_.shelter_id else "mandiri", "shelter_id": st_.shelter_id,
                "kelurahan_code": None if st_.shelter_id else st_.kelurahan_code, "open": is_open(st_)}

    by_id = {p.id: p for p in persons}
    for u in unmet:
        p = by_id[u["person_id"]]
        days_failed = failed_days(p.id) if "permakanan" in u["missing"] else []
        u.update({"vulnerabilities": sorted(p.vulnerabilities),
                  "place": latest_place(p.id),
                  "meal_days": [{"date": d.isoformat(), "shelter_id": sid} for d, sid in days_failed[:3]],
                  "meal_days_total": len(days_failed),
                  "items_missing": [sandang.code] if sandang is not None and "sandang" in u["missing"] else []})
    today_times = [t for d, t in meal_times if d == today]
    present_today = {p.id for p in eligible_persons
                     if any(p.id in present_ids(sid, t) for sid in shelter_ids for t in today_times)
                     or any(p.id in present_mandiri_ids(u, t) for u in units for t in today_times)}
    fed_today = {pid for pid in present_today if all(d != today for d, _ in failed_days(pid))}
    today_section = {"date": today.isoformat(), "permakanan": {
        "eligible": len(present_today), "fulfilled": len(fed_today),
        "percent": _pct(Fraction(len(fed_today)), Fraction(len(present_today)))}}

    def meals_today(sid: str) -> list[dict]:
        if perm is None or not n:
            return []
        times = sorted(profile.meal_times)
        instants = [datetime.combine(today, mt, tzinfo=tz) for mt in times]
        got = [Fraction(0)] * len(times)
        for x in deliveries:
            if x.item_code == perm.code and x.shelter_id == sid and local(x.delivered_at) == today:
                k = next((i for i, t in enumerate(instants) if t >= x.delivered_at), len(times) - 1)
                got[k] += _dec(x.quantity)
        return [{"time": mt.strftime("%H:%M"), "passed": t <= as_of,
                 "due": float(_dec(perm.rate) / n * len(present_ids(sid, t))) if t <= as_of else 0.0,
                 "delivered": float(got[k])} for k, (mt, t) in enumerate(zip(times, instants, strict=True))]

    def residents(sid: str) -> list:
        ids = {s.person_id for s in stays if s.shelter_id == sid and is_open(s)}
        return [p for p in persons if p.id in ids and p.condition not in ("hilang", "meninggal")]

    def in_order(hid: str) -> list:
        return sorted((q for q in persons if q.household_id == hid),
                      key=lambda q: (q.registered_at is None, q.registered_at or BASE, q.id))

    def lacking_items(sid: str) -> list[dict]:
        out = []
        for item in profile.items:
            rate = _dec(item.rate)
            if item.basis not in ("per_person_once", "per_vulnerable_once", "per_household_once") or rate <= 0:
                continue
            mine = [x for x in deliveries if x.item_code == item.code]
            pool = sum((_dec(x.quantity) for x in mine if x.shelter_id == sid and x.person_id is None
                        and x.household_id is None), Fraction(0))
            if item.basis == "per_household_once":
                homes = {}
                for sid2 in shelter_ids:
                    for r in residents(sid2):
                        if r.household_id is not None:
                            homes.setdefault(r.household_id, sid2)
                missing = 0
                for hid, home in homes.items():
                    members = {q.id for q in persons if q.household_id == hid}
                    total = sum((_dec(x.quantity) for x in mine if (x.person_id is None and x.household_id == hid)
                                 or x.person_id in members), Fraction(0))
                    missing += home == sid and total < rate
            else:
                def applies(q, item=item) -> bool:
                    return item.basis == "per_person_once" or bool(q.vulnerabilities & set(item.applies_to))

                def provided(q, item=item, mine=mine, rate=rate) -> bool:
                    if sandang is not None and item.code == sandang.code:
                        return sandang_met(q)
                    if sum((_dec(x.quantity) for x in mine if x.person_id == q.id), Fraction(0)) >= rate:
                        return True
                    if q.household_id is None:
                        return False
                    q_total = sum((_dec(x.quantity) for x in mine if x.person_id is None
                                   and x.household_id == q.household_id), Fraction(0))
                    n_places = floor(q_total / rate) if q_total > 0 else 0
                    return q.id in [m.id for m in in_order(q.household_id) if applies(m)][:n_places]
                missing = sum(1 for r in residents(sid) if applies(r) and not provided(r))
            lacking = max(0, missing - (floor(pool / rate) if pool > 0 else 0))
            if lacking:
                out.append({"item_code": item.code, "unit": item.unit, "quantity": float(rate * lacking)})
        return out

    for row in rows:
        row["meals_today"] = meals_today(row["id"])
        row["lacking_items"] = lacking_items(row["id"])
        row["unmet_persons"] = sum(1 for u in unmet if u["place"] and u["place"]["shelter_id"] == row["id"])

    gone = ("hilang", "meninggal")
    open_ids = {s.person_id for s in stays if is_open(s)}
    here = {p.id for p in persons if p.condition not in gone}
    area = {sh.id: sh.kelurahan_code or "" for sh in shelters}
    staying: dict[str, list[set[str]]] = {}
    for s in stays:
        if is_open(s) and s.person_id in here:
            code = (s.kelurahan_code or "") if s.shelter_id is None else area.get(s.shelter_id, "")
            staying.setdefault(code, [set(), set()])[s.shelter_id is None].add(s.person_id)
    return {
        "event_id": event.id, "data_seq": event.data_seq, "as_of": as_of.astimezone(UTC).isoformat(), "standard_code": event.standard_code,
        "people": {
            "registered": len(persons),
            "displaced_now": sum(1 for p in persons if p.condition not in gone and p.id in open_ids),
            "in_shelters_now": len({s.person_id for s in stays if is_open(s) and s.shelter_id is not None} & here),
            "mandiri_now": len({s.person_id for s in stays if is_open(s) and s.shelter_id is None} & here),
            "staying_by_kelurahan": [{"kelurahan_code": code, "in_shelters_now": len(res), "mandiri_now": len(man)}
                                     for code, (res, man) in sorted(staying.items())],
            "returned": sum(1 for p in persons if p.condition not in gone and p.id in with_stay - open_ids),
            "affected": sum(1 for p in persons if p.condition not in gone and p.id not in with_stay),
            "injured": sum(1 for p in persons if p.condition == "luka"),
            "missing": sum(1 for p in persons if p.condition == "hilang"),
            "dead": sum(1 for p in persons if p.condition == "meninggal"),
            "by_sex": {s: sum(1 for p in persons if p.sex == s) for s in ("L", "P")},
            "vulnerable": {v: sum(1 for p in persons if v in p.vulnerabilities) for v in VULNERABILITIES},
        },
        "indicator": {"eligible": len(eligible_persons), "fulfilled": fulfilled,
                      "percent": _pct(Fraction(fulfilled), Fraction(len(eligible_persons))),
                      "target_percent": event.target_percent,
                      "services": {code: {"eligible": e, "fulfilled": f} for code, (e, f) in svc.items()},
                      "today": today_section},
        "needs": needs,
        "shelters": rows,
        "unmet": sorted(unmet, key=lambda u: u["person_id"]),
    }


# ---- properties ---------------------------------------------------------------------------------------


@SETTINGS
@given(scenarios())
def test_engine_agrees_with_a_literal_reading_of_the_rules(sc: dict[str, Any]) -> None:
    """The fast engine (bisect, difference arrays, prefix sums) gives exactly what the slow, literal
    reading of docs/rules.md gives."""
    assert compute_snapshot(**sc) == reference_snapshot(**sc)


@st.composite
def household_scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """One household of 2–6 members, all in a shelter, with household- and person-level sandang."""
    prof = PROFILES[draw(st.sampled_from(["spm_binjai", "sphere_2018"]))]  # sandang rate 1 and 2
    regs = [None, at(1, 1), at(1, 2), at(1, 3)]
    persons = [person(f"m{draw(st.integers(0, 99)):02d}-{i}", "H", registered=draw(st.sampled_from(regs)),
                      condition=draw(st.sampled_from(["selamat", "selamat", "luka", "hilang", "meninggal"])))
               for i in range(draw(st.integers(2, 6)))]
    stays = [StayIn(p.id, "s0", at(1, 20)) for p in persons if draw(st.integers(0, 4))]
    deliveries = [DeliveryIn("paket_sandang", draw(st.sampled_from([0.5, 1.0, 2.0, 3.0])), at(1, 21),
                             household_id="H") for _ in range(draw(st.integers(0, 3)))]
    deliveries += [DeliveryIn("paket_sandang", draw(st.sampled_from([1.0, 2.0])), at(1, 21), person_id=p.id)
                   for p in persons if not draw(st.integers(0, 3))]
    return {"event": EventIn(id="ev", started_at=BASE, standard_code=prof.code, data_seq=1), "profile": prof,
            "persons": persons, "shelters": [shelter("s0")], "stays": stays, "deliveries": deliveries,
            "services": [], "as_of": at(1, 23), "tz": TZ}


@SETTINGS
@given(household_scenarios())
def test_household_sandang_agrees_with_a_literal_reading_of_the_rules(sc: dict[str, Any]) -> None:
    """sandang: ⌊Q / rate⌋ places go to the first members by (registered_at, id), whatever their condition
    or personal packages; person-level packages totalling the rate also meet it."""
    assert compute_snapshot(**sc) == reference_snapshot(**sc)


@SETTINGS
@given(scenarios())
def test_fulfilled_never_exceeds_eligible(sc: dict[str, Any]) -> None:
    """fulfilled ≤ eligible overall and per service; unmet lists exactly the eligible persons not fulfilled."""
    snap = compute_snapshot(**sc)
    ind = snap["indicator"]
    assert 0 <= ind["fulfilled"] <= ind["eligible"]
    for code in SERVICES:
        row = ind["services"][code]
        assert 0 <= row["fulfilled"] <= row["eligible"] <= ind["eligible"]
    assert len(snap["unmet"]) == ind["eligible"] - ind["fulfilled"]
    assert (ind["percent"] is None) == (ind["eligible"] == 0)
    people = snap["people"]
    assert (people["displaced_now"] + people["returned"] + people["affected"] + people["missing"] + people["dead"]
            == people["registered"])


@SETTINGS
@given(scenarios(), st.data())
def test_adding_a_delivery_never_lowers_coverage_or_fulfilment(sc: dict[str, Any], data: st.DataObject) -> None:
    """One more distribution (at or before as_of) never lowers delivered, coverage or any fulfilled count,
    and never adds anyone to `unmet`."""
    extra = data.draw(delivery(sc["profile"], len(sc["shelters"]), len(sc["persons"]), max_hours=84))
    if extra.delivered_at > sc["as_of"]:
        extra = extra._replace(delivered_at=sc["as_of"])
    before = compute_snapshot(**sc)
    after = compute_snapshot(**{**sc, "deliveries": [*sc["deliveries"], extra]})
    for old, new in zip(before["needs"], after["needs"], strict=True):
        assert new["required"] == old["required"]
        assert new["delivered"] >= old["delivered"]
        assert new["gap"] <= old["gap"]
        if old["coverage_percent"] is not None:
            assert new["coverage_percent"] >= old["coverage_percent"]
    assert after["indicator"]["fulfilled"] >= before["indicator"]["fulfilled"]
    for code in SERVICES:
        assert after["indicator"]["services"][code]["fulfilled"] >= before["indicator"]["services"][code]["fulfilled"]
    assert {u["person_id"] for u in after["unmet"]} <= {u["person_id"] for u in before["unmet"]}
    for old_row, new_row in zip(before["shelters"], after["shelters"], strict=True):
        assert new_row["meals_delivered_today"] >= old_row["meals_delivered_today"]


@SETTINGS
@given(scenarios(), st.integers(0, 48), st.booleans())
def test_a_later_as_of_never_lowers_what_is_required(sc: dict[str, Any], hours: int, half: bool) -> None:
    """required grows with as_of: more meal times pass, more stays start, nobody stops being displaced."""
    later = sc["as_of"] + timedelta(hours=hours, minutes=30 if half else 0)
    before = compute_snapshot(**sc)
    after = compute_snapshot(**{**sc, "as_of": later})
    for old, new in zip(before["needs"], after["needs"], strict=True):
        assert new["required"] >= old["required"], old["item_code"]
    assert after["indicator"]["eligible"] >= before["indicator"]["eligible"]


@SETTINGS
@given(scenarios(), st.randoms(use_true_random=False))
def test_input_order_does_not_change_the_result(sc: dict[str, Any], rnd: random.Random) -> None:
    """The engine is deterministic: shuffling persons, stays, deliveries and services gives the same snapshot."""
    shuffled = dict(sc)
    for key in ("persons", "stays", "deliveries", "services"):
        items = list(sc[key])
        rnd.shuffle(items)
        shuffled[key] = items
    assert compute_snapshot(**shuffled) == compute_snapshot(**sc)


@SETTINGS
@given(scenarios())
def test_instants_as_posix_seconds_give_the_same_result(sc: dict[str, Any]) -> None:
    """The loader hands instants over as POSIX seconds (no datetime objects): the same snapshot as datetimes."""
    numeric = dict(sc)
    numeric["persons"] = [p._replace(registered_at=None if p.registered_at is None else p.registered_at.timestamp())
                          for p in sc["persons"]]
    numeric["stays"] = [s._replace(check_in=s.check_in.timestamp(),
                                   check_out=None if s.check_out is None else s.check_out.timestamp())
                        for s in sc["stays"]]
    numeric["deliveries"] = [d._replace(delivered_at=d.delivered_at.timestamp()) for d in sc["deliveries"]]
    numeric["services"] = [s._replace(delivered_at=s.delivered_at.timestamp()) for s in sc["services"]]
    assert compute_snapshot(**numeric) == compute_snapshot(**sc)
