"""shared/services/status.py::current_snapshot: what "the current status" is, for HTTP and the websocket."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.config import Settings
from shared.db import Database, read_unit, write_unit
from shared.repositories import events as event_repo
from shared.repositories import status as status_repo
from shared.services.status import current_snapshot
from tests.conftest import Api, event_body


def test_before_the_workers_first_snapshot_one_is_computed_with_seq_0_then_the_stored_one_is_served(
        admin: Api, database: Database, settings: Settings) -> None:
    r = admin.post("/events", json=event_body())
    assert r.status_code == 201, r.text
    event_id = r.json()["id"]
    with read_unit(database) as session:
        event = event_repo.get_event(session, event_id)
        assert event is not None
        computed = current_snapshot(session, event, settings.tz)
    assert computed["seq"] == 0
    assert "unmet" not in computed  # the public body: no person ids

    stored_body = dict(computed, seq=1)
    with write_unit(database) as uow:
        assert status_repo.save_latest(uow.session, None, event_id, 1, 1, datetime.now(UTC), stored_body, [])
    with read_unit(database) as session:
        event = event_repo.get_event(session, event_id)
        assert event is not None
        assert current_snapshot(session, event, settings.tz) == stored_body
