"""The one settings class: every knob comes from a `POSKO_*` environment variable."""

from __future__ import annotations

import os
import secrets
import threading
import uuid
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
# The value every install used before secrets were generated: public, so a token signed with it is forgeable.
DEFAULT_SECRET = "posko-development-secret-change-me"
# Secrets that are public because they were shipped (the old default, examples in the docs and the
# compose file): refused in every environment, whatever their length.
PUBLIC_SECRETS = frozenset({
    DEFAULT_SECRET,
    "change-me", "changeme", "secret", "posko", "set POSKO_SECRET_KEY to a long random value",
    "ganti-dengan-nilai-acak-yang-panjang-minimal-32-byte",
    "replace-with-a-long-random-value-at-least-32-bytes",
})
MIN_SECRET_BYTES = 32
MAX_SQLITE_CACHE_MIB = 4096  # a larger per-connection cache is a typo (GiB for MiB), not a plan
MAX_DB_CONNECTIONS = 1000


class Settings(BaseSettings):
    """Runtime configuration; a bad value stops the process at start-up (docs/accounts-and-tokens.md for secrets)."""

    model_config = SettingsConfigDict(env_prefix="POSKO_", extra="ignore")

    env: str = "development"  # development | test | production
    database_url: str = f"sqlite:///{ROOT / 'var' / 'posko.db'}"
    redis_url: str = "redis://127.0.0.1:6379/0"
    # None: a random secret is generated on first use and kept in `secret_file` (shared by every
    # process of this install). Production must set POSKO_SECRET_KEY explicitly.
    secret_key: str | None = None
    secret_file: Path = ROOT / "var" / "secret_key"
    timezone: str = "Asia/Jakarta"
    host: str = "127.0.0.1"
    port: int = 8000
    access_token_minutes: int = 12 * 60
    admin_password: str | None = None
    access_log: bool = True
    # Request limits: a 1,000-record sync batch is ~0.5 MB; 4 MiB leaves room without inviting abuse.
    max_body_bytes: int = 4 * 1024 * 1024
    max_sync_records: int = 1000
    # PFIF 1.4 exchange of tracing requests (docs/api.md, "Tracing"): an import file is at most this
    # large (the only path allowed past max_body_bytes), and record ids this office writes start with
    # this domain (PFIF: domain_name/unique_string).
    pfif_max_bytes: int = 10 * 1024 * 1024
    pfif_domain: str = "posko.binjaikota.go.id"
    login_attempts_per_window: int = 10
    login_window_seconds: int = 300
    # After login_attempts_per_window failures a username waits 1, 2, 4 … seconds, at most this long.
    login_backoff_max_seconds: int = 60
    # Proxies whose X-Forwarded-For is believed (comma-separated addresses or CIDRs); empty: none.
    trusted_proxies: str = ""
    # An open websocket re-checks its token, account and membership this often (seconds).
    live_recheck_seconds: float = 2.0
    queue_name: str = "posko"
    # Personal data (docs/personal-data.md): `posko purge` anonymises the persons of events that ended
    # more than retention_days ago, and deletes replay records (client_operations) older than replay_days.
    retention_days: int = Field(default=365, ge=1)
    replay_days: int = Field(default=30, ge=1)
    # The letter the reports print as (docs/operations.md, "Report letterhead and numbering"): kop surat,
    # signatory block and document number of the event and Renstra PDFs. An empty name or NIP prints a
    # blank line to sign over; a logo file that is absent or not PNG/JPEG prints no logo.
    report_government: str = "PEMERINTAH KOTA BINJAI"
    report_office: str = "DINAS SOSIAL"
    report_address: str = ""
    report_logo_file: Path | None = None
    report_city: str = "Binjai"
    report_signatory_name: str = ""
    report_signatory_nip: str = ""
    report_signatory_title: str = "Kepala Dinas Sosial Kota Binjai"
    report_number_pattern: str = "460/{seq}/DINSOS/{roman_month}/{year}"
    redis_key_prefix: str = "posko"
    # Health of the pipeline (docs/operations.md): /readyz and `posko worker --check` fail past these.
    ready_outbox_lag_seconds: float = 120.0  # oldest write not yet in a stored snapshot
    ready_heartbeat_seconds: float = 60.0  # newest worker heartbeat
    ready_scheduler_seconds: float = 120.0  # the scheduler's last tick
    worker_heartbeat_seconds: float = 10.0  # how often a worker beats (and the scheduler ticks)
    abandoned_job_seconds: float = 30.0  # a started job whose worker has been silent this long is re-queued
    # Field phones over HTTPS on the posko's own network (`posko run --lan`, docs/operations.md).
    lan: bool = False  # also serve HTTPS on the LAN address, with the local authority's certificate
    lan_host: str = ""  # the LAN address phones use; empty: the address with the default route
    lan_port: int = Field(default=8443, ge=1, le=65535)  # HTTPS: API, dashboard and field app
    lan_http_port: int = Field(default=8080, ge=1, le=65535)  # plain HTTP: only the certificate page
    tls_dir: Path = ROOT / "var" / "tls"  # the local authority and the server certificate (0700/0600)
    # Duplicate scan (docs/rules.md "Duplicates and merges"): an event changed since its last scan is
    # scanned once its writes have paused this long, or when its last scan is this old (a long burst).
    duplicate_scan_quiet_seconds: float = 30.0
    duplicate_scan_max_wait_seconds: float = 1800.0
    # The worker keeps each open event's needs inputs in memory and rereads only what a write touched
    # (shared/services/live_inputs.py); False loads the whole event for every recompute (the reference
    # path, kept as a switch for comparison and for an operator in doubt). `live_inputs_events`: how many
    # events' inputs a worker keeps (least recently recomputed leave first; ~70 MB at 50,000 persons).
    live_inputs: bool = True
    live_inputs_events: int = Field(default=4, ge=1, le=64)
    # Over the live inputs, the worker keeps each event's needs state (shared/needs/incremental.py) and
    # moves it by what changed, so a snapshot costs work proportional to the write; False runs the whole
    # engine for every recompute (the reference path). Needs `live_inputs`.
    incremental_needs: bool = True
    # A burst of writes to one event is recomputed at most once per this many milliseconds (per worker):
    # a recompute that follows the previous one sooner waits out the rest before it clears the event's
    # pending mark, so the writes of that wait join it. A lone write is recomputed at once. Why: with
    # the incremental state a recompute costs ~25 ms of CPU whatever the event's size, and run back to back
    # under 200 writes/s they took two thirds of a core for snapshots only milliseconds apart; at 100 ms,
    # 0.31 core with freshness p50 88 ms, p99 215 ms at 50,000 persons (bench/freshness_bench.py; 120 ms:
    # 0.27 core, p50 101 ms). 0 runs them back to back.
    recompute_min_interval_ms: int = Field(default=100, ge=0, le=10_000)
    # With several workers, an event's recomputes go to the worker that recomputed it last, for as long as
    # it did so within this many seconds (services/worker/jobs.py, "Affinity"): its in-memory state is warm,
    # while another worker's would first catch up on everything since its own last turn and reread the
    # stored unmet rows. 0: any worker takes any recompute.
    recompute_affinity_seconds: float = Field(default=5.0, ge=0, le=300)
    # The snapshot verifier (shared/services/verify.py): the scheduler queues a verification of every open
    # event this often; 0 turns the rounds off (`posko verify` still works).
    verify_interval_seconds: float = Field(default=900.0, ge=0)
    # The worker runs each verification in a forked child process (services/worker/verify_child.py), so its
    # recomputes go on meanwhile (a verification at 300,000 persons takes over a minute); False runs it in
    # the worker's own thread, as one job (tests that inspect the result; a platform without fork).
    verify_in_child: bool = True
    # SQLite memory (docs/operations.md, "Memory"; measured by bench/soak_bench.py). Each connection's page
    # cache is heap it keeps while it lives; memory-mapped reads are the OS's page cache, shared and not
    # heap. The API reads on up to 40 threads (anyio's pool), one connection each: 40 × 64 MiB took it to
    # 450–490 MB in minutes, so its read connections get SQLite's default-sized cache and rely on the map.
    # Its writers queue on one lock (one write connection at a time), whose reads are mapped too. The
    # worker's recompute reads whole events: 16 MiB was as fast as 64. 0 keeps SQLite's default (2 MB).
    sqlite_read_cache_mib: int = 2  # each read connection of the API and the CLI
    sqlite_write_cache_mib: int = 8  # each write connection of the API and the CLI
    sqlite_worker_cache_mib: int = 16  # each connection of the worker
    # SQLite connections kept open per engine (each keeps its cache), and how many more may open for a
    # burst (closed when given back): together the 40 threads that may each hold one at a time.
    # PostgreSQL keeps its pool of 20 + 20: its connections cost the server, not the API's heap.
    sqlite_pool_size: int = 4
    sqlite_max_overflow: int = 36
    # The API runs a full garbage collection this often, and every sixth time hands freed heap back to the OS
    # (shared/memory.py:release_heap); 0 never. Its collector thresholds are high (services/api/main.py)
    # so that full collections do not stall requests, and what lives in reference cycles (every closed
    # websocket leaves some: anyio's cancelled tasks) then waits minutes: the soak's API grew ~30 MB a
    # minute with ten reconnects a second (docs/operations.md, "Memory").
    api_gc_seconds: float = Field(default=10.0, ge=0)

    @field_validator("env")
    @classmethod
    def _normalise_env(cls, value: str) -> str:
        # "Production" or " PRODUCTION" is production: a typo in case must never relax a rule.
        return value.strip().lower()

    @field_validator("trusted_proxies")
    @classmethod
    def _check_trusted_proxies(cls, value: str) -> str:
        import ipaddress

        for part in value.split(","):
            if part.strip():
                try:
                    ipaddress.ip_network(part.strip(), strict=False)
                except ValueError as exc:
                    raise ValueError(f"POSKO_TRUSTED_PROXIES: {part.strip()!r} bukan alamat atau CIDR "
                                     "(not an address or CIDR)") from exc
        return value

    @field_validator("lan_host")
    @classmethod
    def _check_lan_host(cls, value: str) -> str:
        import ipaddress

        value = value.strip()
        if value:
            try:
                ipaddress.ip_address(value.strip("[]"))
            except ValueError as exc:
                raise ValueError(f"POSKO_LAN_HOST: {value!r} bukan alamat IP, mis. 192.168.1.20 "
                                 "(not an IP address)") from exc
        return value.strip("[]")

    @field_validator("sqlite_read_cache_mib", "sqlite_write_cache_mib", "sqlite_worker_cache_mib")
    @classmethod
    def _check_cache_mib(cls, value: int, info: ValidationInfo) -> int:
        if not 0 <= value <= MAX_SQLITE_CACHE_MIB:
            raise ValueError(f"POSKO_{(info.field_name or '').upper()}: {value} harus 0..{MAX_SQLITE_CACHE_MIB} MiB "
                             f"per koneksi (the page cache per connection must be 0..{MAX_SQLITE_CACHE_MIB} MiB; "
                             "0 keeps SQLite's default)")
        return value

    @field_validator("sqlite_pool_size", "sqlite_max_overflow")
    @classmethod
    def _check_pool(cls, value: int, info: ValidationInfo) -> int:
        low = 1 if info.field_name == "sqlite_pool_size" else 0
        if not low <= value <= MAX_DB_CONNECTIONS:
            raise ValueError(f"POSKO_{(info.field_name or '').upper()}: {value} harus {low}..{MAX_DB_CONNECTIONS} "
                             f"koneksi (must be {low}..{MAX_DB_CONNECTIONS} connections)")
        return value

    @field_validator("report_number_pattern")
    @classmethod
    def _check_number_pattern(cls, value: str) -> str:
        from shared.reports.numbering import check_pattern

        check_pattern(value)
        return value

    @model_validator(mode="after")
    def _check_secret(self) -> Settings:
        if self.secret_key is not None:
            problem = secret_problem(self.secret_key)
            if problem:
                raise ValueError(problem)
        elif self.is_production:
            raise ValueError("POSKO_SECRET_KEY wajib diisi bila POSKO_ENV=production; buat dengan "
                             "`python -c 'import secrets; print(secrets.token_urlsafe(48))'` "
                             "(production needs an explicitly configured secret)")
        ZoneInfo(self.timezone)  # fail at start-up, not at the first request
        return self

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    def signing_key(self) -> str:
        """The key that signs and verifies tokens: POSKO_SECRET_KEY, else the install's generated one."""
        if self.secret_key is not None:
            return self.secret_key
        return load_or_create_secret(self.secret_file)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def secret_problem(secret: str) -> str | None:
    """Why `secret` may not sign tokens (Indonesian, with an English gloss), or None."""
    if secret.strip() in PUBLIC_SECRETS or secret.strip().lower() in PUBLIC_SECRETS:
        return ("POSKO_SECRET_KEY memakai nilai contoh yang diketahui umum; token dapat dipalsukan. Hapus "
                "pengaturan itu (rahasia acak dibuat otomatis di var/secret_key) atau isi nilai acak sendiri "
                "(the secret is a publicly known example value)")
    if len(secret.encode()) < MIN_SECRET_BYTES:
        return (f"POSKO_SECRET_KEY terlalu pendek: minimal {MIN_SECRET_BYTES} byte, mis. hasil "
                "`python -c 'import secrets; print(secrets.token_urlsafe(48))'` "
                f"(the secret must be at least {MIN_SECRET_BYTES} bytes)")
    return None


_secrets: dict[Path, str] = {}
_secrets_lock = threading.Lock()


def load_or_create_secret(path: Path) -> str:
    """The secret kept in `path`, created there (0600, atomically) by the first process that needs it.

    The API and the worker of one install are separate processes: whichever comes first writes a
    complete file under a temporary name and hard-links it into place, which fails if another process
    won the race; everybody then reads the one file that exists.
    """
    with _secrets_lock:
        cached = _secrets.get(path)
        if cached is not None:
            return cached
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.write(fd, (secrets.token_urlsafe(48) + "\n").encode())
                os.fsync(fd)
            finally:
                os.close(fd)
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass  # another process created it first: use theirs
            finally:
                tmp.unlink()
        value = path.read_text(encoding="utf-8").strip()
        problem = secret_problem(value)
        if problem:
            raise RuntimeError(f"{path}: {problem}")
        _secrets[path] = value
        return value


@lru_cache
def get_settings() -> Settings:
    """Settings of this process (tests build their own `Settings` and pass them explicitly)."""
    return Settings()
