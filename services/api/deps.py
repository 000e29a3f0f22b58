"""Request dependencies as Annotated aliases: settings, database, the current actor, the request's
units of work (ReadSession, WriteUnit), the event a path names (VisibleEvent to read it,
WritableEvent to write in it), the group writer (WriterDep), list paging."""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Annotated, Any

import anyio
from fastapi import Depends, Header, Path, Query, Request
from fastapi.routing import APIRoute
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
from shared.services.events import visible_event, writable_event

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
# ReadSession is an async generator in the "function" scope: it closes when the route has returned and
# its answer is built, before the answer is sent. Opening costs nothing (no connection) and stays on the
# event loop; the route uses the session in the thread pool.
#
# WriteUnit ends inside the route's own thread-pool call, the way `with write_unit(db)` in the route
# did: routers use `UnitOfWorkRoute`, which commits (or, when the route raises, rolls back) every
# WriteUnit right after the route function returns, in the same thread. The unit begins at the
# route's first use of `uow.session`, so SQLite's write lock is held only while the route works and
# commits. Ending it later, in the dependency's teardown, would deadlock under load: requests waiting
# for the lock hold the pool's threads, while the holder needs one more to build its answer.

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
    """The request's write transaction, carrying the dispatcher: work registered with
    `uow.after_commit` / `uow.event_changed` runs after the commit only; a rolled-back unit drops it.

    UnitOfWorkRoute ends it in the route's thread; the teardown here only ends a unit a route left open
    (a route outside UnitOfWorkRoute), on a thread of its own so it cannot wait for the pool."""
    uow = OpenOnUseWriteUnit(db, dispatcher.event_changed)
    try:
        yield uow
    except BaseException as exc:
        if uow.begun:
            await anyio.to_thread.run_sync(uow.finish, exc, limiter=anyio.CapacityLimiter(1))
        raise
    if uow.begun:
        await anyio.to_thread.run_sync(uow.finish, None, limiter=anyio.CapacityLimiter(1))


@dataclass(frozen=True)
class _EventToLock:
    """What WritableEvent resolves to before the route runs: the event is locked and checked by
    `_ending_units` in the route's own thread, inside the request's write unit (see WritableEvent)."""

    uow: OpenOnUseWriteUnit
    actor: Actor
    event_id: str


def _ending_units(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """`endpoint`, ending the WriteUnits it was given when it returns (commit) or raises (roll back);
    a WritableEvent argument is locked and checked first, in the same unit and thread."""
    @functools.wraps(endpoint)
    def run(*args: Any, **kwargs: Any) -> Any:
        units = [v for v in kwargs.values() if isinstance(v, OpenOnUseWriteUnit)]
        units += [v.uow for v in kwargs.values() if isinstance(v, _EventToLock) and v.uow not in units]
        if not units:
            return endpoint(*args, **kwargs)
        try:
            for name, value in kwargs.items():
                if isinstance(value, _EventToLock):
                    kwargs[name] = writable_event(value.uow, value.actor, value.event_id)
            result = endpoint(*args, **kwargs)
        except BaseException as exc:
            for uow in units:
                uow.finish(exc)
            raise
        for uow in units:
            uow.finish(None)  # a failed commit raises here: answered through the error mapping
        return result
    return run


class UnitOfWorkRoute(APIRoute):
    """A route whose WriteUnit commits in the route's own thread, as soon as the route returns."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not inspect.iscoroutinefunction(endpoint):  # async routes write through the WriteBatcher
            endpoint = _ending_units(endpoint)
        super().__init__(path, endpoint, **kwargs)


ReadSession = Annotated[Session, Depends(read_session, scope="function")]
WriteUnit = Annotated[OpenOnUseWriteUnit, Depends(write_unit, scope="function")]
# The event a path names (its control characters are refused by clean_text_params, on every API router).
EventIdPath = Annotated[str, Path()]


def load_visible_event(event_id: EventIdPath, actor: CurrentActor, session: ReadSession) -> Event:
    """The event the path names, if the caller may see it (404 otherwise: an event the caller may
    not see does not exist for them). Runs in the thread pool (an ORM read)."""
    return visible_event(session, actor, event_id)


VisibleEvent = Annotated[Event, Depends(load_visible_event)]


async def event_to_lock(event_id: EventIdPath, actor: CurrentActor, uow: WriteUnit) -> _EventToLock:
    return _EventToLock(uow, actor, event_id)


# The event the path names, locked for this request's write and checked: 404 when the caller may not
# see it, 403 when they may only read it (shared.services.events.writable_event). It is loaded when
# the route starts, in the route's thread and the request's WriteUnit (which it begins), not in a
# thread call of its own: a dependency holding SQLite's write lock while the request waits for another
# pool thread would deadlock under load (see the note above read_session). Only for routes of a
# UnitOfWorkRoute router.
WritableEvent = Annotated[Event, Depends(event_to_lock)]


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
