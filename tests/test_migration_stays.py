"""Migration 20261207_0007 (mandiri stays) on a database with data: existing stays become shelter
stays with their shelter's kelurahan, the check constraint holds a mandiri stay to a kelurahan and no
shelter, and the downgrade removes the columns again. SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from shared.migrate import alembic_config
from tests.conftest import make_settings, own_database

BEFORE = "20261207_0006"
MANDIRI = "20261207_0007"


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from own_database(request.param, tmp_path, "mandiri")


def _rows(now: datetime) -> dict[str, list[dict[str, object]]]:
    eid, sid, pid = (str(uuid.uuid4()) for _ in range(3))
    return {
        "events": [{"id": eid, "name": "Banjir", "kind": "banjir", "category": "alam", "status": "tanggap_darurat",
                    "started_at": now - timedelta(days=1), "ended_at": None, "kelurahan_codes": '["12.75.04.1004"]',
                    "standard_code": "spm_binjai", "standard_version": 1, "data_seq": 0, "version": 1,
                    "created_by": None, "created_at": now}],
        "shelters": [{"id": sid, "event_id": eid, "name": "SD 1", "kelurahan_code": "12.75.04.1004",
                      "kind": "sekolah", "capacity_persons": 10, "opened_at": now, "version": 1, "created_at": now}],
        "persons": [{"id": pid, "event_id": eid, "full_name": "Siti", "sex": "P", "vulnerabilities": "[]",
                     "needs_psychosocial": False, "condition": "selamat", "registered_at": now, "version": 1,
                     "created_at": now}],
        "stays": [{"id": str(uuid.uuid4()), "event_id": eid, "person_id": pid, "shelter_id": sid, "check_in": now,
                   "check_out": None, "created_at": now}],
    }


def test_existing_stays_become_shelter_stays_with_their_shelters_kelurahan(fresh_url: str) -> None:
    cfg = alembic_config(make_settings(fresh_url))
    command.upgrade(cfg, BEFORE)
    engine = sa.create_engine(cfg.get_main_option("sqlalchemy.url"))  # type: ignore[arg-type]
    meta = sa.MetaData()
    meta.reflect(engine, only=["events", "shelters", "persons", "stays"])
    data = _rows(datetime.now(UTC).replace(tzinfo=None))
    with engine.begin() as conn:
        for table in ("events", "shelters", "persons", "stays"):
            conn.execute(meta.tables[table].insert(), data[table])
    command.upgrade(cfg, MANDIRI)
    stay_id, event_id, person_id = data["stays"][0]["id"], data["events"][0]["id"], data["persons"][0]["id"]
    with engine.begin() as conn:
        kind, kelurahan, address = conn.execute(
            sa.text("SELECT kind, kelurahan_code, address FROM stays WHERE id = :i"), {"i": stay_id}).one()
        assert (kind, kelurahan, address) == ("shelter", "12.75.04.1004", None)
    insert = sa.text("INSERT INTO stays (id, event_id, person_id, shelter_id, kind, kelurahan_code, check_in, "
                     "created_at) VALUES (:id, :e, :p, :s, :k, :kel, :t, :t)")
    now = datetime.now(UTC).replace(tzinfo=None)
    good = {"id": str(uuid.uuid4()), "e": event_id, "p": person_id, "s": None, "k": "mandiri",
            "kel": "12.75.01.1001", "t": now}
    with engine.begin() as conn:
        conn.execute(insert, good)
    for bad in ({"s": None, "k": "mandiri", "kel": None},  # mandiri without a kelurahan
                {"s": None, "k": "shelter", "kel": "12.75.01.1001"},  # a shelter stay without a shelter
                {"s": data["shelters"][0]["id"], "k": "mandiri", "kel": "12.75.01.1001"}):  # mandiri in a shelter
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(insert, {**good, "id": str(uuid.uuid4()), **bad})
    command.downgrade(cfg, BEFORE)
    with engine.begin() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("stays")}
        assert not {"kind", "kelurahan_code", "address"} & columns
        assert conn.execute(sa.text("SELECT count(*) FROM stays")).scalar_one() == 1  # the mandiri stay went
    engine.dispose()
