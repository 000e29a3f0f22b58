"""The one settings class: every knob comes from a `POSKO_*` environment variable."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SECRET = "posko-development-secret-change-me"


class Settings(BaseSettings):
    """Runtime configuration; production refuses the development secret."""

    model_config = SettingsConfigDict(env_prefix="POSKO_", extra="ignore")

    env: str = "development"  # development | test | production
    database_url: str = f"sqlite:///{ROOT / 'var' / 'posko.db'}"
    redis_url: str = "redis://127.0.0.1:6379/0"
    secret_key: str = DEFAULT_SECRET
    timezone: str = "Asia/Jakarta"
    host: str = "127.0.0.1"
    port: int = 8000
    access_token_minutes: int = 12 * 60
    admin_password: str | None = None
    access_log: bool = True
    # Request limits: a 1,000-record sync batch is ~0.5 MB; 4 MiB leaves room without inviting abuse.
    max_body_bytes: int = 4 * 1024 * 1024
    max_sync_records: int = 1000
    login_attempts_per_window: int = 10
    login_window_seconds: int = 300
    clock_skew_seconds: int = 300
    queue_name: str = "posko"
    # Personal data (docs/personal-data.md): `posko purge` anonymises the persons of events that ended
    # more than retention_days ago, and deletes replay records (client_operations) older than replay_days.
    retention_days: int = Field(default=365, ge=1)
    replay_days: int = Field(default=30, ge=1)
    redis_key_prefix: str = "posko"
    # Health of the pipeline (docs/operations.md): /readyz and `posko worker --check` fail past these.
    ready_outbox_lag_seconds: float = 120.0  # oldest write not yet in a stored snapshot
    ready_heartbeat_seconds: float = 60.0  # newest worker heartbeat
    ready_scheduler_seconds: float = 120.0  # the scheduler's last tick
    worker_heartbeat_seconds: float = 10.0  # how often a worker beats (and the scheduler ticks)
    abandoned_job_seconds: float = 30.0  # a started job whose worker has been silent this long is re-queued

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Settings:
        if self.env == "production" and self.secret_key == DEFAULT_SECRET:
            raise ValueError("POSKO_SECRET_KEY must be set to a private value when POSKO_ENV=production")
        ZoneInfo(self.timezone)  # fail at start-up, not at the first request
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    """Settings of this process (tests build their own `Settings` and pass them explicitly)."""
    return Settings()
