"""Login (OAuth2 password form) and the caller's own account."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from services.api.deps import CurrentActor, ReadSession, SettingsDep, UnitOfWorkRoute
from shared.errors import DomainError, Invalid
from shared.repositories.users import get_user
from shared.schemas.auth import Token, UserPublic
from shared.security import create_access_token
from shared.services.accounts import authenticate
from shared.services.ratelimit import client_address

MAX_USERNAME = 64  # the column's length: anything longer names no account

router = APIRouter(tags=["auth"], route_class=UnitOfWorkRoute)


class BadCredentials(DomainError):
    status_code = 401


@router.post("/auth/token", response_model=Token, summary="Masuk dan terima token akses (log in)")
def login(request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()], session: ReadSession,
          settings: SettingsDep) -> Token:
    if len(form.username) > MAX_USERNAME:
        raise Invalid("username", f"nama pengguna maksimal {MAX_USERNAME} karakter "
                                  f"(username must be at most {MAX_USERNAME} characters)")
    throttle = request.app.state.login_throttle
    address = client_address(request.client.host if request.client else None,
                             request.headers.get("x-forwarded-for"), throttle.trusted_proxies)
    throttle.check(form.username, address)
    user = authenticate(session, form.username, form.password)
    if user is None:
        throttle.failed(form.username, address)
        raise BadCredentials("nama pengguna atau kata sandi salah (wrong username or password)")
    throttle.succeeded(form.username, address)
    token, lifetime = create_access_token(settings, user_id=user.id, role=user.role,  # type: ignore[arg-type]
                                          token_version=user.token_version)
    return Token(access_token=token, role=user.role, expires_in=lifetime)


@router.get("/auth/me", response_model=UserPublic, summary="Akun saya (the caller's account)")
def me(actor: CurrentActor, session: ReadSession) -> UserPublic:
    return UserPublic.model_validate(get_user(session, actor.id))  # type: ignore[arg-type]
