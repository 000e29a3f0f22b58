"""Regions, the item catalogue and the needs-standard profiles."""

from __future__ import annotations

from fastapi import APIRouter, Query, status

from services.api.deps import CurrentActor, DbDep, PageParams
from shared.db import read_unit, write_unit
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

router = APIRouter(tags=["reference"])


def profile_public(p: StandardProfile) -> StandardProfilePublic:
    body = p.body
    return StandardProfilePublic(code=p.code, version=p.version, name=p.name, is_default=p.is_default,
                                 meal_times_local=body.get("meal_times_local", []), items=body.get("items", []),
                                 services=body.get("services", []),
                                 shelter_standards=body.get("shelter_standards", {}), created_at=p.created_at)


@router.get("/regions", response_model=Page[RegionPublic], summary="Wilayah (kecamatan, kelurahan)")
def list_regions(_: CurrentActor, db: DbDep, page: PageParams,
                 level: str | None = Query(default=None, pattern="^(provinsi|kabupaten_kota|kecamatan|kelurahan)$"),
                 parent_code: str | None = Query(default=None, max_length=20)) -> Page[RegionPublic]:
    with read_unit(db) as session:
        rows, total = ref_repo.list_regions(session, level=level, parent_code=parent_code, limit=page[0], offset=page[1])
        return Page(items=[RegionPublic.model_validate(r) for r in rows], total=total, limit=page[0], offset=page[1])


@router.get("/items", response_model=Page[ItemPublic], summary="Katalog barang bantuan")
def list_items(_: CurrentActor, db: DbDep, page: PageParams) -> Page[ItemPublic]:
    with read_unit(db) as session:
        rows, total = ref_repo.list_items(session, limit=page[0], offset=page[1])
        return Page(items=[ItemPublic.model_validate(i) for i in rows], total=total, limit=page[0], offset=page[1])


@router.post("/items", response_model=ItemPublic, status_code=status.HTTP_201_CREATED,
             summary="Tambah barang ke katalog (admin)")
def create_item(body: ItemCreate, actor: CurrentActor, db: DbDep) -> ItemPublic:
    with write_unit(db) as uow:
        item = ref_service.add_item(uow, actor, body)
    return ItemPublic.model_validate(item)


@router.get("/standards", response_model=Page[StandardProfilePublic], summary="Profil standar kebutuhan (versi terbaru)")
def list_standards(_: CurrentActor, db: DbDep, page: PageParams) -> Page[StandardProfilePublic]:
    with read_unit(db) as session:
        rows = ref_repo.latest_profiles(session)
        part = rows[page[1] : page[1] + page[0]]
        return Page(items=[profile_public(p) for p in part], total=len(rows), limit=page[0], offset=page[1])


@router.get("/standards/{code}", response_model=list[StandardProfilePublic], summary="Semua versi satu profil")
def get_standard(code: str, _: CurrentActor, db: DbDep) -> list[StandardProfilePublic]:
    with read_unit(db) as session:
        rows = ref_repo.profile_versions(session, code)
        if not rows:
            raise NotFound("profil standar tidak ditemukan (standard profile not found)")
        return [profile_public(p) for p in rows]


@router.post("/standards", response_model=StandardProfilePublic, status_code=status.HTTP_201_CREATED,
             summary="Simpan versi baru profil standar (admin)")
def create_standard(body: StandardProfileIn, actor: CurrentActor, db: DbDep) -> StandardProfilePublic:
    with write_unit(db) as uow:
        profile = ref_service.add_profile_version(uow, actor, body)
    return profile_public(profile)
