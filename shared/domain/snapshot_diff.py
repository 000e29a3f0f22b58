"""Where two status snapshots differ, field by field (pure: no I/O).

The snapshot verifier (shared/services/verify.py) computes an event's snapshot twice — the normal way,
which reads state the write path maintains (running delivery and stock totals), and from scratch — and
compares them, and the stored snapshot, with `snapshot_differences`. Every differing field comes back
as a path a person can read in a log line:

    indicator.services.permakanan.fulfilled
    shelters[id=S1].meals_today[time=07:00].delivered
    unmet[person_id=P].missing
    stock.items[location_id=G1,item_code=beras].on_hand

Lists of dicts are matched by their key field (`KEY_FIELDS`: the first that every element of both lists
has, unique in each), so one shelter more or less names that shelter instead of shifting every later
index; their order is not compared (the engine orders them by the same rows either way, and stored
alerts are ordered by first-seen time). Other lists are compared position by position.

Numbers are equal within a relative and absolute 1e-9: a running sum adds floats one write at a time,
a recount adds them in another order, and the last bits may differ with nothing wrong. Quantities people
enter have a few decimals, so 1e-9 hides no real difference.

What legitimately differs between two correct snapshots is left out, explicitly (`snapshot_differences`):

- `seq`: the stored snapshot's number in the event's sequence; a computed one has none;
- the alerts' bookkeeping: a stored alert keeps when it was first seen, last seen, cleared and
  acknowledged (and by whom), and the stored list is ordered by first-seen time; a computed alert is
  "first seen now". Alerts are compared by their stable `id`, `kind` and `severity` only: the id
  names the cause and its subject (shared/stock/alerts.py), the severity what it calls for.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

KEY_FIELDS: tuple[tuple[str, ...], ...] = (
    ("id",), ("person_id",), ("location_id", "item_code"), ("shelter_id",), ("item_code",), ("kelurahan_code",),
    ("time",),
)
"""Candidate keys of a list of dicts, tried in order (a composite key names every field)."""

IGNORED_FIELDS = ("seq",)
"""Top-level fields two correct snapshots may differ in (see the module docstring)."""

ALERT_FIELDS = ("id", "kind", "severity")
"""What of an alert is compared; the rest is the stored alert's bookkeeping."""

TOLERANCE = 1e-9


class _Missing:
    """The value on the side where a field or list element does not exist."""

    def __repr__(self) -> str:
        return "<tidak ada (missing)>"


MISSING: Any = _Missing()


@dataclass(frozen=True)
class Difference:
    """One differing field: its path, the value found (the checked side) and the value expected (the
    reference); MISSING where one side has no such field."""

    path: str
    found: Any
    expected: Any


def snapshot_differences(found: Mapping[str, Any], expected: Mapping[str, Any]) -> list[Difference]:
    """Every field in which snapshot `found` (body and `unmet`) differs from `expected`, leaving out
    `IGNORED_FIELDS` and the alerts' bookkeeping."""
    return differences(_comparable(found), _comparable(expected))


def _comparable(snapshot: Mapping[str, Any]) -> dict[str, Any]:
    body = {k: v for k, v in snapshot.items() if k not in IGNORED_FIELDS}
    if isinstance(body.get("alerts"), list):
        body["alerts"] = [{f: a.get(f) for f in ALERT_FIELDS} if isinstance(a, Mapping) else a
                          for a in body["alerts"]]
    return body


def differences(found: Any, expected: Any, path: str = "") -> list[Difference]:
    """Every leaf in which `found` differs from `expected` (nested dicts and lists), as paths."""
    out: list[Difference] = []
    _walk(found, expected, path, out)
    return out


def _walk(a: Any, b: Any, path: str, out: list[Difference]) -> None:
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        for k in list(a) + [k for k in b if k not in a]:
            _walk(a.get(k, MISSING), b.get(k, MISSING), _field(path, k), out)
        return
    if _is_list(a) and _is_list(b):
        key = list_key(a, b)
        if key is None:
            for i in range(max(len(a), len(b))):
                _walk(a[i] if i < len(a) else MISSING, b[i] if i < len(b) else MISSING, f"{path}[{i}]", out)
            return
        left = {_key_of(x, key): x for x in a}
        right = {_key_of(x, key): x for x in b}
        for k in list(left) + [k for k in right if k not in left]:
            _walk(left.get(k, MISSING), right.get(k, MISSING), f"{path}[{_key_text(key, k)}]", out)
        return
    if not equal_leaves(a, b):
        out.append(Difference(path, a, b))


def equal_leaves(a: Any, b: Any) -> bool:
    """Leaves are equal when equal, numbers within TOLERANCE (NaN equals NaN); a bool is not a number."""
    if _is_number(a) and _is_number(b):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b or math.isclose(a, b, rel_tol=TOLERANCE, abs_tol=TOLERANCE)
    if a is MISSING or b is MISSING:
        return a is b
    if isinstance(a, bool) or isinstance(b, bool):  # True == 1 in Python, not in a snapshot
        return type(a) is type(b) and a == b
    return bool(a == b)


def list_key(a: Sequence[Any], b: Sequence[Any]) -> tuple[str, ...] | None:
    """The first of KEY_FIELDS that every element of both lists (all dicts) has, unique within each list;
    None when there is none (the lists are then compared position by position)."""
    items = [*a, *b]
    if not items or not all(isinstance(x, Mapping) for x in items):
        return None
    for key in KEY_FIELDS:
        if all(all(f in x for f in key) for x in items):
            left = [_key_of(x, key) for x in a]
            right = [_key_of(x, key) for x in b]
            if len(set(left)) == len(left) and len(set(right)) == len(right):
                return key
    return None


def _key_of(x: Mapping[str, Any], key: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(_hashable(x[f]) for f in key)


def _hashable(v: Any) -> Any:
    return v if isinstance(v, str | int | float | bool | type(None)) else repr(v)


def _key_text(key: tuple[str, ...], values: tuple[Any, ...]) -> str:
    return ",".join(f"{f}={v}" for f, v in zip(key, values, strict=True))


def _field(path: str, name: Any) -> str:
    return f"{path}.{name}" if path else str(name)


def _is_list(v: Any) -> bool:
    return isinstance(v, list | tuple)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)
