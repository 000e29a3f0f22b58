"""Accounts (admin creates and changes; posko may look users up to assign them)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response, status

from services.api.deps import CurrentActor, PageParams, ReadSession, UnitOfWorkRoute, UserIdPath, WriteUnit
from shared.domain.access import can_list_users
from shared.errors import Forbidden, NotFound
from shared.repositories import users as user_repo
from shared.schemas.auth import PasswordResetPublic, UserCreate, UserEventPublic, UserPublic, UserUpdate
from shared.schemas.common import Page
from shared.services import accounts

router = APIRouter(tags=["users"], route_class=UnitOfWorkRoute)


@router.post("/users", response_model=UserPublic, status_code=status.HTTP_201_CREATED,
             summary="Buat pengguna (admin)")
def create_user(body: UserCreate, actor: CurrentActor, uow: WriteUnit) -> UserPublic:
    user = accounts.create_user(uow, actor, body)
    return UserPublic.model_validate(user)


@router.get("/users", response_model=Page[UserPublic], summary="Daftar pengguna (admin, posko)")
def list_users(actor: CurrentActor, session: ReadSession, page: PageParams,
               role: str | None = Query(default=None, max_length=20)) -> Page[UserPublic]:
    if not can_list_users(actor):
        raise Forbidden("tidak berhak melihat daftar pengguna (you may not list users)")
    rows, total = user_repo.list_users(session, role=role, limit=page.limit, offset=page.offset)
    return Page.of([UserPublic.model_validate(u) for u in rows], total, page)


@router.get("/users/{user_id}", response_model=UserPublic, summary="Satu pengguna (admin, posko)")
def get_user(user_id: UserIdPath, actor: CurrentActor, session: ReadSession) -> UserPublic:
    if not can_list_users(actor):
        raise Forbidden("tidak berhak melihat pengguna (you may not see users)")
    user = user_repo.get_user(session, user_id)
    if user is None:
        raise NotFound("pengguna tidak ditemukan (user not found)")
    return UserPublic.model_validate(user)


@router.patch("/users/{user_id}", response_model=UserPublic, summary="Ubah pengguna (admin)")
def update_user(user_id: UserIdPath, body: UserUpdate, actor: CurrentActor, uow: WriteUnit) -> UserPublic:
    user = accounts.update_user(uow, actor, user_id, body)  # revokes tokens where needed
    return UserPublic.model_validate(user)


@router.post("/users/{user_id}/password-reset", response_model=PasswordResetPublic,
             summary="Atur ulang kata sandi: sandi baru acak, ditampilkan sekali (admin)")
def reset_password(user_id: UserIdPath, actor: CurrentActor, uow: WriteUnit, response: Response) -> PasswordResetPublic:
    user, password = accounts.reset_password(uow, actor, user_id)  # revokes the user's tokens
    response.headers["Cache-Control"] = "no-store"  # the password must not stay in any cache
    return PasswordResetPublic(user=UserPublic.model_validate(user), password=password)


@router.get("/users/{user_id}/events", response_model=Page[UserEventPublic],
            summary="Kejadian tempat pengguna ditugaskan (admin, posko)")
def user_events(user_id: UserIdPath, actor: CurrentActor, session: ReadSession,
                page: PageParams) -> Page[UserEventPublic]:
    if not can_list_users(actor):
        raise Forbidden("tidak berhak melihat pengguna (you may not see users)")
    if user_repo.get_user(session, user_id) is None:
        raise NotFound("pengguna tidak ditemukan (user not found)")
    rows, total = user_repo.list_user_events(session, user_id, limit=page.limit, offset=page.offset)
    items = [UserEventPublic(event_id=e.id, name=e.name, status=e.status, added_at=m.created_at) for m, e in rows]
    return Page.of(items, total, page)
