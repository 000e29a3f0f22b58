"""shared/repositories/bookkeeping.py: the outbox queries the relay, /readyz and the snapshot store rely on
(docs/architecture.md, "The outbox"), on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlmodel import col, select

from shared.db import UnitOfWork
from shared.models import Outbox
from shared.repositories import bookkeeping as repo


def _rows(uow: UnitOfWork, event_id: str, seqs: list[int], *, age: timedelta = timedelta(0)) -> None:
    rows = [repo.outbox_row(event_id, seq, "field_write", "event", event_id) for seq in seqs]
    for row in rows:
        row["created_at"] -= age
    repo.insert_rows(uow.session, Outbox, rows)


def test_outbox_row_is_pending_until_marked() -> None:
    row = repo.outbox_row("e", 3, "field_write", "event", "e")
    assert row["processed_at"] is None and row["data_seq"] == 3 and row["created_at"].tzinfo is not None


def test_pending_events_and_their_oldest_row(uow: UnitOfWork) -> None:
    a, b, quiet = (str(uuid.uuid4()) for _ in range(3))
    _rows(uow, a, [1], age=timedelta(minutes=5))
    _rows(uow, a, [2, 3])
    _rows(uow, b, [7])
    pending = repo.pending_outbox_events(uow.session)
    assert {a, b} <= set(pending) and quiet not in pending
    assert len(pending) == len(set(pending))  # one entry per event, however many rows it has
    oldest = repo.oldest_pending_outbox(uow.session, [a, b, quiet])
    assert set(oldest) == {a, b}
    assert oldest[b] - oldest[a] >= timedelta(minutes=4)  # a's oldest is its five-minute-old row
    assert repo.oldest_pending_outbox(uow.session, []) == {}


def test_marking_covers_rows_up_to_the_snapshot_seq_once(uow: UnitOfWork) -> None:
    event_id, other = str(uuid.uuid4()), str(uuid.uuid4())
    _rows(uow, event_id, [1, 2, 3])
    _rows(uow, other, [1])
    assert repo.mark_outbox_processed(uow.session, event_id, 2) == 2
    assert repo.mark_outbox_processed(uow.session, event_id, 2) == 0  # already covered
    left = uow.session.exec(select(Outbox.data_seq).where(Outbox.event_id == event_id,
                                                           col(Outbox.processed_at).is_(None))).all()
    assert list(left) == [3]
    assert event_id in repo.pending_outbox_events(uow.session)
    assert repo.mark_outbox_processed(uow.session, event_id, 10) == 1
    pending = repo.pending_outbox_events(uow.session)
    assert event_id not in pending and other in pending  # another event's rows are untouched


def test_marking_reads_the_pending_rows_not_every_row_the_event_wrote(uow: UnitOfWork) -> None:
    """The mark runs at every stored snapshot: through the partial index of pending rows, not a walk of the
    event's whole history up to the seq (issue 14: it grew with each write)."""
    event_id = str(uuid.uuid4())
    _rows(uow, event_id, list(range(1, 41)))
    assert repo.mark_outbox_processed(uow.session, event_id, 38) == 38
    assert repo.mark_outbox_processed(uow.session, event_id, 40) == 2
    if uow.session.get_bind().dialect.name == "sqlite":
        from sqlalchemy import text

        plan = " ".join(str(r[3]) for r in uow.session.execute(text(
            "EXPLAIN QUERY PLAN UPDATE outbox SET processed_at = :now WHERE event_id = :e AND data_seq <= :s "
            "AND processed_at IS NULL"), {"now": "x", "e": event_id, "s": 40}))
        assert "ix_outbox_open" in plan, plan


def test_the_catch_up_read_is_a_range_of_the_events_index_not_all_its_rows(uow: UnitOfWork) -> None:
    """Every recompute reads the event's rows after its checkpoint (outbox_after): through (event_id,
    data_seq), in order, instead of every row the event ever wrote sorted afresh (issue 14's soak: the
    read grew with each write)."""
    event_id = str(uuid.uuid4())
    _rows(uow, event_id, list(range(1, 41)))
    rows = repo.outbox_after(uow.session, event_id, 37)
    assert [r[0] for r in rows] == ["field_write"] * 3
    if uow.session.get_bind().dialect.name == "sqlite":
        from sqlalchemy import text

        plan = " ".join(str(r[3]) for r in uow.session.execute(text(
            "EXPLAIN QUERY PLAN SELECT action FROM outbox WHERE event_id = :e AND data_seq > :s "
            "ORDER BY data_seq, id"), {"e": event_id, "s": 37}))
        assert "ix_outbox_event_seq (event_id=? AND data_seq>?)" in plan and "TEMP B-TREE" not in plan, plan
