"""Audit rows as a person reads them (docs/api.md, "Event audit"): who did it by name, what they did in
Indonesian, and to what or whom by name — a person's name only for roles that see names
(shared/domain/access.py; the audit log itself is admin's today, the rule is kept here anyway)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlmodel import Session

from shared.domain.access import Actor, can_see_names
from shared.domain.audit_labels import SERVICE_LABELS, SYSTEM_ACTOR, action_label, object_kind_label
from shared.repositories import audit_names

NAMED_KINDS = ("person", "household", "stay", "service")  # labels that carry a person's name


def _fmt_qty(q: float) -> str:
    """Indonesian figures: 1.000 for a thousand, 2,5 for two and a half."""
    return f"{int(q):,}".replace(",", ".") if q.is_integer() else f"{q:g}".replace(".", ",")


def _label(kind: str, row: tuple | None, users: dict[int, str], object_id: str) -> str | None:
    if kind in ("member", "user"):
        return users.get(int(object_id)) if object_id.isdigit() else None
    if row is None:
        return None
    if kind == "household":
        return f"keluarga {row[0]}"
    if kind == "stay":
        name, shelter, stay_kind = row
        return f"{name} ({shelter})" if shelter else f"{name} (mandiri)" if stay_kind == "mandiri" else name
    if kind == "service":
        return f"{SERVICE_LABELS.get(row[0], row[0])} untuk {row[1]}"
    if kind == "distribution":
        qty, item, unit = row
        return f"{_fmt_qty(float(qty))} {unit} {item}"
    return str(row[0])


def describe(session: Session, actor: Actor, rows: list[Any]) -> list[dict[str, Any]]:
    """The audit rows with `actor_name`, `action_label`, `object_kind` and `object_label` (null when the
    object is gone or may not be named to `actor`) beside the stored fields."""
    names = can_see_names(actor)
    wanted: dict[str, set[str]] = defaultdict(set)
    user_ids: set[int] = set()
    for r in rows:
        if r.actor_id is not None:
            user_ids.add(r.actor_id)
        if r.object_type in ("member", "user") and str(r.object_id).isdigit():
            user_ids.add(int(r.object_id))
        elif names or r.object_type not in NAMED_KINDS:
            wanted[r.object_type].add(str(r.object_id))
    users = audit_names.user_names(session, user_ids)
    found = {kind: audit_names.object_rows(session, kind, ids) for kind, ids in wanted.items()}
    out = []
    for r in rows:
        oid = str(r.object_id)
        label = None
        if names or r.object_type not in NAMED_KINDS:
            label = _label(r.object_type, found.get(r.object_type, {}).get(oid), users, oid)
        out.append({
            "id": r.id, "at": r.at.isoformat(), "actor_id": r.actor_id, "actor_username": r.actor_username,
            "action": r.action, "object_type": r.object_type, "object_id": r.object_id,
            "actor_name": users.get(r.actor_id) if r.actor_id is not None else SYSTEM_ACTOR,
            "action_label": action_label(r.action),
            "object_kind": object_kind_label(r.object_type),
            "object_label": label,
            "detail": r.detail, "row_count": r.row_count,
        })
    return out
