"""Request dependencies as Annotated aliases: settings, database, the current actor, list paging."""

from __future__ import annotations

import threading
import time
from typing import Annotated, Any

from fastapi import Depends, Header, Path, Query, Request
from fastapi.security import OAuth2PasswordBearer

from shared.config import Settings
from shared.db import Database, read_unit
from shared.domain.access import Actor
from shared.domain.text import control_character_problem
from shared.errors import DomainError, Invalid
from shared.queue import Dispatcher
from shared.repositories.users import get_user
from shared.schemas.common import MAX_DB_ID, MAX_LIMIT, MAX_OFFSET
from shared.security import decode_access_token

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


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
DbDep = Annotated[Database, Depends(get_db)]
DispatcherDep = Annotated[Dispatcher, Depends(get_dispatcher)]

# A token names a user; the user's role and active flag are re-read at most this often per process,
# so deactivating an account takes effect within seconds without a query on every request.
_ACTOR_TTL_SECONDS = 10.0
_actors: dict[tuple[int, int], tuple[float, Actor | None]] = {}
_actors_lock = threading.Lock()


def _load_actor(db: Database, user_id: int) -> Actor | None:
    key = (id(db), user_id)
    now = time.monotonic()
    hit = _actors.get(key)
    if hit is not None and now - hit[0] < _ACTOR_TTL_SECONDS:
        return hit[1]
    with read_unit(db) as session:
        user = get_user(session, user_id)
        actor = Actor(id=user.id, username=user.username, role=user.role) if user and user.is_active else None
    with _actors_lock:
        _actors[key] = (now, actor)
    return actor


def forget_actor(user_id: int) -> None:
    with _actors_lock:
        for key in [k for k in _actors if k[1] == user_id]:
            _actors.pop(key, None)


_CLAIMS_CACHE_SIZE = 4096
_claims: dict[tuple[str, str], dict[str, Any]] = {}


def _decode(settings: Settings, token: str) -> dict[str, Any] | None:
    """Verified claims of a token; a verified token is remembered (its expiry is still checked)."""
    key = (settings.secret_key, token)
    claims = _claims.get(key)
    if claims is not None:
        return claims if claims["exp"] > time.time() else None
    claims = decode_access_token(settings, token)
    if claims is not None:
        if len(_claims) >= _CLAIMS_CACHE_SIZE:
            _claims.clear()
        _claims[key] = claims
    return claims


async def current_actor(request: Request, token: Annotated[str | None, Depends(oauth2)]) -> Actor:
    if not token:
        raise Unauthenticated("perlu masuk: kirim header Authorization: Bearer <token> (authentication required)")
    claims = _decode(request.app.state.settings, token)
    if claims is None:
        raise Unauthenticated("token tidak sah atau kedaluwarsa (invalid or expired token)")
    try:
        user_id = int(claims["sub"])
    except (KeyError, ValueError) as exc:
        raise Unauthenticated("token tidak sah (invalid token)") from exc
    actor = _load_actor(request.app.state.db, user_id)
    if actor is None:
        raise Unauthenticated("akun tidak aktif (account inactive or removed)")
    return actor


CurrentActor = Annotated[Actor, Depends(current_actor)]


def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="at most 500")] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="at most 1,000,000,000")] = 0,
) -> tuple[int, int]:
    return limit, offset


PageParams = Annotated[tuple[int, int], Depends(page_params)]
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
