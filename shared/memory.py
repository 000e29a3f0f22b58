"""Pausing the cyclic garbage collector around work that allocates many objects and no cycles."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector (restoring its state after; nests).

    Loading an event for the needs engine, running the engine, storing its snapshot and building a report
    each allocate hundreds of thousands of small containers that form no reference cycles; the collector
    would only re-walk those young objects over and over (at 50,000 persons it took a third of the
    recompute's load and most of its store). Reference counting still frees everything on time.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
