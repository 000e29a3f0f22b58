"""Request dependencies as Annotated aliases: settings, database, the current actor, the request's
units of work (ReadSession, WriteUnit), the event a path names (VisibleEvent), the group writer
(WriterDep), list paging."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

import anyio
from fastapi import Depends, Header, Path, Query, Request
from fastapi.security import OAuth2PasswordBearer
from sqlmodel import Session

from services.api.write_batcher import WriteBatcher
from shared.config import Settings
from shared.db import Database, OpenOnUseWriteUnit
from shared.domain.access import Actor
from shared.domain.text import control_character_problem
from shared.errors import DomainError, Invalid
from shared.models import Event
from shared.queue import Dispatcher
from shared.schemas.common import MAX_DB_ID, MAX_LIMIT, MAX_OFFSET, Paging
from shared.security import decode_access_token
from shared.services.events import visible_event

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


class Unauthenticated(DomainError):
    status_code = 401


# The dependencies below only read app state: `async def` keeps them on the event loop instead of
# costing a thread-pool round trip each on every request.
async def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


async def get_db(request: Request) -> Database:
    return request.app.state.db


async def get_dispatcher(request: Request) -> Dispatcher:
    return request.app.state.dispatcher


async def get_writer(request: Request) -> WriteBatcher:
    return request.app.state.writer  # type: ignore[no-any-return]


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
DbDep = Annotated[Database, Depends(get_db)]
DispatcherDep = Annotated[Dispatcher, Depends(get_dispatcher)]
# The process's group writer: field records (persons, stays, distributions …) are applied through it.
WriterDep = Annotated[WriteBatcher, Depends(get_writer)]

# A token names a user and the user's token version. Both are checked against the database on every
# request (one primary-key read, no cache): a password, role or active-flag change bumps the version,
# so a token issued before it stops working at once in every API process. The read goes straight to
# the driver (no ORM, no explicit transaction): ~40 µs on SQLite against ~700 µs through a Session.
_ACTOR_SQL = "SELECT id, username, role, is_active, token_version FROM users WHERE id = "


def _load_actor(db: Database, user_id: int, token_version: int) -> Actor | None:
    """The active user behind a token of this version, or None."""
    conn = db.read_engine.raw_connection()
    try:
        cur = conn.cursor()
        try:
            cur.execute(_ACTOR_SQL + ("?" if db.is_sqlite else "%s"), (user_id,))
            row = cur.fetchone()
        finally:
            cur.close()
    finally:
        conn.close()  # back to the pool, which ends any implicit transaction
    if row is None or not row[3] or int(row[4]) != token_version:
        return None
    return Actor(id=int(row[0]), username=str(row[1]), role=str(row[2]))


_CLAIMS_CACHE_SIZE = 4096
_claims: dict[tuple[str, str], dict[str, Any]] = {}


def _decode(settings: Settings, token: str) -> dict[str, Any] | None:
    """Verified claims of a token; a verified token is remembered (its expiry is still checked)."""
    key = (settings.signing_key(), token)
    claims = _claims.get(key)
    if claims is not None:
        return claims if claims["exp"] > time.time() else None
    claims = decode_access_token(settings, token)
    if claims is not None:
        if len(_claims) >= _CLAIMS_CACHE_SIZE:
            _claims.clear()
        _claims[key] = claims
    return claims


def token_refusal(db: Database, settings: Settings, token: str | None) -> tuple[Actor | None, str | None, float]:
    """(actor, None, expiry as a Unix time) for a usable token, else (None, why not, 0). Blocking."""
    if not token:
        return None, "perlu masuk: kirim header Authorization: Bearer <token> (authentication required)", 0.0
    claims = _decode(settings, token)
    if claims is None:
        return None, "token tidak sah atau kedaluwarsa (invalid or expired token)", 0.0
    try:
        user_id = int(claims["sub"])
        version = int(claims["ver"])
        expires = float(claims["exp"])
    except (KeyError, ValueError, TypeError):
        return None, "token tidak sah (invalid token)", 0.0
    actor = _load_actor(db, user_id, version)
    if actor is None:
        return None, ("akun tidak aktif atau token sudah dicabut; silakan masuk lagi "
                      "(account inactive, or the token was revoked)"), 0.0
    return actor, None, expires


async def current_actor(request: Request, token: Annotated[str | None, Depends(oauth2)]) -> Actor:
    """The caller (401 otherwise).

    On SQLite the lookup (a local file read of tens of microseconds) runs on the event loop: a thread
    pool round trip would cost more than the read. A PostgreSQL read is a network round trip, which
    must not stall the loop that serves every other request and websocket: it runs in a thread."""
    db: Database = request.app.state.db
    settings: Settings = request.app.state.settings
    if db.is_sqlite:
        actor, refusal, _ = token_refusal(db, settings, token)
    else:
        actor, refusal, _ = await anyio.to_thread.run_sync(token_refusal, db, settings, token)
    if actor is None:
        raise Unauthenticated(refusal or "token tidak sah (invalid token)")
    return actor


CurrentActor = Annotated[Actor, Depends(current_actor)]


# ---- the request's units of work ----
#
# Both are async generators in the "function" scope: they close when the route has returned and its
# answer is built, before the answer is sent, so a client never sees a 2xx for a write that did not
# commit, and a failed commit is answered through the error mapping like any other error. The route
# runs in the thread pool and uses the session there; opening costs nothing (no connection, no lock)
# and stays on the event loop; closing does database I/O and runs in a thread.

async def read_session(db: DbDep) -> AsyncIterator[Session]:
    """A read-only transaction for the request (never takes SQLite's write lock)."""
    session = Session(db.read_engine, expire_on_commit=False)
    try:
        yield session  # loaded objects stay readable after the close
    finally:
        if db.is_sqlite:  # returning a local connection to the pool: microseconds, no thread hop
            session.close()
        else:  # a network round trip (ROLLBACK) must not stall the loop
            await anyio.to_thread.run_sync(session.close)


async def write_unit(db: DbDep, dispatcher: DispatcherDep) -> AsyncIterator[OpenOnUseWriteUnit]:
    """The request's write transaction: committed when the route returns, rolled back when it raises.

    It begins at the route's first use of `uow.session`, in the route's thread, so the SQLite write
    lock is never held by a request that has not started its work: taking it while dependencies are
    solved would let requests waiting for it fill the thread pool that the holder's route needs
    (a deadlock). Work registered with `uow.after_commit` / `uow.event_changed` runs after the commit
    only; a rolled-back unit drops it."""
    uow = OpenOnUseWriteUnit(db, dispatcher.event_changed)
    try:
        yield uow
    except BaseException as exc:
        await _finish(uow, exc)
        raise
    await _finish(uow, None)


async def _finish(uow: OpenOnUseWriteUnit, error: BaseException | None) -> None:
    if not uow.begun:
        uow.finish(error)  # nothing to commit: only drops or runs registered callbacks
        return
    # Its own limiter (as FastAPI does for a sync dependency's exit): a unit that holds the write lock
    # must be able to commit while every thread of the default pool waits for that lock.
    await anyio.to_thread.run_sync(uow.finish, error, limiter=anyio.CapacityLimiter(1))


ReadSession = Annotated[Session, Depends(read_session, scope="function")]
WriteUnit = Annotated[OpenOnUseWriteUnit, Depends(write_unit, scope="function")]
# The event a path names (its control characters are refused by clean_text_params, on every API router).
EventIdPath = Annotated[str, Path()]


def load_visible_event(event_id: EventIdPath, actor: CurrentActor, session: ReadSession) -> Event:
    """The event the path names, if the caller may see it (404 otherwise: an event the caller may
    not see does not exist for them). Runs in the thread pool (an ORM read)."""
    return visible_event(session, actor, event_id)


VisibleEvent = Annotated[Event, Depends(load_visible_event)]


def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="at most 500")] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="at most 1,000,000,000")] = 0,
) -> Paging:
    return Paging(limit, offset)


PageParams = Annotated[Paging, Depends(page_params)]
# A version is a small integer: a longer header is refused (422 naming If-Match) before anything parses it.
IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=64, description="version number, bare or quoted")]
# A user id in a path: a PostgreSQL `integer`, so larger values are 422 instead of a database error.
UserIdPath = Annotated[int, Path(ge=1, le=MAX_DB_ID)]


_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def clean_text_params(request: Request) -> None:
    """Refuse control characters in every path segment, query value and form field (422 naming it).

    Request bodies are checked by their schemas (shared/schemas/common.py); these are the texts that
    arrive outside a body model. One dependency on every API router instead of a type on each of the
    dozens of `event_id: str` parameters: a route added later is covered without anyone remembering.
    """
    for name, value in request.path_params.items():
        if isinstance(value, str):
            _refuse_control(("path", name), value)
    for name, value in request.query_params.multi_items():
        _refuse_control(("query", name), value)
    if request.headers.get("content-type", "").startswith(_FORM_TYPES):
        form = await request.form()  # parsed once: Starlette keeps it for the route's own Form fields
        for name, value in form.multi_items():
            if isinstance(value, str):
                _refuse_control(("body", name), value)


def _refuse_control(loc: tuple[str, str], value: str) -> None:
    problem = control_character_problem(value)
    if problem:
        raise Invalid(loc, problem, "control_character")
