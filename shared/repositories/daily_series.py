"""What the one-pass daily series (shared/needs/daily.py) reads beyond the engine's inputs: the sandang
deliveries to persons and households per local day."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import Session, col

from shared.models import Distribution
from shared.needs.model import DeliveryIn, NeedsInputs
from shared.needs.numbers import exact


def sandang_per_recipient_day(session: Session, event_id: str, code: str, as_of: datetime,
                              tz: ZoneInfo) -> list[DeliveryIn]:
    """The deliveries of the sandang item `code` to a person or household without a shelter, up to
    `as_of`, summed per recipient and local day (at the day's last delivery instant)."""
    sums: dict[tuple[str | None, str | None, date], tuple[float, datetime]] = {}
    d = Distribution
    for pid, hid, qty, at in session.execute(
            select(col(d.person_id), col(d.household_id), col(d.quantity), col(d.delivered_at))
            .where(col(d.event_id) == event_id, col(d.item_code) == code, col(d.shelter_id).is_(None),
                   col(d.delivered_at) <= as_of)):
        if pid is None and hid is None:
            continue
        key = (pid, hid, at.astimezone(tz).date())
        found = sums.get(key)
        if found is None:
            sums[key] = (float(qty), at)
        else:
            sums[key] = (float(exact(found[0]) + exact(qty)), max(found[1], at))
    return [DeliveryIn(item_code=code, quantity=q, delivered_at=at, person_id=pid, household_id=hid)
            for (pid, hid, _), (q, at) in sums.items()]


def with_daily_sandang(session: Session, event_id: str, inputs: NeedsInputs, as_of: datetime,
                       tz: ZoneInfo) -> NeedsInputs:
    """`inputs` whose sandang deliveries to a person or household (without a shelter) are summed per
    local day, not over the whole event: the loader sums those per recipient, which is all one as_of
    needs, but a series of days needs to know when each arrived. Deliveries to a shelter are per day
    already; other items do not enter the indicator."""
    sandang = inputs.profile.item_for("sandang")
    if sandang is None:
        return inputs
    code = sandang.code
    kept = [dv for dv in inputs.deliveries
            if not (dv.item_code == code and dv.shelter_id is None
                    and (dv.person_id is not None or dv.household_id is not None))]
    return replace(inputs, deliveries=kept + sandang_per_recipient_day(session, event_id, code, as_of, tz))
