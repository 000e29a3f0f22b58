"""Engines and the unit of work.

SQLite (the embedded default) runs in WAL mode with a busy timeout. Write transactions start with
`BEGIN IMMEDIATE` so two writers never deadlock on a lock upgrade (the classic source of
"database is locked" that a busy timeout cannot cure), and inside one process writers queue on a
lock instead of spinning in SQLite's busy handler. Reads use a second engine with deferred
transactions so they never wait for writers (WAL gives them a consistent snapshot).

A unit of work commits once; callbacks registered with `after_commit` (enqueueing jobs,
publishing) run only when that commit succeeded, and are dropped on rollback.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from pydantic_core import from_json, to_json
from sqlalchemy import DateTime, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session

from shared.config import ROOT, Settings

log = logging.getLogger(__name__)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores instants as naive UTC (portable across SQLite and PostgreSQL), returns aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime reached the database layer")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # raw SQL paths on SQLite
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC)


def epoch_seconds(session: Any, column: Any) -> Any:
    """`column` (an instant, or NULL) as POSIX seconds, computed by the database: a float equal to what
    `datetime.timestamp()` gives for the stored instant (the needs engine compares such numbers, so the
    microseconds must survive). A bulk read then builds no datetime objects.

    SQLite stores 'YYYY-MM-DD HH:MM:SS.ffffff' (naive UTC); its date functions keep only milliseconds, so
    whole seconds come from `strftime('%s')` of the first 19 characters and the microseconds from the
    digits after the point (padded, in case fewer than six were written). PostgreSQL's `extract(epoch)`
    is an exact numeric, cast to double precision. Both divide the exact number of microseconds by 10⁶
    with one correctly rounded step, as Python does."""
    from sqlalchemy import Float, Integer, String, cast, extract, func, literal_column, type_coerce

    if session.get_bind().dialect.name != "sqlite":
        return cast(extract("epoch", column), Float)
    text = type_coerce(column, String)
    whole = cast(func.strftime("%s", func.substr(text, 1, 19)), Integer)
    micro = cast(func.substr(text.concat(literal_column("'000000'")), 21, 6), Integer)
    micros = (whole * literal_column("1000000") + micro).self_group()
    return type_coerce(micros.op("/")(literal_column("1000000.0")), Float)


_EPOCH = datetime(1970, 1, 1)


def _text_seconds(value: str | None) -> float | None:
    return None if value is None else (datetime.fromisoformat(value) - _EPOCH).total_seconds()


def _as_read(value: float | None) -> float | None:
    return value


def instant_seconds(session: Any, column: Any) -> tuple[Any, Callable[[Any], Any]]:
    """(what to select, how to turn what it reads into POSIX seconds) for a bulk read of instants.

    The fastest exact way per backend: on SQLite the stored text, subtracted from the epoch in Python
    (~0.3 µs a value; SQLite's own `epoch_seconds` takes twice that); on PostgreSQL `epoch_seconds`,
    read as it is. Either way the same float as `datetime.timestamp()` of the stored instant (NULL: None)."""
    from sqlalchemy import String, type_coerce

    if session.get_bind().dialect.name == "sqlite":
        return type_coerce(column, String), _text_seconds
    return epoch_seconds(session, column), _as_read


def driver_rows(session: Session, statement: Any) -> list[tuple[Any, ...]]:
    """The rows of a Core `statement`, in the session's transaction, as the driver returns them: plain
    tuples, no result processing (bind parameters are still processed as usual).

    For bulk reads where the caller takes values as the driver gives them (text, numbers; on SQLite
    also dates and JSON as text, booleans as 0/1): SQLAlchemy's row layer costs ~0.75 µs a row, a tenth
    of a second over the 170,000 rows the recompute reads."""
    result: Any = session.connection().execute(statement)
    try:
        return result.cursor.fetchall()  # type: ignore[no-any-return]
    finally:
        result.close()


def same_event(column: Any, event_id: str, *, by_key: bool) -> Any:
    """`column == event_id`, for a query that also picks rows by key (`by_key`: `id IN (...)` or a person's
    rows): then written `column || '' = event_id`, which no index serves. Without statistics, SQLite
    serves a test of an indexed column with an equality on the event's index rather than the key's once
    the key list has a handful of values — scanning every row of a 50,000-person event (45 ms) to find ten
    (0.1 ms). PostgreSQL plans both forms alike."""
    return (column + "") == event_id if by_key else column == event_id


def parse_instant(value: Any) -> datetime | None:
    """An aware UTC datetime from a raw driver read of an instant column (text on SQLite, a naive UTC
    datetime on PostgreSQL): the write path's prefetch reads through the driver (shared.repositories.bulk)."""
    if value is None:
        return None
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Database:
    """The engines of one process plus the in-process SQLite writer lock."""

    url: str
    write_engine: Engine
    read_engine: Engine
    write_lock: threading.Lock | None = field(default=None)
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Jakarta"))  # local days of running totals

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    def dispose(self) -> None:
        self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            self.read_engine.dispose()


class JsonText(str):
    """A value already serialised as JSON text: a JSON column stores it as it is. The worker serialises a
    snapshot's body once for its row, its day's row and its live message (megabytes at city scale)."""


def _to_json(value: Any) -> str:
    """JSON columns (snapshots of a large event are megabytes) through pydantic-core's serialiser."""
    if isinstance(value, JsonText):
        return str(value)
    return to_json(value).decode()


def json_text(value: Any) -> JsonText:
    """`value` serialised as a JSON column would store it."""
    return JsonText(_to_json(value))


MIB = 2**20


def _sqlite_engine(url: str, *, immediate: bool, mmap_bytes: int, cache_mib: int, pool_size: int,
                   max_overflow: int) -> Engine:
    engine = create_engine(
        url,
        json_serializer=_to_json,
        json_deserializer=from_json,
        connect_args={"check_same_thread": False, "timeout": 30},
        pool_size=pool_size,
        max_overflow=max_overflow,
        # The most recently returned connection is handed out first: the connections a quiet moment
        # needs stay busy (their caches warm) and the others stay idle, instead of every kept
        # connection taking its turn and filling a page cache of its own.
        pool_use_lifo=True,
        hide_parameters=True,  # SQL errors and echo never carry the values (names, NIKs) into logs
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        # Writers begin with `_begin_immediate`, which does its own waiting: SQLite's handler gets 1 ms.
        cur.execute(f"PRAGMA busy_timeout={1 if immediate else 30_000}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        # Random (UUID) keys touch pages all over the indexes: the API's writers get 256 MiB of
        # memory-mapped reads so inserts stay fast as an event grows, and a page cache sized by the
        # settings (`make_database` says who gets which; 0 keeps SQLite's default of 2 MB).
        if cache_mib:
            cur.execute(f"PRAGMA cache_size=-{cache_mib * 1024}")
        cur.execute(f"PRAGMA mmap_size={mmap_bytes}")
        cur.execute("PRAGMA temp_store=MEMORY")
        # Checkpointing the WAL after a large commit costs more the larger the database: API and worker
        # checkpoint every second in a background thread (`start_checkpoints`), off the request path.
        cur.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if immediate:
            _begin_immediate(conn.connection.driver_connection)
        else:
            conn.exec_driver_sql("BEGIN")

    return engine


WRITE_WAIT_SECONDS = 30.0


def _begin_immediate(dbapi_conn: sqlite3.Connection) -> None:
    """Start a write transaction, waiting up to WRITE_WAIT_SECONDS for another process's writer.

    Threads of one process queue on `Database.write_lock`; the API and the worker are two processes and
    meet on SQLite's lock. SQLite's busy handler sleeps 1, 2, 5, 10, 15 … 100 ms between attempts, so a
    waiting writer wakes long after the lock was freed: with the API writing 200 records a second, the
    worker's snapshot store waited 80–530 ms to begin (bench/freshness_bench.py, p99 of freshness over
    400 ms). Write connections give SQLite's handler 1 ms (`busy_timeout=1`) and try again here, so the
    wait ends within about a millisecond of the lock being freed.
    """
    deadline = time.monotonic() + WRITE_WAIT_SECONDS
    while True:
        try:
            dbapi_conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                raise


WAL_AUTOCHECKPOINT_PAGES = 20_000  # ~80 MiB: the fallback when no worker checkpoints


def checkpoint(db: Database) -> None:
    """A passive WAL checkpoint (never blocks readers or writers); a no-op on PostgreSQL."""
    if db.is_sqlite:
        with db.read_engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")


def start_checkpoints(db: Database, interval: float = 1.0) -> Callable[[], None]:
    """Checkpoint SQLite's WAL every `interval` seconds from a background thread (the C library runs it
    without the GIL), so no request pays for a checkpoint; returns the function that stops it."""
    stop = threading.Event()
    if not db.is_sqlite:
        return stop.set

    def loop() -> None:
        while not stop.wait(interval):
            try:
                checkpoint(db)
            except Exception:
                log.exception("WAL checkpoint failed")

    threading.Thread(target=loop, name="wal-checkpoint", daemon=True).start()
    return stop.set


def private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) readable by this user only (0700), or tighten it if it exists.

    `var/` holds the SQLite database, its WAL, the private Redis's append-only file and secrets: on a
    shared machine nobody else may read them (UU 27/2022; docs/personal-data.md)."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path


def secure_sqlite_file(path: str) -> None:
    """Create the SQLite database file 0600 before SQLite does (SQLite gives its -wal, -shm and -journal
    files the database file's mode), and tighten the mode of files an older version created 0644.

    The directory is made private when this creates it, and always when it is the project's `var/`
    (a test's temporary directory or an administrator's own directory keep their mode)."""
    if not path or path == ":memory:" or ":" in path.split("/", 1)[0] or "?" in path:
        return  # in-memory, a URI or options: nothing of ours to create
    file = Path(path)
    if not file.parent.exists() or file.parent.resolve() == (ROOT / "var").resolve():
        private_dir(file.parent)
    # Only a file that does not exist yet is opened here: closing a descriptor of a database this process
    # already has open would drop SQLite's POSIX locks on it (fcntl locks belong to the process).
    try:
        os.close(os.open(file, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        pass
    for name in (path, path + "-wal", path + "-shm", path + "-journal"):
        if os.path.exists(name) and (os.stat(name).st_mode & 0o777) != 0o600:
            os.chmod(name, 0o600)


def make_database(settings: Settings, *, worker: bool = False) -> Database:
    """Build the engines for `settings.database_url`, for the API and the CLI or (`worker`) the worker.

    Memory on SQLite (docs/operations.md, "Memory"): the page cache is heap each connection keeps
    while it lives, and the pools keep `sqlite_pool_size` connections per engine open. The API's write
    connections get a 256 MiB memory map (it inserts into indexes on random keys all over the file)
    and `sqlite_write_cache_mib`; only one is in use at a time (writers queue on `write_lock`). Its
    read connections, up to one per request thread, get `sqlite_read_cache_mib` and a 64 MiB map:
    mapped pages are the OS's shared page cache, not heap. The worker writes a snapshot and a few
    running totals, and its big reads (whole events) would otherwise leave up to 256 MiB of the file
    mapped into its memory: its connections map 64 MiB, as readers always do, and get
    `sqlite_worker_cache_mib` each.
    """
    url = settings.database_url
    if url.startswith("sqlite"):
        if "///" in url:
            secure_sqlite_file(url.split("///", 1)[-1])
        pools = {"pool_size": settings.sqlite_pool_size, "max_overflow": settings.sqlite_max_overflow}
        write_cache = settings.sqlite_worker_cache_mib if worker else settings.sqlite_write_cache_mib
        read_cache = settings.sqlite_worker_cache_mib if worker else settings.sqlite_read_cache_mib
        return Database(
            url=url,
            write_engine=_sqlite_engine(url, immediate=True, mmap_bytes=(64 if worker else 256) * MIB,
                                        cache_mib=write_cache, **pools),
            read_engine=_sqlite_engine(url, immediate=False, mmap_bytes=64 * MIB, cache_mib=read_cache, **pools),
            write_lock=threading.Lock(),
            tz=settings.tz,
        )
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    # PostgreSQL keeps 20 + 20: its connections cost the server (and a connect ~ms), not the API's heap.
    engine = create_engine(url, pool_size=20, max_overflow=20, pool_pre_ping=True, json_serializer=_to_json,
                           json_deserializer=from_json, hide_parameters=True)  # no personal data in errors/logs
    return Database(url=url, write_engine=engine, read_engine=engine, tz=settings.tz)


class UnitOfWork:
    """One transaction plus the callbacks to run once it has committed.

    It carries what a committed write must announce: `event_changed(event_id)` queues the worker's
    recompute after the commit (through the dispatcher the unit was opened with; a unit opened
    without one, as the CLI and tests do, announces nothing and the outbox relay covers it)."""

    def __init__(self, session: Session, tz: ZoneInfo | None = None,
                 on_event_changed: Callable[[str], object] | None = None) -> None:
        self.session = session
        self.tz = tz or ZoneInfo("Asia/Jakarta")
        self._on_event_changed = on_event_changed
        self._after_commit: list[Callable[[], object]] = []

    def after_commit(self, fn: Callable[[], object]) -> None:
        self._after_commit.append(fn)

    def event_changed(self, event_id: str) -> None:
        """Tell the worker, once this unit has committed, that the event's data changed."""
        notify = self._on_event_changed
        if notify is not None:
            self.after_commit(lambda: notify(event_id))

    def run_after_commit(self) -> None:
        for fn in self._after_commit:
            try:
                fn()
            except Exception:  # a post-commit side effect must never turn a stored write into an error
                log.exception("after-commit callback failed")
        self._after_commit.clear()

    def drop_after_commit(self) -> None:
        """Forget the callbacks: the unit rolled back, nothing it staged may be announced."""
        self._after_commit.clear()


@contextmanager
def write_unit(db: Database, on_event_changed: Callable[[str], object] | None = None) -> Iterator[UnitOfWork]:
    """A write transaction: commit on success, roll back on error, then run after-commit hooks."""
    lock = db.write_lock
    if lock is not None:
        lock.acquire()
    try:
        with Session(db.write_engine, expire_on_commit=False) as session:
            uow = UnitOfWork(session, db.tz, on_event_changed)
            try:
                yield uow
                session.commit()
            except BaseException:
                session.rollback()
                uow.drop_after_commit()
                raise
    finally:
        if lock is not None:
            lock.release()
    uow.run_after_commit()


T = TypeVar("T")


def in_write_unit(db: Database, work: Callable[[UnitOfWork], T],
                  on_event_changed: Callable[[str], object] | None = None) -> T:
    """Run `work` in a write transaction, again if a concurrent insert of the same key won.

    On PostgreSQL two transactions can both find a client id unused and both insert it; the loser
    hits the primary key, and running it again answers it as the replay it is.
    """
    for attempt in range(3):
        try:
            with write_unit(db, on_event_changed) as uow:
                return work(uow)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


class OpenOnUseWriteUnit(UnitOfWork):
    """A write unit that begins at the first use of `session` and ends with `finish(error)`.

    For a unit whose opening and closing happen apart from its use (an HTTP request's: opened while
    dependencies are solved, used in the route's thread, finished after the route returned): the
    write lock and the transaction are taken only by the work itself, as `write_unit` takes them.
    The lock may be released by another thread than the one that took it (`threading.Lock` allows
    it; the SQLite connection is not bound to a thread), and the three steps never overlap."""

    def __init__(self, db: Database, on_event_changed: Callable[[str], object] | None = None) -> None:
        super().__init__(None, db.tz, on_event_changed)  # type: ignore[arg-type]
        self._db = db
        self._session: Session | None = None
        self._locked = False
        self._finished = False

    @property  # type: ignore[override]
    def session(self) -> Session:
        if self._session is None:
            if self._finished:
                raise RuntimeError("this unit of work has ended")
            lock = self._db.write_lock
            if lock is not None:
                lock.acquire()
                self._locked = True
            self._session = Session(self._db.write_engine, expire_on_commit=False)
        return self._session

    @session.setter
    def session(self, value: Session | None) -> None:
        if value is not None:
            raise AttributeError("an open-on-use unit opens its own session")

    @property
    def begun(self) -> bool:
        """Whether a transaction is open (taken by a use of `session`, not yet finished)."""
        return self._session is not None

    def finish(self, error: BaseException | None) -> None:
        """Commit (no error) or roll back, free the lock, then run (after a commit) or drop the callbacks.

        Once only: later calls change nothing. A failed commit rolls back and raises."""
        if self._finished:
            return
        self._finished = True
        session, self._session = self._session, None
        committed = False
        try:
            if session is not None:
                with session:  # closes it, returning the connection
                    if error is None:
                        session.commit()
                        committed = True
                    else:
                        session.rollback()
            else:
                committed = error is None
        finally:
            if self._locked:
                self._locked = False
                assert self._db.write_lock is not None
                self._db.write_lock.release()
            if committed:
                self.run_after_commit()
            else:
                self.drop_after_commit()


@contextmanager
def read_unit(db: Database, *, consistent: bool = False) -> Iterator[Session]:
    """A read-only transaction (never takes SQLite's write lock).

    `consistent`: every statement sees the same committed state. SQLite's read transaction does so
    already (WAL: from its first read); PostgreSQL's default, READ COMMITTED, lets each statement see
    later commits, so it gets REPEATABLE READ (read-only, it never fails to serialise). The recompute
    asks for it: its snapshot's `data_seq` then names exactly the data it was computed from."""
    with Session(db.read_engine, expire_on_commit=False) as session:
        if consistent and db.read_engine.dialect.name == "postgresql":
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        yield session  # closing returns the connection; loaded objects stay readable

