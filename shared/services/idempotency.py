"""What "same content" means for a replayed create (DESIGN.md, "Idempotent creates").

The stored fingerprint is the request as the server understood it: every field with its default
filled in, instants in UTC, so `"2026-01-01T07:00+07:00"` and `"2026-01-01T00:00Z"` are the same.
Fields whose default is "now" are recorded as null when the client left them out: the server's
clock never makes a replay differ.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel


def fingerprint(data: BaseModel, time_defaults: Iterable[str], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The comparable content of a create request (without its id)."""
    payload = data.model_dump(mode="json", exclude={"id"})
    sent = data.model_fields_set
    for name in time_defaults:
        if name in payload and name not in sent:
            payload[name] = None
    if extra:
        payload.update(extra)
    return payload


def same_content(stored: dict[str, Any], replay: dict[str, Any], time_defaults: Iterable[str]) -> bool:
    """True when a replay asks for what the stored operation did."""
    skip = set(time_defaults)
    for key in set(stored) | set(replay):
        a, b = stored.get(key), replay.get(key)
        if key in skip and (a is None or b is None):
            continue
        if a != b:
            return False
    return True
