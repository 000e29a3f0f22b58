"""The API's periodic full collection (POSKO_API_GC_SECONDS, services/api/main.py): garbage in reference
cycles is freed within the interval even though the API's collector thresholds make full collections
rare, and the freed heap is handed back to the OS (shared/memory.py:release_heap). Issue 14's soak:
closed websockets left cycles behind and the API's RSS grew ~30 MB a minute."""

from __future__ import annotations

import gc
import sys
import weakref
from pathlib import Path

import anyio
import pytest
from pydantic import ValidationError

from services.api.main import _collect_periodically
from shared.memory import release_heap
from tests.conftest import make_settings


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


def test_cyclic_garbage_is_collected_within_the_interval_without_the_automatic_collector() -> None:
    garbage = _Node()
    alive = weakref.ref(garbage)
    del garbage
    enabled = gc.isenabled()
    gc.disable()  # as good as the API's thresholds: no automatic collection will happen meanwhile
    try:
        assert alive() is not None

        async def run() -> None:
            with anyio.move_on_after(5):
                async with anyio.create_task_group() as tg:
                    tg.start_soon(_collect_periodically, 0.05)
                    while alive() is not None:
                        await anyio.sleep(0.01)
                    tg.cancel_scope.cancel()

        anyio.run(run)
        assert alive() is None
    finally:
        if enabled:
            gc.enable()


def test_zero_turns_the_collection_off() -> None:
    async def run() -> None:
        with anyio.fail_after(1):
            await _collect_periodically(0)  # returns at once instead of looping

    anyio.run(run)


def test_the_heap_is_handed_back_on_glibc() -> None:
    assert release_heap() is sys.platform.startswith("linux")


def test_a_negative_interval_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="api_gc_seconds"):
        make_settings(f"sqlite:///{tmp_path / 'x.db'}", api_gc_seconds=-1)
