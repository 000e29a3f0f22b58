"""Schema migrations (Alembic) and reference-data seeding, run as an explicit step."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from shared.config import Settings

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(settings: Settings) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    url = settings.database_url
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def upgrade(settings: Settings) -> None:
    """Bring the schema to head, then (re)seed reference data; safe to run again."""
    command.upgrade(alembic_config(settings), "head")
    from shared.db import make_database
    from shared.seed import seed_reference

    db = make_database(settings)
    try:
        seed_reference(db)
    finally:
        db.dispose()
