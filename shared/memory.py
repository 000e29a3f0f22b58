"""Pausing the cyclic garbage collector around work that allocates many objects and no cycles; handing
freed heap back to the operating system."""

from __future__ import annotations

import ctypes
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


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


def _libc() -> Any:
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "malloc_trim") else None


_LIBC = _libc()


def release_heap() -> bool:
    """Hand the free pages of glibc's heaps back to the operating system (`malloc_trim(0)`): memory Python
    freed stays in the process (RSS) until malloc reuses it, and fragments of many short-lived buffers
    (websocket frames, request bodies) keep whole pages. False where there is no glibc (nothing to do).
    Runs without the GIL (ctypes releases it): milliseconds, up to ~80 ms on a fragmented heap."""
    if _LIBC is None:
        return False
    _LIBC.malloc_trim(0)
    return True
