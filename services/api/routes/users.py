"""Accounts (admin creates and changes; posko may look users up to assign them)."""

from __future__ import annotations

from fastapi import APIRouter, Query, status

from services.api.deps import CurrentActor, PageParams, ReadSession, UnitOfWorkRoute, UserIdPath, WriteUnit
from shared.domain.access import can_list_users
from shared.errors import Forbidden, NotFound
from shared.repositories import users as user_repo
from shared.schemas.auth import UserCreate, UserPublic, UserUpdate
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
