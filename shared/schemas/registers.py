"""Requests and answers of the office registers: the TAGANA roster with its trainings, and preparedness
activities (docs/api.md, "Renstra registers"). Every rule here answers in Indonesian and names its field."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field
from pydantic_core import PydanticCustomError

from shared.domain.registers import ACTIVITY_KINDS, LEVELS, TRAINING_KINDS
from shared.schemas.common import MAX_DB_ID, ClientId, Input, Name, Notes, ShortText, one_line

EARLIEST = date(2000, 1, 1)
_PHONE = re.compile(r"^(?:\+62|62|0)8\d{7,12}$")


def _one_of(values: tuple[str, ...], what: str) -> AfterValidator:
    def check(value: str) -> str:
        if value not in values:
            raise PydanticCustomError("choice", f"{what} harus salah satu dari: {', '.join(values)}")
        return value
    return AfterValidator(check)


def _phone(value: object) -> object:
    """Spaces, dashes, dots and brackets are dropped ("0812-3456 7890"); what is left must be an Indonesian
    mobile number: 08…, 628… or +628…, 10 to 15 digits."""
    if not isinstance(value, str):
        return value
    compact = re.sub(r"[\s\-.()]", "", value)
    if not compact:
        return None
    if not _PHONE.match(compact):
        raise PydanticCustomError("phone", "nomor telepon tidak sah: tulis nomor ponsel 08…, 628… atau +628… "
                                           "(10–15 angka)")
    return compact


_KELURAHAN = re.compile(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$")


def _kelurahan_code(value: str) -> str:
    if not _KELURAHAN.match(value):
        raise PydanticCustomError("kelurahan_code", "kode kelurahan harus berbentuk 12.75.04.1004 (kode Kemendagri)")
    return value


def _past_day(value: date) -> date:
    if value < EARLIEST:
        raise PydanticCustomError("date_range", "tanggal tidak masuk akal: sebelum tahun 2000")
    if value > datetime.now(UTC).date() + timedelta(days=1):
        raise PydanticCustomError("date_in_future", "tanggal tidak boleh di masa depan: catat kegiatan yang sudah terjadi")
    return value


Level = Annotated[str, _one_of(LEVELS, "tingkat")]
TrainingKind = Annotated[str, _one_of(TRAINING_KINDS, "jenis")]
ActivityKind = Annotated[str, _one_of(ACTIVITY_KINDS, "jenis kegiatan")]
Phone = Annotated[str, BeforeValidator(_phone), Field(max_length=20), one_line]
PastDay = Annotated[date, AfterValidator(_past_day)]
KelurahanRef = Annotated[str, AfterValidator(_kelurahan_code)]
DocumentRef = Annotated[str, Field(min_length=1, max_length=500), one_line]
Participants = Annotated[int, Field(ge=0, le=100_000)]
UserRef = Annotated[int, Field(ge=1, le=MAX_DB_ID)]


# ---- TAGANA roster -------------------------------------------------------------------------------------

class VolunteerCreate(Input):
    """POST /tagana (admin, posko). `user_id` links the volunteer to an account (at most one volunteer each)."""

    id: ClientId | None = None
    full_name: Name
    level: Level
    user_id: UserRef | None = None
    phone: Phone | None = None
    kelurahan_code: KelurahanRef | None = None
    joined_on: PastDay | None = None
    active: bool = True


class VolunteerUpdate(Input):
    """PATCH /tagana/{id}: a field not sent keeps its value; `user_id`, `phone`, `kelurahan_code`, `joined_on`
    null clear it."""

    full_name: Name | None = None
    level: Level | None = None
    user_id: UserRef | None = None
    phone: Phone | None = None
    kelurahan_code: KelurahanRef | None = None
    joined_on: PastDay | None = None
    active: bool | None = None


class TrainingCreate(Input):
    """POST /tagana/{id}/trainings: a training or a certificate with its dates. `level_at_training`
    defaults to the volunteer's level now; `ended_on` before `started_on` is refused by the service (422 on
    `ended_on`)."""

    id: ClientId | None = None
    kind: TrainingKind = "pelatihan"
    title: Name
    organizer: Name | None = None
    started_on: PastDay
    ended_on: PastDay
    level_at_training: Level | None = None
    certificate_number: Annotated[str, Field(max_length=100), one_line] | None = None
    evidence: ShortText | None = None


# ---- preparedness activities --------------------------------------------------------------------------

class ActivityCreate(Input):
    """POST /preparedness-activities (admin, posko)."""

    id: ClientId | None = None
    kind: ActivityKind
    title: Name
    held_on: PastDay
    kelurahan_code: KelurahanRef
    participants_male: Participants = 0
    participants_female: Participants = 0
    evidence: DocumentRef
    notes: Notes | None = None


class ActivityUpdate(Input):
    """PATCH /preparedness-activities/{id}: a field not sent keeps its value (`notes` null clears it)."""

    kind: ActivityKind | None = None
    title: Name | None = None
    held_on: PastDay | None = None
    kelurahan_code: KelurahanRef | None = None
    participants_male: Participants | None = None
    participants_female: Participants | None = None
    evidence: DocumentRef | None = None
    notes: Notes | None = None
