"""What "same content" means for a replayed create (docs/api.md, "Idempotent creates").

The content compared is the request as the server understood it: every field with its default
filled in, instants in UTC, so `"2026-01-01T07:00+07:00"` and `"2026-01-01T00:00Z"` are the same.
Fields whose default is "now" are recorded as null when the client left them out: the server's
clock never makes a replay differ.

What is *stored* (client_operations.payload) is only a fingerprint of that content, never the
content itself: the replay record must not become a second copy of names, NIKs and notes that
outlives a correction or an anonymisation (UU 27/2022; docs/personal-data.md). The fingerprint is
`{"fp": 1, "h": <sha256 of the canonical content without the "now" fields>, "t": {field: <sha256
of that field's value> | null}}`: equal content gives equal `h`, and a "now" field is compared only
when both sides sent it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel
from pydantic_core import to_json

FINGERPRINT_VERSION = 1


_NESTED = (dict, list)


def _canonical(value: Any) -> Any:
    """Keys sorted at every level, so equal content serialises to equal bytes whatever the key order.
    (Lists keep their order; only dicts inside them are rebuilt. Flat values pass through untouched.)"""
    if type(value) is dict:
        return {k: _canonical(v) if type(v) in _NESTED else v for k, v in sorted(value.items())}
    if type(value) is list and any(type(v) in _NESTED for v in value):
        return [_canonical(v) for v in value]
    return value


def _digest(value: Any) -> str:
    # pydantic-core's serialiser: several times faster than json.dumps(sort_keys=True), which matters
    # in a 1,000-record /sync batch. Migration 20261206_0004 hashes old rows the same way.
    return hashlib.sha256(to_json(_canonical(value))).hexdigest()


def is_sealed(payload: dict[str, Any]) -> bool:
    """True for a stored fingerprint (as opposed to a plain content dict of older rows)."""
    return payload.get("fp") == FINGERPRINT_VERSION and "h" in payload


def seal(content: dict[str, Any], time_defaults: Iterable[str]) -> dict[str, Any]:
    """The fingerprint of a normalised content dict (also used by the migration of old rows)."""
    skip = set(time_defaults)
    rest = {k: v for k, v in content.items() if k not in skip}
    times = {k: (None if content[k] is None else _digest(content[k])) for k in sorted(skip) if k in content}
    return {"fp": FINGERPRINT_VERSION, "h": _digest(rest), "t": times}


def content(data: BaseModel, time_defaults: Iterable[str], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The comparable content of a create request (without its id), in clear: never stored."""
    payload = data.model_dump(mode="json", exclude={"id"})
    omit = getattr(data, "FINGERPRINT_OMIT_DEFAULTS", None)
    if omit:  # fields newer than requests phones may have queued: left out while at their defaults
        for name, default in omit.items():
            if name in payload and payload[name] == default:
                del payload[name]
    sent = data.model_fields_set
    for name in time_defaults:
        if name in payload and name not in sent:
            payload[name] = None
    if extra:
        payload.update(extra)
    return payload


def fingerprint(data: BaseModel, time_defaults: Iterable[str], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """What is stored for a create request: a hash of its content, nothing readable."""
    time_defaults = tuple(time_defaults)
    return seal(content(data, time_defaults, extra), time_defaults)


def same_content(stored: dict[str, Any], replay: dict[str, Any], time_defaults: Iterable[str]) -> bool:
    """True when a replay asks for what the stored operation did.

    Either side may be a fingerprint or (rows written before fingerprints) plain content."""
    time_defaults = tuple(time_defaults)
    a = stored if is_sealed(stored) else seal(stored, time_defaults)
    b = replay if is_sealed(replay) else seal(replay, time_defaults)
    if a["h"] != b["h"]:
        return False
    ta, tb = a.get("t", {}), b.get("t", {})
    for key in set(ta) | set(tb):
        x, y = ta.get(key), tb.get(key)
        if x is None or y is None:
            continue
        if x != y:
            return False
    return True
