"""services/api/live/slot.py: a websocket's latest slot keeps the newest message only, never a backlog,
and never hands over a seq the client already has."""

from __future__ import annotations

import asyncio

import pytest

from services.api.live.slot import LatestSlot, StatusMessage


def message(seq: int) -> StatusMessage:
    return StatusMessage(seq=seq, text=f'{{"seq":{seq}}}')


async def drain(slot: LatestSlot) -> list[int | None]:
    """What the sender would send now: the messages ready at once, then None if the slot is closed."""
    sent: list[int | None] = []
    while True:
        try:
            got = await asyncio.wait_for(slot.next(), timeout=0.05)
        except TimeoutError:
            return sent
        sent.append(None if got is None else got.seq)
        if got is None:
            return sent


@pytest.mark.anyio
async def test_a_burst_collapses_to_its_newest_message() -> None:
    slot = LatestSlot("e", last_seq=-1)
    for seq in (1, 2, 3):
        slot.offer(message(seq))
    assert await drain(slot) == [3]


@pytest.mark.anyio
async def test_nothing_at_or_below_what_the_client_named_or_was_sent() -> None:
    slot = LatestSlot("e", last_seq=5)
    slot.offer(message(5))
    slot.offer(message(4))
    assert await drain(slot) == []
    slot.offer(message(6))
    assert await drain(slot) == [6]
    slot.offer(message(6))  # a duplicate publication (the worker's and the hub's catch-up re-read)
    assert await drain(slot) == []


@pytest.mark.anyio
async def test_an_older_message_does_not_replace_a_newer_pending_one() -> None:
    slot = LatestSlot("e", last_seq=0)
    slot.offer(message(3))
    slot.offer(message(2))
    assert slot.pending == message(3)
    assert await drain(slot) == [3]


@pytest.mark.anyio
async def test_closing_wakes_the_sender_with_none() -> None:
    slot = LatestSlot("e", last_seq=0)
    slot.offer(message(1))
    slot.close()
    assert slot.closed
    assert await drain(slot) == [None]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # the hub and its slots run on the server's asyncio loop
