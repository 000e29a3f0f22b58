"""Events, their status transitions and their members."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from services.api.deps import CurrentActor, DbDep, DispatcherDep, IfMatch, PageParams, UserIdPath
from services.api.writing import in_write_unit, set_data_seq
from shared.db import read_unit, write_unit
from shared.domain.access import can_manage_events, can_manage_reference
from shared.errors import Forbidden
from shared.repositories import bookkeeping
from shared.repositories import events as event_repo
from shared.repositories import users as user_repo
from shared.schemas.common import Page
from shared.schemas.events import EventCreate, EventPublic, EventUpdate, MemberAdd, MemberPublic
from shared.services import events as event_service

router = APIRouter(tags=["events"])


@router.post("/events", response_model=EventPublic, status_code=201, summary="Buka kejadian bencana (admin, posko)",
             responses={200: {"description": "replay of a create with the same id"}})
def create_event(body: EventCreate, actor: CurrentActor, db: DbDep, response: Response) -> EventPublic:
    event, created = in_write_unit(db, lambda uow: event_service.create_event(uow, actor, body))
    response.status_code = 201 if created else 200
    set_data_seq(response, event.data_seq)
    return EventPublic.model_validate(event)


@router.get("/events", response_model=Page[EventPublic], summary="Daftar kejadian (relawan: hanya kejadiannya)")
def list_events(actor: CurrentActor, db: DbDep, page: PageParams,
                status: str | None = Query(default=None, max_length=30)) -> Page[EventPublic]:
    with read_unit(db) as session:
        rows, total = event_repo.list_events(session, member_user_id=actor.id if actor.is_relawan else None,
                                             status=status, limit=page[0], offset=page[1])
        return Page(items=[EventPublic.model_validate(e) for e in rows], total=total, limit=page[0], offset=page[1])


@router.get("/events/{event_id}", response_model=EventPublic, summary="Satu kejadian")
def get_event(event_id: str, actor: CurrentActor, db: DbDep) -> EventPublic:
    with read_unit(db) as session:
        return EventPublic.model_validate(event_service.visible_event(session, actor, event_id))


@router.patch("/events/{event_id}", response_model=EventPublic,
              summary="Ubah kejadian: nama, status, wilayah, selesai (admin, posko)")
def update_event(event_id: str, body: EventUpdate, actor: CurrentActor, db: DbDep, dispatcher: DispatcherDep,
                 response: Response, if_match: IfMatch = None) -> EventPublic:
    with write_unit(db) as uow:
        event = event_service.update_event(uow, actor, event_id, body, if_match, dispatcher.event_changed)
    set_data_seq(response, event.data_seq)
    return EventPublic.model_validate(event)


@router.post("/events/{event_id}/members", response_model=MemberPublic, status_code=201,
             summary="Tugaskan relawan ke kejadian (admin, posko)")
def add_member(event_id: str, body: MemberAdd, actor: CurrentActor, db: DbDep, dispatcher: DispatcherDep,
               response: Response) -> MemberPublic:
    with write_unit(db) as uow:
        member, created, data_seq = event_service.add_member(uow, actor, event_id, body.user_id,
                                                             dispatcher.event_changed)
        user = user_repo.get_user(uow.session, member.user_id)
        assert user is not None
        answer = MemberPublic(event_id=member.event_id, user_id=member.user_id, username=user.username,
                              full_name=user.full_name, role=user.role, created_at=member.created_at)
    response.status_code = 201 if created else 200
    set_data_seq(response, data_seq)
    return answer


@router.get("/events/{event_id}/members", response_model=Page[MemberPublic], summary="Anggota kejadian")
def list_members(event_id: str, actor: CurrentActor, db: DbDep, page: PageParams) -> Page[MemberPublic]:
    with read_unit(db) as session:
        event_service.visible_event(session, actor, event_id)  # an unseen event is 404 before any 403
        if not can_manage_events(actor):
            raise Forbidden("hanya admin dan posko yang melihat anggota (only admin and posko see members)")
        rows, total = user_repo.list_members(session, event_id, limit=page[0], offset=page[1])
        items = [MemberPublic(event_id=m.event_id, user_id=m.user_id, username=u.username, full_name=u.full_name,
                              role=u.role, created_at=m.created_at) for m, u in rows]
        return Page(items=items, total=total, limit=page[0], offset=page[1])


@router.delete("/events/{event_id}/members/{user_id}", status_code=204, summary="Lepas relawan dari kejadian")
def remove_member(event_id: str, user_id: UserIdPath, actor: CurrentActor, db: DbDep, dispatcher: DispatcherDep) -> Response:
    with write_unit(db) as uow:
        data_seq = event_service.remove_member(uow, actor, event_id, user_id, dispatcher.event_changed)
    return Response(status_code=204, headers={"X-Data-Seq": str(data_seq)})


@router.get("/events/{event_id}/audit", summary="Jejak audit kejadian (admin)")
def list_audit(event_id: str, actor: CurrentActor, db: DbDep, page: PageParams,
               object_id: str | None = Query(default=None, max_length=64)) -> dict[str, object]:
    if not can_manage_reference(actor):
        raise Forbidden("hanya admin yang melihat jejak audit (only admin reads the audit log)")
    with read_unit(db) as session:
        event_service.visible_event(session, actor, event_id)
        rows, total = bookkeeping.list_audit(session, event_id=event_id, object_id=object_id, limit=page[0],
                                             offset=page[1])
        items = [{"id": r.id, "at": r.at.isoformat(), "actor_id": r.actor_id, "actor_username": r.actor_username,
                  "action": r.action, "object_type": r.object_type, "object_id": r.object_id} for r in rows]
        return {"items": items, "total": total, "limit": page[0], "offset": page[1]}
