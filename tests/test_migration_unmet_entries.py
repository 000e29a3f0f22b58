"""Migration 20261211_0019 (unmet_entries, event_status.unmet_token): it follows 0018, stored snapshots
keep their list in the column (token empty), and its downgrade removes both again. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory

from shared.migrate import alembic_config
from tests.conftest import make_settings, own_database

BEFORE = "20261210_0018"
UNMET_ROWS = "20261211_0019"


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from own_database(request.param, tmp_path, "unmet_rows")


def test_it_follows_the_verifier_state(tmp_path: Path) -> None:
    script = ScriptDirectory.from_config(alembic_config(make_settings(f"sqlite:///{tmp_path / 'unused.db'}")))
    assert script.get_revision(UNMET_ROWS).down_revision == BEFORE  # type: ignore[union-attr]


def test_the_table_and_token_come_and_go(fresh_url: str) -> None:
    cfg = alembic_config(make_settings(fresh_url))
    command.upgrade(cfg, UNMET_ROWS)
    engine = sa.create_engine(cfg.get_main_option("sqlalchemy.url"))  # type: ignore[arg-type]
    with engine.begin() as conn:
        inspector = sa.inspect(conn)
        assert {c["name"] for c in inspector.get_columns("unmet_entries")} == {"event_id", "person_id", "entry"}
        assert inspector.get_pk_constraint("unmet_entries")["constrained_columns"] == ["event_id", "person_id"]
        assert "unmet_token" in {c["name"] for c in inspector.get_columns("event_status")}
    command.downgrade(cfg, BEFORE)
    with engine.begin() as conn:
        inspector = sa.inspect(conn)
        assert "unmet_entries" not in inspector.get_table_names()
        assert "unmet_token" not in {c["name"] for c in inspector.get_columns("event_status")}
    engine.dispose()
