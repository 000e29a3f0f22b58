"""The office's registers behind the preparedness rows of the Renstra (docs/rules.md, "Renstra registers").

- `tagana_volunteers`: the TAGANA roster. A volunteer may be linked to a user account (`user_id`): the
  account's event memberships and the registrations and check-ins it recorded are the volunteer's
  deployments (derived, never stored twice). `phone` is personal data (docs/personal-data.md).
- `tagana_trainings`: trainings and certificates of one volunteer, with dates and the volunteer's level
  at the time (`level_at_training`: a muda volunteer trained in 2026 who became madya in 2027 still
  counts for the 2026 "tingkat muda" row).
- `preparedness_activities`: Kampung Siaga Bencana formed or supported, lumbung sosial, sosialisasi/KIE
  sessions and school disaster education, each with a date, a kelurahan, participants by sex and a
  document reference as evidence.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from shared.models.base import created_at, instant


class TaganaVolunteer(SQLModel, table=True):
    """One TAGANA volunteer of the roster."""

    __tablename__ = "tagana_volunteers"
    __table_args__ = (Index("ix_tagana_volunteers_created", "created_at", "id"),)
    id: str = Field(primary_key=True, max_length=36)
    full_name: str = Field(max_length=200)
    level: str = Field(max_length=10)  # muda | madya | utama | pelatih
    user_id: int | None = Field(default=None, foreign_key="users.id", unique=True)
    phone: str | None = Field(default=None, max_length=20)
    kelurahan_code: str | None = Field(default=None, max_length=20)
    joined_on: date | None = None
    active: bool = True
    version: int = 1
    created_by: int | None = None
    created_at: datetime = created_at()
    updated_by: int | None = None
    updated_at: datetime = instant(default_now=True)


class TaganaTraining(SQLModel, table=True):
    """A training (pelatihan) or certification (sertifikasi) one volunteer completed."""

    __tablename__ = "tagana_trainings"
    __table_args__ = (Index("ix_tagana_trainings_volunteer", "volunteer_id", "ended_on"),
                      Index("ix_tagana_trainings_ended_on", "ended_on"))
    id: str = Field(primary_key=True, max_length=36)
    volunteer_id: str = Field(foreign_key="tagana_volunteers.id", max_length=36)
    kind: str = Field(max_length=12)  # pelatihan | sertifikasi
    title: str = Field(max_length=200)
    organizer: str | None = Field(default=None, max_length=200)
    started_on: date
    ended_on: date
    level_at_training: str = Field(max_length=10)
    certificate_number: str | None = Field(default=None, max_length=100)
    evidence: str | None = Field(default=None, max_length=500)
    created_by: int | None = None
    created_at: datetime = created_at()


class PreparednessActivity(SQLModel, table=True):
    """One preparedness activity outside an emergency (kegiatan kesiapsiagaan)."""

    __tablename__ = "preparedness_activities"
    __table_args__ = (Index("ix_preparedness_activities_held_on", "held_on", "kind"),
                      Index("ix_preparedness_activities_created", "created_at", "id"))
    id: str = Field(primary_key=True, max_length=36)
    kind: str = Field(max_length=20)  # ksb_pembentukan | ksb_pendampingan | lumbung_sosial | sosialisasi_kie | edukasi_sekolah
    title: str = Field(max_length=200)
    held_on: date
    kelurahan_code: str = Field(max_length=20)
    participants_male: int = 0
    participants_female: int = 0
    evidence: str = Field(max_length=500)
    notes: str | None = Field(default=None, max_length=1000)
    version: int = 1
    created_by: int | None = None
    created_at: datetime = created_at()
    updated_by: int | None = None
    updated_at: datetime = instant(default_now=True)
