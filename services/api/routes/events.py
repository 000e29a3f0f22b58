"""Events, their status transitions and their members."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from services.api.deps import (
    CurrentActor,
    DbDep,
    IfMatch,
    PageParams,
    ReadSession,
    UnitOfWorkRoute,
    UserIdPath,
    VisibleEvent,
    WritableEvent,
    WriteUnit,
)
from services.api.write_answers import set_data_seq
from shared.db import in_write_unit
from shared.domain.access import Actor, can_manage_events, can_manage_reference
from shared.errors import Forbidden
from shared.repositories import bookkeeping
from shared.repositories import events as event_repo
from shared.repositories import users as user_repo
from shared.schemas.common import Page
from shared.schemas.events import EventCreate, EventPublic, EventUpdate, MemberAdd, MemberPublic
from shared.services import audit_view
from shared.services import events as event_service

router = APIRouter(tags=["events"], route_class=UnitOfWorkRoute)


@router.post("/events", response_model=EventPublic, status_code=201, summary="Buka kejadian bencana (admin, posko)",
             responses={200: {"description": "replay of a create with the same id"}})
def create_event(body: EventCreate, actor: CurrentActor, db: DbDep, response: Response) -> EventPublic:
    # Not the request's WriteUnit: a create that lost a key race to a concurrent one runs again in a
    # fresh transaction (in_write_unit), and answers as the replay it is. No recompute is queued for a
    # new event (nothing to count yet): the unit carries no dispatcher; the outbox row covers it.
    event, created = in_write_unit(db, lambda uow: event_service.create_event(uow, actor, body))
    response.status_code = 201 if created else 200
    set_data_seq(response, event.data_seq)
    return EventPublic.model_validate(event)


@router.get("/events", response_model=Page[EventPublic], summary="Daftar kejadian (relawan: hanya kejadiannya)")
def list_events(actor: CurrentActor, session: ReadSession, page: PageParams,
                status: str | None = Query(default=None, max_length=30)) -> Page[EventPublic]:
    rows, total = event_repo.list_events(session, member_user_id=actor.id if actor.is_relawan else None,
                                         status=status, limit=page.limit, offset=page.offset)
    return Page.of([EventPublic.model_validate(e) for e in rows], total, page)


@router.get("/events/{event_id}", response_model=EventPublic, summary="Satu kejadian")
def get_event(event: VisibleEvent) -> EventPublic:
    return EventPublic.model_validate(event)


@router.patch("/events/{event_id}", response_model=EventPublic,
              summary="Ubah kejadian: nama, status, wilayah, selesai (admin, posko)")
def update_event(event: WritableEvent, body: EventUpdate, actor: CurrentActor, uow: WriteUnit,
                 response: Response, if_match: IfMatch = None) -> EventPublic:
    event = event_service.update_event(uow, actor, event, body, if_match)
    set_data_seq(response, event.data_seq)
    return EventPublic.model_validate(event)


@router.post("/events/{event_id}/members", response_model=MemberPublic, status_code=201,
             summary="Tugaskan relawan ke kejadian (admin, posko)")
def add_member(event: WritableEvent, body: MemberAdd, actor: CurrentActor, uow: WriteUnit,
               response: Response) -> MemberPublic:
    member, created, data_seq = event_service.add_member(uow, actor, event, body.user_id)
    user = user_repo.get_user(uow.session, member.user_id)
    assert user is not None
    answer = MemberPublic(event_id=member.event_id, user_id=member.user_id, username=user.username,
                          full_name=user.full_name, role=user.role, created_at=member.created_at)
    response.status_code = 201 if created else 200
    set_data_seq(response, data_seq)
    return answer


@router.get("/events/{event_id}/members", response_model=Page[MemberPublic], summary="Anggota kejadian")
def list_members(event: VisibleEvent, actor: CurrentActor, session: ReadSession,
                 page: PageParams) -> Page[MemberPublic]:
    # an unseen event is 404 (VisibleEvent) before any 403
    if not can_manage_events(actor):
        raise Forbidden("hanya admin dan posko yang melihat anggota (only admin and posko see members)")
    rows, total = user_repo.list_members(session, event.id, limit=page.limit, offset=page.offset)
    items = [MemberPublic(event_id=m.event_id, user_id=m.user_id, username=u.username, full_name=u.full_name,
                          role=u.role, created_at=m.created_at) for m, u in rows]
    return Page.of(items, total, page)


@router.delete("/events/{event_id}/members/{user_id}", status_code=204, summary="Lepas relawan dari kejadian")
def remove_member(event: WritableEvent, user_id: UserIdPath, actor: CurrentActor, uow: WriteUnit) -> Response:
    data_seq = event_service.remove_member(uow, actor, event, user_id)
    return Response(status_code=204, headers={"X-Data-Seq": str(data_seq)})


async def _admin_only(actor: CurrentActor) -> Actor:
    """The audit log is admin's: any other role is 403, whether or not it may see the event."""
    if not can_manage_reference(actor):
        raise Forbidden("hanya admin yang melihat jejak audit (only admin reads the audit log)")
    return actor


@router.get("/events/{event_id}/audit", summary="Jejak audit kejadian (admin)")
def list_audit(_admin: Annotated[Actor, Depends(_admin_only)], event: VisibleEvent, session: ReadSession,
               page: PageParams, object_id: str | None = Query(default=None, max_length=64)) -> dict[str, object]:
    rows, total = bookkeeping.list_audit(session, event_id=event.id, object_id=object_id, limit=page.limit,
                                         offset=page.offset)
    items = audit_view.describe(session, _admin, rows)  # names and Indonesian labels beside the stored fields
    return {"items": items, "total": total, "limit": page.limit, "offset": page.offset}
