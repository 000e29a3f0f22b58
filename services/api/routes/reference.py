"""Regions, the item catalogue and the needs-standard profiles."""

from __future__ import annotations

from fastapi import APIRouter, Query, status

from services.api.deps import CurrentActor, PageParams, ReadSession, UnitOfWorkRoute, WriteUnit
from shared.domain.vocabulary import RegionLevel
from shared.errors import NotFound
from shared.models import StandardProfile
from shared.repositories import reference as ref_repo
from shared.schemas.common import Page
from shared.schemas.reference import (
    ItemCreate,
    ItemPublic,
    RegionPublic,
    StandardProfileIn,
    StandardProfilePublic,
)
from shared.services import reference as ref_service

router = APIRouter(tags=["reference"], route_class=UnitOfWorkRoute)


def profile_public(p: StandardProfile) -> StandardProfilePublic:
    body = p.body
    return StandardProfilePublic(code=p.code, version=p.version, name=p.name, is_default=p.is_default,
                                 meal_times_local=body.get("meal_times_local", []), items=body.get("items", []),
                                 services=body.get("services", []),
                                 shelter_standards=body.get("shelter_standards", {}), created_at=p.created_at)


@router.get("/regions", response_model=Page[RegionPublic], summary="Wilayah (kecamatan, kelurahan)")
def list_regions(_: CurrentActor, session: ReadSession, page: PageParams,
                 level: RegionLevel | None = None,
                 parent_code: str | None = Query(default=None, max_length=20)) -> Page[RegionPublic]:
    rows, total = ref_repo.list_regions(session, level=level, parent_code=parent_code, limit=page.limit,
                                        offset=page.offset)
    return Page.of([RegionPublic.model_validate(r) for r in rows], total, page)


@router.get("/items", response_model=Page[ItemPublic], summary="Katalog barang bantuan")
def list_items(_: CurrentActor, session: ReadSession, page: PageParams) -> Page[ItemPublic]:
    rows, total = ref_repo.list_items(session, limit=page.limit, offset=page.offset)
    return Page.of([ItemPublic.model_validate(i) for i in rows], total, page)


@router.post("/items", response_model=ItemPublic, status_code=status.HTTP_201_CREATED,
             summary="Tambah barang ke katalog (admin)")
def create_item(body: ItemCreate, actor: CurrentActor, uow: WriteUnit) -> ItemPublic:
    item = ref_service.add_item(uow, actor, body)
    return ItemPublic.model_validate(item)


@router.get("/standards", response_model=Page[StandardProfilePublic], summary="Profil standar kebutuhan (versi terbaru)")
def list_standards(_: CurrentActor, session: ReadSession, page: PageParams) -> Page[StandardProfilePublic]:
    rows = ref_repo.latest_profiles(session)
    part = rows[page.offset : page.offset + page.limit]
    return Page.of([profile_public(p) for p in part], len(rows), page)


@router.get("/standards/{code}", response_model=list[StandardProfilePublic], summary="Semua versi satu profil")
def get_standard(code: str, _: CurrentActor, session: ReadSession) -> list[StandardProfilePublic]:
    rows = ref_repo.profile_versions(session, code)
    if not rows:
        raise NotFound("profil standar tidak ditemukan (standard profile not found)")
    return [profile_public(p) for p in rows]


@router.post("/standards", response_model=StandardProfilePublic, status_code=status.HTTP_201_CREATED,
             summary="Simpan versi baru profil standar (admin)")
def create_standard(body: StandardProfileIn, actor: CurrentActor, uow: WriteUnit) -> StandardProfilePublic:
    profile = ref_service.add_profile_version(uow, actor, body)
    return profile_public(profile)
