"""The office registers behind the preparedness rows of the Renstra, as pure rules (docs/rules.md,
"Renstra registers").

Vocabulary (levels, training kinds, activity kinds with their Indonesian labels) and the counting of
each register-computed indicator for a year. The year of a training is the year of its `ended_on`
(the day it was completed); the year of an activity that of `held_on`. Both are calendar dates as the
office writes them (no time zone to convert).

Which row counts what:

| indicator | register | counted |
|---|---|---|
| kapasitas_relawan_tagana_muda | tagana | distinct volunteers who completed a training or certification in Y while at level muda |
| kompetensi_tagana | tagana | distinct volunteers who completed a training or certification in Y (any level) |
| taruna_siaga_bencana | tagana (+ field records) | see `taruna_ids` |
| kampung_siaga_bencana | preparedness_activities | distinct kelurahan with a KSB formed or supported in Y |
| ksb_lumbung_sosial | preparedness_activities | distinct kelurahan with a KSB or a lumbung sosial facilitated in Y |
| penyuluhan_kie | preparedness_activities | participants (L + P) of the sosialisasi/KIE sessions held in Y |
| edukasi_anak_sekolah | preparedness_activities | participants (L + P) of the school education sessions held in Y |
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

LEVELS = ("muda", "madya", "utama", "pelatih")
LEVEL_LABELS = {"muda": "Tagana Muda", "madya": "Tagana Madya", "utama": "Tagana Utama", "pelatih": "Pelatih Tagana"}
TRAINING_KINDS = ("pelatihan", "sertifikasi")
TRAINING_LABELS = {"pelatihan": "Pelatihan", "sertifikasi": "Sertifikasi"}
KSB_KINDS = ("ksb_pembentukan", "ksb_pendampingan")
ACTIVITY_KINDS = (*KSB_KINDS, "lumbung_sosial", "sosialisasi_kie", "edukasi_sekolah")
ACTIVITY_LABELS = {
    "ksb_pembentukan": "Pembentukan Kampung Siaga Bencana",
    "ksb_pendampingan": "Pendampingan Kampung Siaga Bencana",
    "lumbung_sosial": "Lumbung sosial",
    "sosialisasi_kie": "Sosialisasi / penyuluhan KIE",
    "edukasi_sekolah": "Edukasi kebencanaan di sekolah",
}

REGISTER_TAGANA = "tagana"
REGISTER_ACTIVITIES = "preparedness_activities"
REGISTER_LABELS = {REGISTER_TAGANA: "register TAGANA", REGISTER_ACTIVITIES: "register kegiatan kesiapsiagaan"}


@dataclass(frozen=True)
class TrainingFact:
    """What a training contributes: who, when it was completed, at which level."""

    volunteer_id: str
    ended_on: date
    level_at_training: str


@dataclass(frozen=True)
class ActivityFact:
    """What an activity contributes: kind, day, kelurahan and participants by sex."""

    kind: str
    held_on: date
    kelurahan_code: str
    participants_male: int
    participants_female: int

    @property
    def participants(self) -> int:
        return self.participants_male + self.participants_female


@dataclass
class Figure:
    """One register-computed realisation with what it was made of (`records`: rows of the register read)."""

    value: int
    records: int
    detail: dict[str, Any] = field(default_factory=dict)


def trainings_in(trainings: Iterable[TrainingFact], year: int, level: str | None = None) -> list[TrainingFact]:
    return [t for t in trainings if t.ended_on.year == year and (level is None or t.level_at_training == level)]


def activities_in(activities: Iterable[ActivityFact], year: int, kinds: Iterable[str]) -> list[ActivityFact]:
    wanted = frozenset(kinds)
    return [a for a in activities if a.held_on.year == year and a.kind in wanted]


def trained_figure(trainings: Iterable[TrainingFact], year: int, level: str | None = None) -> Figure:
    """Distinct volunteers who completed a training in `year` (at `level`, when given)."""
    rows = trainings_in(trainings, year, level)
    return Figure(len({t.volunteer_id for t in rows}), len(rows), {"trainings": len(rows)})


def kelurahan_figure(activities: Iterable[ActivityFact], year: int, kinds: Iterable[str]) -> Figure:
    """Distinct kelurahan with an activity of `kinds` in `year`: a KSB is a kelurahan's, supported twice
    in a year it is still one KSB."""
    rows = activities_in(activities, year, kinds)
    places = sorted({a.kelurahan_code for a in rows})
    return Figure(len(places), len(rows), {"activities": len(rows), "kelurahan_codes": places})


def participants_figure(activities: Iterable[ActivityFact], year: int, kinds: Iterable[str]) -> Figure:
    """Participants (laki-laki + perempuan) of the activities of `kinds` held in `year`. Participants are
    not named, so a person at two sessions counts twice: the row counts people reached per session."""
    rows = activities_in(activities, year, kinds)
    male = sum(a.participants_male for a in rows)
    female = sum(a.participants_female for a in rows)
    return Figure(male + female, len(rows), {"activities": len(rows), "male": male, "female": female})


def taruna_ids(field_authors: set[int], relawan_accounts: set[int], roster_accounts: set[int],
               assigned: set[int]) -> set[int]:
    """Accounts counted for taruna_siaga_bencana in a year.

    - `field_authors`: accounts that recorded field data timed in the year;
    - `relawan_accounts`: active relawan accounts; `roster_accounts`: accounts linked to an active volunteer
      of the roster (whatever their role: a TAGANA coordinator may hold a posko account);
    - `assigned`: accounts that are members of an event that started in the year.

    Counted: field authors that are active relawan or on the roster (the rule before the roster existed,
    plus coordinators), and roster volunteers assigned to the year's events (deployed, even if they recorded
    nothing on a phone)."""
    return (field_authors & (relawan_accounts | roster_accounts)) | (assigned & roster_accounts)


def register_figures(year: int, trainings: Iterable[TrainingFact], activities: Iterable[ActivityFact]) -> dict[str, Figure]:
    """Every register-computed indicator but taruna_siaga_bencana (which needs accounts), for `year`."""
    trainings = list(trainings)
    activities = list(activities)
    return {
        "kapasitas_relawan_tagana_muda": trained_figure(trainings, year, "muda"),
        "kompetensi_tagana": trained_figure(trainings, year),
        "kampung_siaga_bencana": kelurahan_figure(activities, year, KSB_KINDS),
        "ksb_lumbung_sosial": kelurahan_figure(activities, year, (*KSB_KINDS, "lumbung_sosial")),
        "penyuluhan_kie": participants_figure(activities, year, ("sosialisasi_kie",)),
        "edukasi_anak_sekolah": participants_figure(activities, year, ("edukasi_sekolah",)),
    }


# ---- who may keep and read the registers (docs/api.md, "Renstra registers") --------------------------------

def can_keep_registers(role: str) -> bool:
    """Write the roster and the activities: admin and posko (the office keeps them)."""
    return role in ("admin", "posko")


def can_read_roster(role: str) -> bool:
    """The roster carries names and phone numbers (personal data): admin and posko only."""
    return role in ("admin", "posko")


def can_read_activities(role: str) -> bool:
    """Activities carry no personal data (a kelurahan, counts by sex, a document number): pengamat too."""
    return role in ("admin", "posko", "pengamat")
