"""Queries for reference data. Regions, items and profile versions change rarely, so each process
keeps them for a short while instead of asking the database on every write."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from shared.models import Item, Region, StandardProfile

_TTL_SECONDS = 30.0
_cache: dict[tuple[str, str], tuple[float, Any]] = {}


def _bind_key(session: Session) -> str:
    bind = session.get_bind()
    return str(getattr(bind, "url", id(bind)))


def _cached(session: Session, name: str, load: Any) -> Any:
    key = (_bind_key(session), name)
    hit = _cache.get(key)
    now = time.monotonic()
    if hit is not None and now - hit[0] < _TTL_SECONDS:
        return hit[1]
    value = load()
    _cache[key] = (now, value)
    return value


def forget_cached() -> None:
    """Drop every cached reference row (after an admin edit in this process)."""
    _cache.clear()


def kelurahan_codes(session: Session) -> frozenset[str]:
    return _cached(session, "kelurahan", lambda: frozenset(
        session.exec(select(Region.code).where(Region.level == "kelurahan")).all()))


def item_units(session: Session) -> dict[str, str]:
    return _cached(session, "items", lambda: dict(session.exec(select(Item.code, Item.unit)).all()))


def list_regions(session: Session, *, level: str | None, parent_code: str | None,
                 limit: int, offset: int) -> tuple[list[Region], int]:
    q = select(Region)
    if level:
        q = q.where(Region.level == level)
    if parent_code:
        q = q.where(Region.parent_code == parent_code)
    total = session.exec(select(func.count()).select_from(q.subquery())).one()
    rows = session.exec(q.order_by(Region.code).limit(limit).offset(offset)).all()
    return list(rows), total


def list_items(session: Session, *, limit: int, offset: int) -> tuple[list[Item], int]:
    total = session.exec(select(func.count()).select_from(Item)).one()
    rows = session.exec(select(Item).order_by(col(Item.created_at), col(Item.code)).limit(limit).offset(offset)).all()
    return list(rows), total


def add_item(session: Session, item: Item) -> None:
    session.add(item)
    session.flush()
    forget_cached()


def get_item(session: Session, code: str) -> Item | None:
    return session.get(Item, code)


def latest_profiles(session: Session) -> list[StandardProfile]:
    """The newest version of every profile, default first."""
    newest = select(StandardProfile.code, func.max(StandardProfile.version).label("v")).group_by(
        StandardProfile.code).subquery()
    q = select(StandardProfile).join(
        newest, (col(StandardProfile.code) == newest.c.code) & (col(StandardProfile.version) == newest.c.v))
    rows = list(session.exec(q).all())
    return sorted(rows, key=lambda p: (not p.is_default, p.code))


def latest_profile(session: Session, code: str) -> StandardProfile | None:
    q = select(StandardProfile).where(StandardProfile.code == code).order_by(
        col(StandardProfile.version).desc()).limit(1)
    return session.exec(q).first()


def profile_versions(session: Session, code: str) -> list[StandardProfile]:
    q = select(StandardProfile).where(StandardProfile.code == code).order_by(col(StandardProfile.version))
    return list(session.exec(q).all())


def default_profile(session: Session) -> StandardProfile | None:
    q = select(StandardProfile.code).where(StandardProfile.is_default == True).limit(1)  # noqa: E712
    code = session.exec(q).first()
    return latest_profile(session, code) if code else None


def profile_body(session: Session, code: str, version: int) -> dict[str, Any]:
    """A profile version's rules; versions never change once stored, so they are cached for good."""
    key = (_bind_key(session), f"profile:{code}:{version}")
    hit = _cache.get(key)
    if hit is not None:
        return hit[1]
    row = session.exec(select(StandardProfile.body).where(
        StandardProfile.code == code, StandardProfile.version == version)).one()
    _cache[key] = (float("inf"), row)
    return dict(row)


def sandang_item(session: Session, event: Any) -> str | None:
    """The item code that serves sandang in the event's profile version."""
    body = profile_body(session, event.standard_code, event.standard_version)
    return next((i["code"] for i in body.get("items", []) if i.get("service") == "sandang"), None)


def sandang_and_meal_items(session: Session, event: Any) -> tuple[str | None, str | None]:
    """The item codes that serve sandang and permakanan in the event's profile version (the running
    delivery totals sum both per recipient: shared/repositories/delivery_totals.py)."""
    body = profile_body(session, event.standard_code, event.standard_version)
    items = body.get("items", [])
    return (next((i["code"] for i in items if i.get("service") == "sandang"), None),
            next((i["code"] for i in items if i.get("service") == "permakanan"), None))


def add_profile(session: Session, profile: StandardProfile) -> None:
    session.add(profile)
    session.flush()
    forget_cached()
