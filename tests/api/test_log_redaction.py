"""Logs never carry a NIK, a KK number, a search text or a token, however the request spells them.

A real uvicorn server (in a thread of this process, access log on) answers real HTTP requests; the
records its `uvicorn.access` logger emits are captured by a handler and formatted the way uvicorn
prints them. SQL errors raised by the real engines carry no parameter values (hide_parameters).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from uvicorn.logging import AccessFormatter

from services.api.main import create_app
from services.api.middleware import MASK
from shared.config import Settings
from shared.db import Database
from tests.api.live_server import free_port
from tests.conftest import Api, build_scene, fresh_nik

NIK = "1275045205850042"
KK = "1275040101099977"
SECRET_NAME = "Siti Rahasia"  # never written literally where a traceback would quote the line


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.access = AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False)
        self.setFormatter(logging.Formatter("%(message)s"))  # with the traceback, when there is one

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.access.format(record) if record.name == "uvicorn.access" else self.format(record))


@pytest.fixture(scope="module")
def access_log(settings: Settings) -> Iterator[tuple[str, Collect]]:
    handler = Collect()
    access = logging.getLogger("uvicorn.access")
    old_level = access.level
    access.setLevel(logging.INFO)
    access.addHandler(handler)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_config=None,
                                           access_log=True, lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}", handler
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        access.removeHandler(handler)
        access.setLevel(old_level)


def test_query_values_are_redacted_however_they_are_spelt(access_log: tuple[str, Collect], admin: Api) -> None:
    base, handler = access_log
    eid = build_scene(admin).eid
    targets = [
        f"/api/v1/events/{eid}/persons?%71={NIK}",  # percent-encoded name "q"
        f"/api/v1/events/{eid}/persons?Q={NIK}",
        f"/api/v1/events/{eid}/persons?q=Siti&q={NIK}",  # repeated
        f"/api/v1/events/{eid}/persons?q=Siti+{NIK}",  # '+' for a space
        f"/api/v1/events/{eid}/persons?q+={NIK}",
        f"/api/v1/events/{eid}/persons?limit=5;q={NIK}",
        f"/api/v1/events/{eid}/households?kk_number={KK}",
        f"/api/v1/events/{eid}/persons?shelter_id={NIK}",  # a NIK in any parameter
        f"/api/v1/events/{eid}/live?token={admin.token}",
        f"/api/v1/events/{eid}/persons?q=Aminah%20Siregar",
    ]
    before = len(handler.lines)
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {admin.token}"}, timeout=30) as c:
        for target in targets:
            c.get(target)
    lines = handler.lines[before:]
    assert len(lines) >= len(targets), lines  # every request was logged: the test sees real records
    joined = "\n".join(lines)
    assert f"/api/v1/events/{eid}/persons" in joined and MASK in joined
    for secret in (NIK, KK, str(admin.token), "Siti", "Aminah"):
        assert secret not in joined, f"{secret!r} reached the access log:\n{joined}"


def test_a_nik_or_kk_in_a_path_is_redacted(access_log: tuple[str, Collect], admin: Api) -> None:
    base, handler = access_log
    nik = fresh_nik()
    encoded = "".join(f"%{ord(ch):02X}" for ch in nik)
    before = len(handler.lines)
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {admin.token}"}, timeout=30) as c:
        for target in (f"/api/v1/persons/{nik}", f"/api/v1/persons/{nik}/stays", f"/api/v1/persons/{encoded}",
                       f"/api/v1/events/{KK}/households"):
            assert c.get(target).status_code in (404, 422)
    joined = "\n".join(handler.lines[before:])
    assert "/api/v1/persons/" in joined and "/households" in joined
    for secret in (nik, KK, encoded):
        assert secret not in joined, f"{secret!r} reached the access log:\n{joined}"
    # an event id (a UUID whose last group may be all digits) is kept: it is not personal data
    eid = f"{uuid.uuid4().hex[:8]}-1234-4abc-9def-123456789012"
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {admin.token}"}, timeout=30) as c:
        c.get(f"/api/v1/events/{eid}")
    assert eid in handler.lines[-1]


def test_posko_loggers_are_redacted(access_log: tuple[str, Collect]) -> None:
    """Records of Posko's own loggers (children of `posko`, and modules by name) are redacted too."""
    handler = Collect()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        logging.getLogger("posko.writer").warning("gagal: %s", f"/api/v1/events/x/persons?%71={NIK}")
        logging.getLogger("shared.queue").error("NIK %s ditolak", NIK)
    finally:
        root.removeHandler(handler)
    assert len(handler.lines) == 2 and all(MASK in line for line in handler.lines), handler.lines
    assert NIK not in "\n".join(handler.lines)


def test_sql_errors_carry_no_parameters(database: Database) -> None:
    """A failing statement's error names no bound value, and its logged traceback none at all.

    hide_parameters keeps SQLAlchemy from quoting the values; PostgreSQL's own DETAIL line quotes the
    failing row, and the log redaction removes it.
    """
    from shared.models import Person

    pid = str(uuid.uuid4())
    stmt = text(f"INSERT INTO {Person.__tablename__} (id, full_name, nik) VALUES (:id, :name, :nik)")  # noqa: S608
    with pytest.raises(IntegrityError) as caught, database.write_engine.connect() as conn:
        conn.execute(stmt, {"id": pid, "name": SECRET_NAME, "nik": NIK})
    message = str(caught.value)
    assert "INSERT INTO" in message and "[SQL parameters hidden due to hide_parameters=True]" in message, message
    assert "'nik': " not in message and f"'{NIK}'" not in message
    handler = Collect()
    log = logging.getLogger("posko.writer")
    log.addHandler(handler)
    lines: list[str] = []
    try:
        try:
            raise caught.value
        except IntegrityError:
            log.exception("penulisan gagal (write failed)")
        lines = handler.lines
    finally:
        log.removeHandler(handler)
    assert len(lines) == 1 and "IntegrityError" in lines[0] and "INSERT INTO" in lines[0], lines
    for secret in (NIK, SECRET_NAME, pid):
        assert secret not in lines[0], lines[0]
