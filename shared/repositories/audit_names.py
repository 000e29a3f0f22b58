"""The names audit rows point at (docs/api.md, "Event audit"): users, persons, households, shelters, events,
and the person or item behind a stay, service or distribution. One query per kind, for one page of rows."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session

from shared.repositories.bulk import select_in


def _pairs(session: Session, sql: str, ids: Iterable[str]) -> dict[str, tuple]:
    return {str(r[0]): tuple(r[1:]) for r in select_in(session, sql, ids)}


def user_names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    """Full name (else username) per user id."""
    return {int(uid): full or username for uid, full, username in
            select_in(session, "SELECT id, full_name, username FROM users WHERE id {values}", ids)}


def object_rows(session: Session, kind: str, ids: Iterable[str]) -> dict[str, tuple]:
    """Per object id, the columns its label is made of (see shared/services/audit_view.py)."""
    sql = {
        "person": "SELECT id, full_name FROM persons WHERE id {values}",
        "household": "SELECT id, head_name FROM households WHERE id {values}",
        "shelter": "SELECT id, name FROM shelters WHERE id {values}",
        "event": "SELECT id, name FROM events WHERE id {values}",
        "stay": "SELECT s.id, p.full_name, sh.name, s.kind FROM stays s JOIN persons p ON p.id = s.person_id "
                "LEFT JOIN shelters sh ON sh.id = s.shelter_id WHERE s.id {values}",
        "service": "SELECT v.id, v.kind, p.full_name FROM services v JOIN persons p ON p.id = v.person_id "
                   "WHERE v.id {values}",
        "distribution": "SELECT d.id, d.quantity, i.name, i.unit FROM distributions d JOIN items i ON i.code = d.item_code "
                        "WHERE d.id {values}",
    }.get(kind)
    if sql is None:
        return {}
    return _pairs(session, sql, ids)
