"""Migration 20261210_0018 (worker_state.info, the snapshot verifier's counts): it follows the chain's last
revision, keeps the rows there, and its downgrade removes the column again. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory

from shared.migrate import alembic_config
from tests.conftest import make_settings, own_database

BEFORE = "20261210_0017"
VERIFIER = "20261210_0018"


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from own_database(request.param, tmp_path, "verifier")


def test_the_chain_has_one_head(tmp_path: Path) -> None:
    script = ScriptDirectory.from_config(alembic_config(make_settings(f"sqlite:///{tmp_path / 'unused.db'}")))
    assert len(script.get_heads()) == 1  # one chain: a revision on a stale base makes two heads
    assert script.get_revision(VERIFIER).down_revision == BEFORE  # type: ignore[union-attr]


def test_info_column_added_with_rows_kept_and_dropped_by_the_downgrade(fresh_url: str) -> None:
    cfg = alembic_config(make_settings(fresh_url))
    command.upgrade(cfg, BEFORE)
    engine = sa.create_engine(cfg.get_main_option("sqlalchemy.url"))  # type: ignore[arg-type]
    now = datetime.now(UTC).replace(tzinfo=None)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO worker_state (name, beat_at, detail) VALUES ('scheduler', :t, '')"), {"t": now})
    command.upgrade(cfg, VERIFIER)
    with engine.begin() as conn:
        assert conn.execute(sa.text("SELECT name, info FROM worker_state")).all() == [("scheduler", None)]
    command.downgrade(cfg, BEFORE)
    with engine.begin() as conn:
        assert "info" not in {c["name"] for c in sa.inspect(conn).get_columns("worker_state")}
        assert conn.execute(sa.text("SELECT count(*) FROM worker_state")).scalar_one() == 1
    engine.dispose()
