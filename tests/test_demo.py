"""`posko demo`: a realistic Binjai flood written through the real write engine, idempotent per seed."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import redirect_stdout
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from services.demo import run_demo
from shared.config import Settings
from shared.db import Database, make_database, read_unit
from shared.domain.identity import nik_problem, nik_sex
from shared.domain.vulnerability import age_at
from shared.models import AuditLog, Distribution, Event, Household, Outbox, Person, Service, Shelter, Stay
from shared.seed import load_json
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parent.parent
WIB = ZoneInfo("Asia/Jakarta")
SEED = 4242
PERSONS = 200


@dataclass
class Loaded:
    settings: Settings
    db: Database
    output: str
    event_id: str


def _event_id(output: str) -> str:
    found = re.search(r"kejadian ([0-9a-f-]{36})", output)
    assert found, output
    return found.group(1)


def _counts(db: Database, event_id: str) -> dict[str, int]:
    out = {}
    with read_unit(db) as s:
        for model in (Shelter, Household, Person, Stay, Distribution, Service, AuditLog, Outbox):
            out[model.__name__] = s.exec(
                select(func.count()).select_from(model).where(col(model.event_id) == event_id)).one()
    return out


def _run(settings: Settings, persons: int, seed: int) -> str:
    """run_demo in this process; returns what it printed (module fixtures cannot use capsys)."""
    buf = io.StringIO()
    with redirect_stdout(buf):
        rc = run_demo(settings, persons=persons, seed=seed)
    assert rc == 0, buf.getvalue()
    return buf.getvalue()


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    """One 200-person demo on an empty SQLite file (the demo migrates it itself)."""
    settings = make_settings(f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}")
    output = _run(settings, PERSONS, SEED)
    db = make_database(settings)
    yield Loaded(settings=settings, db=db, output=output, event_id=_event_id(output))
    db.dispose()


def test_demo_event_is_a_binjai_river_flood_started_about_six_days_ago(loaded: Loaded) -> None:
    """One banjir event in tanggap_darurat, ~6 days old, over real kelurahan of Binjai along the rivers."""
    with read_unit(loaded.db) as s:
        events = s.exec(select(Event)).all()
    assert [e.id for e in events] == [loaded.event_id]
    ev = events[0]
    assert ev.name.startswith("Banjir Sungai Bingai dan Sungai Mencirim ")
    assert ev.kind == "banjir" and ev.category == "alam" and ev.status == "tanggap_darurat"
    age = datetime.now(UTC) - ev.started_at
    assert timedelta(days=5, hours=12) < age < timedelta(days=7, hours=1)
    known = {kel["code"] for kec in load_json("wilayah_binjai.json")["kecamatan"] for kel in kec["kelurahan"]}
    assert len(ev.kelurahan_codes) >= 4 and set(ev.kelurahan_codes) <= known
    kecamatan = {code[:8] for code in ev.kelurahan_codes}
    assert {"12.75.02", "12.75.04", "12.75.05"} <= kecamatan  # Binjai Kota, Binjai Timur, Binjai Selatan


def test_demo_counts_and_age_pyramid(loaded: Loaded) -> None:
    """200 persons in >30 households, 5-7 shelters, stays, distributions, services; balita and lansia present."""
    counts = _counts(loaded.db, loaded.event_id)
    assert counts["Person"] == PERSONS
    assert counts["Household"] > 30
    assert 5 <= counts["Shelter"] <= 7
    assert counts["Stay"] > 0 and counts["Distribution"] > 0 and counts["Service"] > 0
    with read_unit(loaded.db) as s:
        ev = s.get(Event, loaded.event_id)
        assert ev is not None
        persons = s.exec(select(Person).where(Person.event_id == loaded.event_id)).all()
    start = ev.started_at.astimezone(WIB).date()
    ages = [age_at(p.birth_date, p.age_years, start) for p in persons]
    assert all(a is not None for a in ages)
    balita = sum(1 for a in ages if a is not None and a < 5)
    lansia = sum(1 for a in ages if a is not None and a >= 60)
    assert 0.04 * PERSONS <= balita <= 0.18 * PERSONS, balita
    assert 0.03 * PERSONS <= lansia <= 0.15 * PERSONS, lansia
    sexes = Counter(p.sex for p in persons)
    assert sexes["L"] > 0.35 * PERSONS and sexes["P"] > 0.35 * PERSONS
    sizes = Counter(Counter(p.household_id for p in persons).values())
    assert all(p.household_id for p in persons) and min(sizes) >= 1 and max(sizes) <= 7


def test_demo_identity_numbers_are_valid_and_mostly_binjai(loaded: Loaded) -> None:
    """NIKs pass the Dukcapil rules, encode the person's sex and birth date, are unique; KK numbers are 16 digits."""
    with read_unit(loaded.db) as s:
        persons = s.exec(select(Person).where(Person.event_id == loaded.event_id)).all()
        households = s.exec(select(Household).where(Household.event_id == loaded.event_id)).all()
    niks = [p for p in persons if p.nik]
    adults_with_nik = [p for p in niks if p.birth_date and p.birth_date.year < 2005]
    assert len(niks) > 0.4 * PERSONS
    assert len({p.nik for p in niks}) == len(niks)
    for p in niks:
        assert p.nik is not None and nik_problem(p.nik) is None, p.nik
        assert nik_sex(p.nik) == p.sex
        assert p.birth_date is not None and p.nik[10:12] == f"{p.birth_date.year % 100:02d}"
    assert sum(1 for p in adults_with_nik if p.nik and p.nik.startswith("1275")) > 0.75 * len(adults_with_nik)
    assert any(p.nik is None for p in persons)
    kks = [h.kk_number for h in households if h.kk_number]
    assert 0.6 * len(households) < len(kks) < len(households)
    assert all(len(k) == 16 and k.isdigit() and k.startswith("1275") for k in kks)


def test_demo_story_has_displacement_transfers_returns_and_vulnerable_people(loaded: Loaded) -> None:
    """~85% in shelters, some transferred, some gone home, a missing person, flags and psychosocial needs."""
    eid = loaded.event_id
    with read_unit(loaded.db) as s:
        persons = s.exec(select(Person).where(Person.event_id == eid)).all()
        stays = s.exec(select(Stay).where(Stay.event_id == eid)).all()
        shelters = s.exec(select(Shelter).where(Shelter.event_id == eid)).all()
    displaced = {st.person_id for st in stays}
    assert 0.7 * PERSONS <= len(displaced) <= 0.95 * PERSONS
    per_person = Counter(st.person_id for st in stays)
    assert any(n >= 2 for n in per_person.values()), "no transfer between shelters"
    assert any(st.check_out is not None for st in stays), "nobody went home"
    conditions = Counter(p.condition for p in persons)
    assert 1 <= conditions["hilang"] <= 2 and conditions["luka"] >= 1
    assert not any(p.id in displaced for p in persons if p.condition == "hilang")
    flags = Counter(v for p in persons for v in p.vulnerabilities)
    assert set(flags) <= {"ibu_hamil", "ibu_menyusui", "disabilitas"} and flags
    assert 0.05 * PERSONS <= sum(p.needs_psychosocial for p in persons) <= 0.2 * PERSONS
    kinds = {sh.kind for sh in shelters}
    assert {"sekolah", "rumah_ibadah", "fasilitas_umum", "tenda"} <= kinds
    for sh in shelters:
        assert sh.covered_area_m2 and sh.toilets and sh.lat and sh.lon
        assert 3.5 < sh.lat < 3.7 and 98.4 < sh.lon < 98.6
    assert any(sh.covered_area_m2 is not None and sh.covered_area_m2 < 3.5 * sh.capacity_persons for sh in shelters)
    # Stays of one person follow each other: a transfer closes the previous stay at the new check-in.
    by_person: dict[str, list[Stay]] = {}
    for st in stays:
        by_person.setdefault(st.person_id, []).append(st)
    for chain in by_person.values():
        chain.sort(key=lambda st: st.check_in)
        for before, after in zip(chain, chain[1:], strict=False):
            assert before.check_out == after.check_in


def test_demo_deliveries_meals_per_meal_time_and_services(loaded: Loaded) -> None:
    """Meals per shelter at 07/12/18 local, water per shelter, kits per household/person, both service kinds."""
    eid = loaded.event_id
    with read_unit(loaded.db) as s:
        ev = s.get(Event, eid)
        dists = s.exec(select(Distribution).where(Distribution.event_id == eid)).all()
        services = s.exec(select(Service).where(Service.event_id == eid)).all()
        persons = s.exec(select(Person).where(Person.event_id == eid)).all()
        stays = s.exec(select(Stay).where(Stay.event_id == eid)).all()
        shelters = s.exec(select(Shelter).where(Shelter.event_id == eid)).all()
    assert ev is not None
    items = Counter(d.item_code for d in dists)
    for code in ("makanan_siap_saji", "air_minum", "paket_sandang", "selimut", "family_kit", "paket_bayi",
                 "uang_tunai"):
        assert items[code] > 0, code
    meals = [d for d in dists if d.item_code == "makanan_siap_saji"]
    assert all(d.shelter_id for d in meals)
    assert {d.delivered_at.astimezone(WIB).hour for d in meals} <= {6, 7, 11, 12, 17, 18}
    assert len({d.shelter_id for d in meals}) == len(shelters)
    days = (ev.created_at - ev.started_at).days
    assert len(meals) >= 1.5 * days * len(shelters)  # three a day per occupied shelter, a few missed
    assert all(d.household_id for d in dists if d.item_code in ("paket_sandang", "family_kit", "uang_tunai"))
    assert all(d.person_id for d in dists if d.item_code in ("selimut", "paket_bayi"))
    displaced_households = {p.household_id for p in persons if p.id in {st.person_id for st in stays}}
    sandang = {d.household_id for d in dists if d.item_code == "paket_sandang"}
    assert 0 < len(sandang & displaced_households) < len(displaced_households)  # some households not yet
    kinds = Counter(v.kind for v in services)
    assert kinds["penanganan_khusus"] > 0 and kinds["psikososial"] > 0
    flagged = {p.id for p in persons if p.needs_psychosocial and p.id in {st.person_id for st in stays}}
    served = {v.person_id for v in services if v.kind == "psikososial"}
    assert len(served & flagged) > 0.5 * len(flagged)


def test_demo_timestamps_lie_between_the_start_and_now(loaded: Loaded) -> None:
    """Every instant the demo wrote is in the past and not before the flood started."""
    eid = loaded.event_id
    now = datetime.now(UTC)
    with read_unit(loaded.db) as s:
        ev = s.get(Event, eid)
        assert ev is not None
        instants = list(s.exec(select(Person.registered_at).where(Person.event_id == eid)).all())
        instants += s.exec(select(Stay.check_in).where(Stay.event_id == eid)).all()
        instants += [t for t in s.exec(select(Stay.check_out).where(Stay.event_id == eid)).all() if t]
        instants += s.exec(select(Distribution.delivered_at).where(Distribution.event_id == eid)).all()
        instants += s.exec(select(Service.delivered_at).where(Service.event_id == eid)).all()
        instants += s.exec(select(Shelter.opened_at).where(Shelter.event_id == eid)).all()
        check_ins = s.exec(select(Stay.check_in).where(Stay.event_id == eid)).all()
    assert instants and all(ev.started_at <= t <= now for t in instants)
    assert any(t.astimezone(WIB).hour >= 17 for t in check_ins), "nobody arrived in the evening"


def test_demo_went_through_the_write_engine(loaded: Loaded) -> None:
    """Every record is audited as the `demo` actor, counted in data_seq and announced in the outbox."""
    counts = _counts(loaded.db, loaded.event_id)
    with read_unit(loaded.db) as s:
        ev = s.get(Event, loaded.event_id)
        actors = set(s.exec(select(AuditLog.actor_username).where(AuditLog.event_id == loaded.event_id)).all())
    assert ev is not None
    assert actors == {"demo"}
    assert counts["Outbox"] > 0
    created = int(re.search(r"catatan baru (\d+)", loaded.output).group(1))  # type: ignore[union-attr]
    assert ev.data_seq == created + 1  # every field record, plus the event's own creation
    assert counts["AuditLog"] >= created


def test_demo_prints_progress_and_summary(loaded: Loaded) -> None:
    """A progress bar to 100% and a closing summary with the event id and the counts."""
    out = loaded.output
    assert "100%" in out and "[" in out
    assert loaded.event_id in out.split("Selesai")[-1]
    assert re.search(rf"orang \(persons\):\s+{PERSONS}\b", out)
    for word in ("shelters", "households", "stays", "distributions", "services"):
        assert re.search(rf"\({word}\):\s+\d+", out), word


def test_demo_second_run_with_same_seed_adds_nothing(loaded: Loaded) -> None:
    """Replaying the same seed and size only meets its own ids: no new rows, no data_seq bump, no audit."""
    before = _counts(loaded.db, loaded.event_id)
    with read_unit(loaded.db) as s:
        seq_before = s.get(Event, loaded.event_id).data_seq  # type: ignore[union-attr]
    output = _run(loaded.settings, PERSONS, SEED)
    assert _event_id(output) == loaded.event_id
    assert "catatan baru 0," in output
    assert _counts(loaded.db, loaded.event_id) == before
    with read_unit(loaded.db) as s:
        assert s.get(Event, loaded.event_id).data_seq == seq_before  # type: ignore[union-attr]
        assert s.exec(select(func.count()).select_from(Event)).one() == 1


def test_demo_other_seed_makes_another_event(loaded: Loaded) -> None:
    """A different seed is a different flood: its own event id, nothing shared with the first."""
    other = _event_id(_run(loaded.settings, 12, SEED + 1))
    assert other != loaded.event_id
    assert _counts(loaded.db, other)["Person"] == 12
    assert _counts(loaded.db, loaded.event_id)["Person"] == PERSONS


def test_demo_refuses_a_nonsense_size(loaded: Loaded, capsys: pytest.CaptureFixture[str]) -> None:
    """--persons 0 is refused with exit code 2 before anything is written."""
    with read_unit(loaded.db) as s:
        events_before = s.exec(select(func.count()).select_from(Event)).one()
    assert run_demo(loaded.settings, persons=0, seed=1) == 2
    assert "persons" in capsys.readouterr().err
    with read_unit(loaded.db) as s:
        assert s.exec(select(func.count()).select_from(Event)).one() == events_before


def test_cli_posko_demo_runs_on_an_empty_sqlite_file(tmp_path: Path) -> None:
    """`posko demo --persons 50` migrates an empty database, exits 0 and prints progress and a summary."""
    db_file = tmp_path / "cli-demo.db"
    posko = Path(sys.executable).parent / "posko"
    cmd = [str(posko)] if posko.exists() else [sys.executable, "-m", "services.cli"]
    env = dict(os.environ, POSKO_DATABASE_URL=f"sqlite:///{db_file}", POSKO_ENV="test")
    env.pop("POSKO_ADMIN_PASSWORD", None)
    done = subprocess.run([*cmd, "demo", "--persons", "50"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert re.search(r"\d+%", done.stdout) and "100%" in done.stdout
    assert re.search(r"orang \(persons\):\s+50\b", done.stdout)
    assert "admin" in done.stdout  # the first admin was created and its password shown once
    db = make_database(make_settings(f"sqlite:///{db_file}"))
    try:
        with read_unit(db) as s:
            assert s.exec(select(func.count()).select_from(Person)).one() == 50
    finally:
        db.dispose()
