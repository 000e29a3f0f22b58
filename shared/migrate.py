"""Schema migrations (Alembic) and reference-data seeding, run as an explicit step."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from shared.config import Settings
from shared.db import secure_sqlite_file

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(settings: Settings) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    url = settings.database_url
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith("sqlite") and "///" in url:
        secure_sqlite_file(url.split("///", 1)[-1])  # created 0600 before Alembic's engine opens it
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
