"""The batch endpoint of the field app's offline queue."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic_core import to_json

from services.api.deps import CurrentActor, DbDep, DispatcherDep, SettingsDep, UnitOfWorkRoute
from shared.db import in_write_unit
from shared.errors import TooLarge
from shared.schemas.sync import SyncRequest, SyncResponse
from shared.services.sync import apply_prepared, prepare_sync

router = APIRouter(tags=["sync"], route_class=UnitOfWorkRoute)


@router.post("/sync", response_model=SyncResponse,
             summary="Kirim antrean luring: catatan diterapkan berurutan, masing-masing dijawab",
             responses={413: {"description": "more than 1,000 records"}})
def sync(body: SyncRequest, actor: CurrentActor, db: DbDep, dispatcher: DispatcherDep,
         settings: SettingsDep) -> Response:
    if len(body.records) > settings.max_sync_records:
        raise TooLarge(f"paling banyak {settings.max_sync_records} catatan per kiriman "
                       f"(at most {settings.max_sync_records} records per batch)")
    batch = prepare_sync(body.records)  # outside the write lock: it reads nothing
    # Not the request's WriteUnit: a batch that lost a key race to a concurrent one runs again in a
    # fresh transaction (in_write_unit), and answers its records as the replays they are.
    results = in_write_unit(db, lambda uow: apply_prepared(uow, actor, batch), dispatcher.event_changed)
    # Serialised directly (the shape of SyncResponse): re-validating 1,000 results costs more than the write.
    return Response(content=to_json({"results": results}), media_type="application/json")
