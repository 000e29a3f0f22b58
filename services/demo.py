"""`posko demo`: a realistic flood of the Bingai and Mencirim rivers in Binjai, to look at.

Everything goes through the real write engine (`FieldWriter`), in batches of `BATCH` records per
transaction, so every rule, the audit log, the outbox and `data_seq` apply exactly as for records
from the field. The generator is a function of (seed, persons) alone: every id comes from one
`random.Random`, and every instant is placed relative to the event's start and to the moment the
event was first stored (`created_at`). Running the demo again with the same seed and size
therefore replays the same records, which the engine recognises by their ids: nothing is added.

The story: the rivers rose in the night about six days ago. Families from a dozen kelurahan along
both rivers fled to schools, mosques, a church, a kelurahan hall and BPBD tents (some arriving in
the evening, some heads of family staying behind to guard the house for a day); crowded shelters
sent families to the tents once those stood; in the last two days some families went home. About
one affected person in seven never came to a shelter (with relatives or on an upper floor), one or
two are missing. Meals were cooked for three meal times a day, not always enough; drinking water,
clothing, blankets, family kits, baby kits and a little cash were handed out; vulnerable persons
were seen by health and social workers.
"""

from __future__ import annotations

import math
import random
import sys
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import col, select

from services.progress import ProgressBar
from shared.config import Settings
from shared.db import Database, make_database, read_unit, write_unit
from shared.domain.access import SYSTEM, Actor
from shared.domain.vulnerability import effective_vulnerabilities
from shared.models import Distribution, Event, Household, Person, Service, Shelter, Stay
from shared.schemas.events import EventCreate
from shared.schemas.people import ShelterCreate
from shared.schemas.sync import (
    SyncCheckIn,
    SyncCheckOut,
    SyncDistribution,
    SyncHousehold,
    SyncPerson,
    SyncService,
)
from shared.seed import load_json
from shared.services.field_records import Command, FieldWriter

BATCH = 250
MAX_PERSONS = 100_000
DEMO_ACTOR: Actor = replace(SYSTEM, username="demo")

MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
          "Oktober", "November", "Desember")
MEAL_HOURS = (7, 12, 18)

# Kelurahan along the Sungai Bingai (west and south) and the Sungai Mencirim (east), with a weight
# for how many affected families come from each and a rough centre (lat, lon).
AFFECTED: tuple[tuple[str, str, float, float, float], ...] = (
    ("Binjai Timur", "Mencirim", 3.0, 3.612, 98.515),
    ("Binjai Timur", "Tunggurono", 2.0, 3.598, 98.512),
    ("Binjai Timur", "Timbang Langkat", 1.5, 3.624, 98.505),
    ("Binjai Timur", "Sumber Mulyorejo", 1.0, 3.586, 98.520),
    ("Binjai Kota", "Setia", 2.0, 3.603, 98.488),
    ("Binjai Kota", "Berngam", 2.0, 3.596, 98.482),
    ("Binjai Kota", "Pekan Binjai", 1.0, 3.607, 98.485),
    ("Binjai Selatan", "Tanah Merah", 2.5, 3.572, 98.492),
    ("Binjai Selatan", "Pujidadi", 1.5, 3.580, 98.478),
    ("Binjai Selatan", "Rambung Dalam", 1.0, 3.565, 98.483),
    ("Binjai Barat", "Bandar Senembah", 1.5, 3.597, 98.468),
    ("Binjai Barat", "Limau Sundai", 1.0, 3.590, 98.462),
)


@dataclass(frozen=True)
class _ShelterPlan:
    name: str
    kelurahan: str
    kind: str
    weight: float  # share of the displaced it was sized for
    m2_per_person: float  # covered area per place (Sphere asks 3.5)
    persons_per_toilet: float  # places per toilet (Sphere asks at most 20)
    opens_day: int  # 0: in the night of the flood; 1: the next morning


# The first five cover every kind; bigger demos open the sixth and seventh.
SHELTERS: tuple[_ShelterPlan, ...] = (
    _ShelterPlan("SD Negeri 020251 Binjai", "Setia", "sekolah", 1.0, 3.3, 22, 0),
    _ShelterPlan("Masjid Raya Al-Hasanah", "Tunggurono", "rumah_ibadah", 1.0, 3.1, 23, 0),
    _ShelterPlan("Aula Kantor Lurah Tanah Merah", "Tanah Merah", "fasilitas_umum", 0.5, 3.8, 18, 0),
    _ShelterPlan("Tenda Pengungsian BPBD Lapangan Mencirim", "Mencirim", "tenda", 0.8, 3.6, 25, 1),
    _ShelterPlan("SMP Negeri 5 Binjai", "Pujidadi", "sekolah", 0.9, 4.0, 20, 0),
    _ShelterPlan("GBKP Runggun Binjai Kota", "Berngam", "rumah_ibadah", 0.6, 3.5, 15, 0),
    _ShelterPlan("Gedung Serbaguna Bandar Senembah", "Bandar Senembah", "fasilitas_umum", 0.7, 3.4, 21, 1),
)

STREETS = ("Jl. Sei Bingai", "Jl. Sei Mencirim", "Jl. Jenderal Sudirman", "Jl. Gatot Subroto", "Jl. Samanhudi",
           "Jl. Imam Bonjol", "Jl. Cut Nyak Dhien", "Jl. Diponegoro", "Jl. Kartini", "Jl. Veteran",
           "Jl. Pattimura", "Jl. Jamin Ginting", "Jl. Soekarno-Hatta", "Jl. Ahmad Yani", "Jl. T. Amir Hamzah",
           "Jl. Perintis Kemerdekaan", "Jl. Danau Toba", "Jl. Gunung Bendahara")
GANGS = ("Mawar", "Melati", "Rambutan", "Keluarga", "Musholla", "Damai", "Sepakat", "Bersama", "Pisang",
         "Rukun", "Jambu", "Mangga", "Langgar", "Sawo", "Tualang")
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")
# NIKs first issued outside Binjai (Medan, Langkat, Deli Serdang) keep that prefix for life.
OTHER_NIK_AREAS = ("127101", "127110", "120501", "120512", "120716")

# Culture of a household: Javanese, Malay (Deli/Langkat), Batak Toba, Mandailing/Angkola, Karo.
CULTURES = {"jawa": 0.44, "melayu": 0.14, "toba": 0.14, "mandailing": 0.13, "karo": 0.15}
NAMES: dict[str, dict[str, tuple[str, ...]]] = {
    "jawa": {
        "L": ("Sutrisno", "Suparman", "Wagiman", "Slamet Riyadi", "Agus Setiawan", "Budi Santoso", "Joko Susilo",
              "Bambang Hermanto", "Edi Purnomo", "Heru Prasetyo", "Sugianto", "Ponijan", "Tukiman", "Darmanto",
              "Wahyu Hidayat", "Eko Prasetyo", "Rudi Hartono", "Teguh Wibowo", "Supriadi", "Suyatno",
              "Ngadiman", "Sukirman", "Hadi Susanto", "Sarwono", "Misno"),
        "P": ("Sri Wahyuni", "Suparmi", "Sumiati", "Sulastri", "Tumini", "Wagiyem", "Siti Aminah",
              "Endang Susilowati", "Rini Astuti", "Dwi Lestari", "Ratna Sari", "Suwarni", "Ngatini", "Purwanti",
              "Tri Handayani", "Yuni Kartika", "Sri Rahayu", "Dewi Anggraini", "Sutinah", "Painem", "Legini"),
        "boy": ("Rizky Pratama", "Aditya Nugroho", "Bagas Saputra", "Dimas Prasetyo", "Fajar Ramadhan",
                "Arif Kurniawan", "Galih Saputra", "Yoga Pratama", "Reza Maulana", "Andika Putra",
                "Ilham Syahputra", "Rafa Alfarizi", "Zidan Akbar", "Bima Prakoso", "Arya Wicaksono"),
        "girl": ("Putri Ayu Lestari", "Nabila Azzahra", "Aulia Rahmawati", "Dinda Safitri", "Salsabila Putri",
                 "Anisa Fitriani", "Zahra Aulia", "Intan Permata Sari", "Tiara Anggraini", "Nayla Putri",
                 "Keysha Ramadhani", "Dewi Sartika", "Wulan Sari"),
    },
    "melayu": {
        "L": ("Muhammad Yusuf", "Syahrial", "Zulkifli", "Azhar", "Rahmat Hidayat", "Khairul Anwar", "Syafrizal",
              "Zulfikar", "Amiruddin", "Hasanuddin", "Iskandar", "Rusli", "Ismail", "Jamaluddin", "Nurdin",
              "Fadli", "Azwar", "Ridwan", "Tengku Syahrial", "Datuk Mansyur"),
        "P": ("Nurhayati", "Rosmiati", "Fatimah", "Halimah", "Zubaidah", "Nurul Hidayah", "Rahmawati", "Aisyah",
              "Syarifah Aini", "Juliana", "Misnawati", "Erna Wati", "Nurlela", "Rosnani", "Cik Puan Maimunah"),
        "boy": ("Muhammad Rafi", "Muhammad Fadhil", "Ahmad Zaki", "Rizki Syahputra", "Dani Syahputra",
                "Fikri Alamsyah", "Aidil Fitra", "Hafiz Maulana", "Tengku Fariz"),
        "girl": ("Nur Aisyah", "Putri Syahfitri", "Siti Nurhaliza", "Dwi Syahfitri", "Nurul Annisa",
                 "Mutia Rahma", "Syarifah Nabila"),
    },
    "toba": {
        "L": ("Hotman", "Parlindungan", "Jhonson", "Marulak", "Togar", "Binsar", "Martua", "Roy", "Daniel",
              "Sahat", "Bonar", "Poltak", "Rudolf", "Maruli", "Tumpal", "Lamhot"),
        "P": ("Rosmawati", "Tiurma", "Lasmaria", "Rotua", "Hotmaida", "Mariani", "Dewi", "Ruth", "Maria",
              "Lamtiar", "Sonti", "Nurmaida", "Rugun"),
        "boy": ("Samuel", "Yosua", "Kevin", "Jonathan", "Gabriel", "Rafael", "Christian", "Andreas", "Daniel",
                "Imanuel"),
        "girl": ("Grace", "Angelina", "Natalia", "Cindy", "Yohana", "Tiffany", "Agnes", "Debora", "Sarah"),
        "marga": ("Simanjuntak", "Sitompul", "Hutapea", "Nainggolan", "Panjaitan", "Sinaga", "Simatupang",
                  "Situmorang", "Manurung", "Pardede", "Sianturi", "Hutagalung", "Silalahi", "Siahaan",
                  "Tambunan", "Pasaribu", "Sihombing", "Gultom", "Napitupulu", "Marpaung"),
    },
    "mandailing": {
        "L": ("Ahmad Rivai", "Zulfan", "Imran", "Mhd. Ridho", "Syahrul", "Amir Hamzah", "Parlaungan", "Sutan",
              "Baginda", "Irwansyah", "Khoiruddin", "Muhammad Ali"),
        "P": ("Siti Hajar", "Nur Asiah", "Masniari", "Rosdiana", "Lenni Marlina", "Nurmaida", "Khadijah",
              "Sakinah", "Nurhalimah", "Aminah"),
        "boy": ("Ahmad Fauzan", "Raihan", "Muhammad Habib", "Fahri", "Zikri", "Ilham"),
        "girl": ("Zaskia", "Aulia", "Nur Azizah", "Rahma", "Salwa", "Fitri"),
        "marga": ("Lubis", "Nasution", "Harahap", "Hasibuan", "Siregar", "Pohan", "Daulay", "Rangkuti",
                  "Batubara", "Pulungan", "Dalimunthe", "Ritonga"),
    },
    "karo": {
        "L": ("Ngarap", "Bujur", "Ersada", "Malem", "Sabar", "Ukur", "Rasken", "Edison", "Juliaman", "Robert",
              "Herman", "Petrus", "Jusup"),
        "P": ("Rehulina", "Riahna", "Mehuli", "Ersanta", "Selvi", "Rosita", "Nurmala", "Sri Ulina", "Tio",
              "Ita", "Malem", "Pinta"),
        "boy": ("Jefri", "Rio", "Aldo", "Gio", "Ezra", "Kristian", "Natanael"),
        "girl": ("Ulina", "Friska", "Mehuli", "Riska", "Cicilia", "Novi", "Ersa"),
        "marga": ("Ginting", "Sembiring", "Tarigan", "Karo-Karo", "Perangin-angin", "Sitepu", "Barus",
                  "Sinulingga", "Surbakti", "Bangun", "Sinuraya", "Meliala", "Brahmana", "Pelawi", "Kaban"),
    },
}
MARGA_CULTURES = ("toba", "mandailing", "karo")


@dataclass
class _Person:
    id: str
    role: str  # head | spouse | child | grandchild | grandparent
    sex: str
    age: int
    culture: str
    full_name: str = ""
    birth_date: date | None = None
    age_years: int | None = None
    nik: str | None = None
    explicit: list[str] = field(default_factory=list)
    psych: bool = False
    condition: str = "selamat"
    registered_at: datetime | None = None
    moves: list[tuple[datetime, str | None]] = field(default_factory=list)  # (at, shelter id; None = check-out)

    def shelter_at(self, at: datetime) -> str | None:
        current = None
        for t, sid in self.moves:
            if t > at:
                break
            current = sid
        return current

    @property
    def displaced(self) -> bool:
        return bool(self.moves)


@dataclass
class _Household:
    id: str
    kecamatan: str
    kelurahan_code: str
    culture: str
    members: list[_Person]
    head_name: str = ""
    kk_number: str | None = None
    address: str = ""
    to_shelter: bool = False
    arrival: datetime | None = None
    late_head: bool = False
    shelter_id: str | None = None
    checkout: datetime | None = None


@dataclass
class _Shelter:
    id: str
    plan: _ShelterPlan
    kelurahan_code: str
    kecamatan: str
    opened_at: datetime
    capacity: int
    assigned: int = 0


@dataclass
class Summary:
    """What the demo event holds after the run, and what this run added."""

    event_id: str
    event_name: str
    shelters: int
    households: int
    persons: int
    stays: int
    distributions: int
    services: int
    created: int
    duplicates: int


class _Flood:
    """Builds the demo's records in time order; pure apart from the random generator."""

    def __init__(self, rng: random.Random, tz: ZoneInfo, started_at: datetime, cap: datetime, persons: int) -> None:
        self.rng = rng
        self.tz = tz
        self.start = started_at
        self.start_date = started_at.astimezone(tz).date()
        self.cap = cap  # nothing happens after this instant
        self.n_persons = persons
        self.items: list[tuple[datetime, int, Command]] = []
        self.event_id = ""
        self.kelurahan = _kelurahan_codes()
        self.shelters: list[_Shelter] = []
        self.households: list[_Household] = []
        self.niks: set[str] = set()
        self.kks: set[str] = set()

    # ---- small helpers ----

    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def local(self, day: int, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(self.start_date + timedelta(days=day), time(hour, minute), self.tz)

    def day_of(self, at: datetime) -> int:
        return (at.astimezone(self.tz).date() - self.start_date).days

    def minutes(self, lo: int, hi: int) -> timedelta:
        return timedelta(minutes=self.rng.randint(lo, hi))

    def between(self, lo: datetime, hi: datetime) -> datetime:
        span = max(0, int((hi - lo).total_seconds() // 60))
        return lo + timedelta(minutes=self.rng.randint(0, span))

    def daytime(self, lo: datetime, hi: datetime, start_hour: int = 8, end_hour: int = 17) -> datetime | None:
        """An instant in [lo, hi], in working hours when any fall inside; None when the window is empty."""
        hi = min(hi, self.cap)
        if hi < lo:
            return None
        windows = []
        d = self.day_of(lo)
        while d <= self.day_of(hi):
            a, b = max(lo, self.local(d, start_hour)), min(hi, self.local(d, end_hour))
            if a <= b:
                windows.append((a, b))
            d += 1
        if windows:
            return self.between(*self.rng.choice(windows))
        return self.between(lo, hi)

    def add(self, at: datetime, cmd_type: str, data: Any) -> None:
        assert self.start <= at <= self.cap, (cmd_type, at)
        self.items.append((at, len(self.items), Command(type=cmd_type, event_id=self.event_id, data=data)))

    # ---- people ----

    def compose(self, size: int) -> list[tuple[str, str, int]]:
        """(role, sex, age) of a household's members; the head first."""
        r = self.rng
        if size == 1:
            if r.random() < 0.35:
                return [("head", "P" if r.random() < 0.65 else "L", r.randint(60, 84))]
            return [("head", "L" if r.random() < 0.6 else "P", r.randint(19, 45))]
        kind = r.random()
        if kind < 0.07:  # an elderly couple with grown children and perhaps grandchildren
            head = r.randint(60, 76)
            wife = max(52, head - r.randint(0, 7))
            out = [("head", "L", head), ("spouse", "P", wife)]
            for i in range(size - 2):
                if i < 2 or r.random() < 0.4:
                    out.append(("child", r.choice("LP"), r.randint(17, max(18, wife - 22))))
                else:
                    out.append(("grandchild", r.choice("LP"), r.randint(0, 9)))
            return out
        if kind < 0.19:  # a mother on her own (widowed, divorced, husband working away)
            mother = r.randint(25, 58)
            out = [("head", "P", mother)]
        else:
            head = int(r.triangular(23, 66, 40))
            mother = max(19, head - r.randint(0, 7))
            out = [("head", "L", head), ("spouse", "P", mother)]
        rest = size - len(out)
        if rest >= 2 and r.random() < 0.22:
            out.append(("grandparent", "P" if r.random() < 0.6 else "L", r.randint(max(60, mother + 18), 86)))
            rest -= 1
        oldest = max(0, min(mother - 19, 26))
        age = r.randint(0, max(0, oldest - 2 * (rest - 1)))  # the youngest; siblings two to six years apart
        ages = []
        for _ in range(rest):
            ages.append(min(age, oldest))
            age += r.randint(2, 6)
        out.extend(("child", r.choice("LP"), a) for a in reversed(ages))
        return out

    def given(self, culture: str, sex: str, age: int, taken: set[str]) -> str:
        """A first name of the culture and generation, not yet given in the household."""
        pool = NAMES[culture]["boy" if sex == "L" else "girl"] if age < 24 else NAMES[culture][sex]
        given = self.rng.choice(pool)
        for _ in range(8):
            if given not in taken:
                break
            given = self.rng.choice(pool)
        taken.add(given)
        return given

    def name(self, culture: str, sex: str, age: int, marga: str | None, taken: set[str]) -> str:
        given = self.given(culture, sex, age, taken)
        if culture not in MARGA_CULTURES or marga is None:
            return given
        if sex == "P" and culture in ("toba", "karo") and self.rng.random() < 0.7:
            return f"{given} br {marga}"
        return f"{given} {marga}"

    def birth(self, age: int) -> date:
        return self.start_date - timedelta(days=int(age * 365.25) + self.rng.randint(1, 364))

    def nik(self, area: str, born: date, sex: str) -> str:
        day = born.day + (40 if sex == "P" else 0)
        while True:
            nik = f"{area}{day:02d}{born.month:02d}{born.year % 100:02d}{self.rng.randint(1, 9999):04d}"
            if nik not in self.niks:
                self.niks.add(nik)
                return nik

    def kk(self, area: str) -> str:
        while True:
            issued = date(2008, 1, 1) + timedelta(days=self.rng.randint(0, 16 * 365))
            kk = f"{area}{issued.day:02d}{issued.month:02d}{issued.year % 100:02d}{self.rng.randint(1, 9999):04d}"
            if kk not in self.kks:
                self.kks.add(kk)
                return kk

    def household(self, size: int) -> _Household:
        r = self.rng
        kec, kel_name, *_ = r.choices(AFFECTED, weights=[a[2] for a in AFFECTED])[0]
        kel_code = self.kelurahan[(kec, kel_name)]
        area = kel_code.replace(".", "")[:6]
        culture = r.choices(list(CULTURES), weights=list(CULTURES.values()))[0]
        family_marga = r.choice(NAMES[culture]["marga"]) if culture in MARGA_CULTURES else None
        members: list[_Person] = []
        taken: set[str] = set()
        for role, sex, age in self.compose(size):
            p = _Person(id=self.uid(), role=role, sex=sex, age=age, culture=culture)
            marga = family_marga
            if role == "spouse" and r.random() < 0.2:  # married across cultures
                p.culture = r.choice([c for c in CULTURES if c != culture])
            if (role == "spouse" or (role in ("head", "grandparent") and sex == "P")) and p.culture in MARGA_CULTURES:
                marga = r.choice([m for m in NAMES[p.culture]["marga"] if m != family_marga])  # her own clan
            p.full_name = self.name(p.culture, sex, age, marga, taken)
            if r.random() < (0.35 if age >= 60 else 0.08):  # age known only roughly, no documents at hand
                p.age_years = age
            else:
                p.birth_date = self.birth(age)
                if r.random() < (0.88 if age >= 17 else 0.35):
                    nik_area = r.choice(OTHER_NIK_AREAS) if age >= 17 and r.random() < 0.12 else area
                    p.nik = self.nik(nik_area, p.birth_date, sex)
            members.append(p)
        youngest = min(m.age for m in members)
        for p in members:
            if p.sex == "P" and 18 <= p.age <= 42 and p.role in ("head", "spouse", "child"):
                if p.role != "child" and youngest <= 1 and r.random() < 0.7:
                    p.explicit.append("ibu_menyusui")
                elif r.random() < 0.06:
                    p.explicit.append("ibu_hamil")
            if r.random() < (0.07 if p.age >= 60 else 0.012):
                p.explicit.append("disabilitas")
            p.psych = r.random() < (0.14 if 6 <= p.age <= 17 or p.age >= 60 else 0.085)
        hh = _Household(id=self.uid(), kecamatan=kec, kelurahan_code=kel_code, culture=culture, members=members)
        hh.head_name = members[0].full_name
        hh.kk_number = self.kk(area) if r.random() < 0.88 else None
        gang = f" Gg. {r.choice(GANGS)}" if r.random() < 0.7 else ""
        hh.address = f"{r.choice(STREETS)}{gang} No. {r.randint(1, 180)}, Lingkungan {r.choice(ROMAN)}, Kel. {kel_name}"
        return hh

    # ---- the story ----

    def build(self) -> None:
        self.open_shelters()
        self.make_households()
        self.arrive()
        self.transfer()
        self.go_home()
        self.register()
        self.feed()
        self.hand_out()
        self.serve()
        self.items.sort(key=lambda item: (item[0], item[1]))

    def open_shelters(self) -> None:
        r = self.rng
        count = 5 if self.n_persons < 150 else 6 if self.n_persons < 1000 else 7
        plans = SHELTERS[:count]
        total_weight = sum(p.weight for p in plans)
        displaced = max(10, round(self.n_persons * 0.85))
        kec_of = {a[1]: a[0] for a in AFFECTED}
        centre = {a[1]: (a[3], a[4]) for a in AFFECTED}
        for plan in plans:
            kec = kec_of[plan.kelurahan]
            if plan.opens_day == 0:
                opened = self.start + self.minutes(40, 200)
            else:
                opened = self.local(1, 8) + self.minutes(0, 150)
            capacity = max(8, round(displaced * plan.weight / total_weight * r.uniform(0.75, 1.0)))
            sh = _Shelter(id=self.uid(), plan=plan, kelurahan_code=self.kelurahan[(kec, plan.kelurahan)],
                          kecamatan=kec, opened_at=opened, capacity=capacity)
            lat, lon = centre[plan.kelurahan]
            data = ShelterCreate(
                id=sh.id, name=plan.name, kelurahan_code=sh.kelurahan_code, kind=plan.kind,
                capacity_persons=capacity, covered_area_m2=round(capacity * plan.m2_per_person * r.uniform(0.97, 1.03)),
                toilets=max(1, math.ceil(capacity / plan.persons_per_toilet)),
                lat=round(lat + r.uniform(-0.004, 0.004), 5), lon=round(lon + r.uniform(-0.004, 0.004), 5),
                opened_at=opened)
            self.shelters.append(sh)
            self.add(opened, "shelter", data)

    def make_households(self) -> None:
        r = self.rng
        left = self.n_persons
        while left > 0:
            size = min(left, r.choices((1, 2, 3, 4, 5, 6, 7), weights=(8, 13, 20, 24, 18, 10, 7))[0])
            hh = self.household(size)
            hh.to_shelter = r.random() < 0.85
            self.households.append(hh)
            left -= size
        # One or two persons swept away or not yet found; their families are asked again and again.
        candidates = [p for h in self.households for p in h.members if p.role != "head" and 8 <= p.age <= 75]
        for p in r.sample(candidates, min(len(candidates), 1 if self.n_persons < 300 else 2)):
            p.condition = "hilang"
            family = next(h for h in self.households if p in h.members)
            for other in family.members:
                if other is not p and r.random() < 0.6:
                    other.psych = True
        everyone = [p for h in self.households for p in h.members if p.condition == "selamat"]
        for p in r.sample(everyone, min(len(everyone), max(1, round(len(everyone) * 0.02)))):
            p.condition = "luka"

    def arrival_time(self) -> datetime:
        r = self.rng
        day = r.choices((0, 1, 2), weights=(70, 20, 10))[0]
        if day == 0 and r.random() < 0.75:  # through the night and the first day, most in the first hours
            at = self.start + timedelta(minutes=30 + min(int(r.expovariate(1 / 240)), 14 * 60))
        elif r.random() < 0.45:  # in the evening, after a day of trying to save what could be saved
            at = self.local(day, 17) + self.minutes(0, 270)
        else:
            at = self.local(day, 8) + self.minutes(0, 480)
        return min(at, self.cap - timedelta(hours=1))

    def arrive(self) -> None:
        """Families reach the shelters that stand, preferring their own kecamatan and the emptier ones."""
        r = self.rng
        going = [h for h in self.households if h.to_shelter]
        for hh in going:
            hh.arrival = self.arrival_time()
            hh.late_head = (len(hh.members) >= 3 and hh.members[0].sex == "L" and r.random() < 0.1
                            and hh.arrival + timedelta(hours=30) < self.cap)
        first_open = min(s.opened_at for s in self.shelters)
        for hh in sorted(going, key=lambda h: (h.arrival, h.id)):
            assert hh.arrival is not None
            if hh.arrival < first_open:
                hh.arrival = first_open + self.minutes(5, 30)
            open_now = [s for s in self.shelters if s.opened_at <= hh.arrival]
            weights = [s.capacity * (3.0 if s.kecamatan == hh.kecamatan else 1.0) * max(0.1, 1.15 - s.assigned / s.capacity)
                       for s in open_now]
            shelter = r.choices(open_now, weights=weights)[0]
            hh.shelter_id = shelter.id
            at = hh.arrival
            for i, p in enumerate(hh.members):
                if p.condition == "hilang":
                    continue
                if i == 0 and hh.late_head:  # stayed to guard the house; came the next evening
                    p_at = self.local(self.day_of(at) + 1, 17) + self.minutes(30, 240)
                    p.moves.append((min(p_at, self.cap - timedelta(minutes=30)), shelter.id))
                else:
                    p.moves.append((at + timedelta(minutes=i), shelter.id))
                shelter.assigned += 1

    def transfer(self) -> None:
        """Crowded shelters send some families on, mostly to the tents and the hall opened on day 1."""
        r = self.rng
        by_id = {s.id: s for s in self.shelters}
        going = [h for h in self.households if h.shelter_id in by_id and any(p.moves for p in h.members)]
        if len(going) < 3:
            return
        load = {sid: sh.assigned / sh.capacity for sid, sh in by_id.items()}
        weights = [max(0.2, load[h.shelter_id or ""]) ** 3 for h in going]
        chosen: list[_Household] = []
        for hh in r.choices(going, weights=weights, k=max(1, round(len(going) * 0.07))):
            if hh not in chosen:
                chosen.append(hh)
        for hh in chosen:
            movers = [p for p in hh.members if p.moves]
            last = max(p.moves[-1][0] for p in movers)
            at = self.daytime(last + timedelta(hours=3), self.cap - timedelta(hours=30), 9, 16)
            if at is None:
                continue
            source = by_id[hh.shelter_id or ""]
            others = [s for s in self.shelters if s.id != source.id and s.opened_at <= at]
            if not others:
                continue
            target = min(others, key=lambda s: (s.assigned / s.capacity, s.id))
            for i, p in enumerate(movers):
                p.moves.append((at + timedelta(minutes=i), target.id))
            source.assigned -= len(movers)
            target.assigned += len(movers)
            hh.shelter_id = target.id

    def go_home(self) -> None:
        """In the last two days the water went down in places: some families went home."""
        r = self.rng
        going = [h for h in self.households if h.to_shelter and any(p.moves for p in h.members)]
        if not going:
            return
        for hh in r.sample(going, max(1, round(len(going) * 0.12))):
            movers = [p for p in hh.members if p.moves]
            last = max(p.moves[-1][0] for p in movers)
            lo = max(last + timedelta(hours=2), self.cap - timedelta(hours=48))
            at = self.daytime(lo, self.cap - timedelta(minutes=30), 8, 17)
            if at is None:
                continue
            hh.checkout = at
            for i, p in enumerate(movers):
                p.moves.append((at + timedelta(minutes=i), None))

    def register(self) -> None:
        """Households and persons are registered at the shelter desk, or at home during the assessment."""
        r = self.rng
        for hh in self.households:
            desk_mode = r.random() < 0.5  # True: registered straight into the shelter; else check-in after
            commands: list[tuple[datetime, str, Any]] = []
            for p in hh.members:
                ci_id = self.uid()
                if p.moves:
                    first_at, shelter_id = p.moves[0]
                    assert shelter_id is not None
                    if desk_mode:
                        p.registered_at = first_at
                    else:
                        p.registered_at = first_at
                        moved = min(first_at + self.minutes(1, 15), self.cap)
                        p.moves[0] = (moved, shelter_id)
                        if len(p.moves) > 1 and p.moves[1][0] <= moved:
                            p.moves[0] = (first_at, shelter_id)
                            moved = first_at
                        commands.append((moved, "check_in", SyncCheckIn(id=ci_id, person_id=p.id,
                                                                        shelter_id=shelter_id, at=moved)))
                elif p.condition == "hilang":  # reported by the family in the first hours
                    p.registered_at = self.between(self.start + timedelta(hours=2), min(self.cap, self.local(1, 20)))
                else:  # door-to-door assessment of families who stayed with relatives or upstairs
                    p.registered_at = self.daytime(self.local(1, 8), self.local(4, 17)) or self.between(self.start, self.cap)
                assert p.registered_at is not None
                person = SyncPerson(
                    id=p.id, full_name=p.full_name, sex=p.sex, birth_date=p.birth_date, age_years=p.age_years,
                    nik=p.nik, household_id=hh.id, vulnerabilities=p.explicit, needs_psychosocial=p.psych,
                    condition=p.condition, registered_at=p.registered_at,
                    shelter_id=p.moves[0][1] if p.moves and desk_mode else None)
                commands.append((p.registered_at, "person", person))
                for at, next_shelter in p.moves[1:]:
                    if next_shelter is None:
                        commands.append((at, "check_out", SyncCheckOut(id=self.uid(), person_id=p.id, at=at)))
                    else:
                        commands.append((at, "check_in", SyncCheckIn(id=self.uid(), person_id=p.id,
                                                                     shelter_id=next_shelter, at=at)))
            first = min(at for at, _, _ in commands)
            self.add(first, "household", SyncHousehold(id=hh.id, head_name=hh.head_name, kk_number=hh.kk_number,
                                                       kelurahan_code=hh.kelurahan_code, address=hh.address))
            for at, cmd_type, data in sorted(commands, key=lambda c: (c[0], c[1] != "person")):
                self.add(at, cmd_type, data)

    # ---- distributions and services ----

    def presence(self) -> dict[str, list[tuple[datetime, datetime | None]]]:
        stays: dict[str, list[tuple[datetime, datetime | None]]] = defaultdict(list)
        for hh in self.households:
            for p in hh.members:
                for i, (at, sid) in enumerate(p.moves):
                    if sid is not None:
                        stays[sid].append((at, p.moves[i + 1][0] if i + 1 < len(p.moves) else None))
        return stays

    @staticmethod
    def present(stays: Sequence[tuple[datetime, datetime | None]], t: datetime) -> int:
        return sum(1 for a, b in stays if a <= t and (b is None or t < b))

    def distribution(self, at: datetime, item: str, quantity: float, *, shelter_id: str | None = None,
                     person_id: str | None = None, household_id: str | None = None, notes: str | None = None) -> None:
        self.add(at, "distribution", SyncDistribution(
            id=self.uid(), item_code=item, quantity=quantity, delivered_at=at, shelter_id=shelter_id,
            person_id=person_id, household_id=household_id, notes=notes))

    def feed(self) -> None:
        """Meals per shelter and meal time from the public kitchens, drinking water and clean water daily."""
        r = self.rng
        stays = self.presence()
        days = self.day_of(self.cap) + 1
        # One kitchen ran short once (a shelter-day with fewer portions than people): enough for the
        # dashboard to show who it leaves unfulfilled, not so much that nobody is fulfilled.
        short_shelter, short_day = r.choice(self.shelters).id, r.randrange(1, max(2, days - 1))
        for sh in self.shelters:
            here = stays.get(sh.id, [])
            for day in range(days):
                for hour in MEAL_HOURS:
                    t = self.local(day, hour)
                    if t <= self.start or t > self.cap or t < sh.opened_at + timedelta(minutes=90):
                        continue
                    present = self.present(here, t)
                    if present == 0:
                        continue
                    notes: str | None
                    if sh.id == short_shelter and day == short_day and hour == 12:  # the kitchen ran short
                        quantity = max(1, int(present * r.uniform(0.6, 0.92)))
                        notes = "porsi kurang: bahan dapur umum terbatas"
                    else:
                        quantity = present + (r.randint(1, 6) if r.random() < 0.3 else 0)
                        notes = r.choice(("nasi bungkus dapur umum TAGANA", "dapur umum Dinas Sosial",
                                          "sumbangan warga", None, None))
                    at = max(t - self.minutes(5, 45), sh.opened_at)
                    self.distribution(at, "makanan_siap_saji", quantity, shelter_id=sh.id, notes=notes)
                water_at = self.local(day, 9) + self.minutes(0, 120)
                if water_at > self.cap or water_at < sh.opened_at:
                    continue
                noon = min(self.local(day, 12), self.cap)
                present = max(self.present(here, water_at), self.present(here, noon))
                if present:
                    galon = math.ceil(present * 2.5 / 19)
                    if r.random() < 0.15:
                        galon = max(1, int(galon * r.uniform(0.5, 0.8)))
                    self.distribution(water_at, "air_minum", galon * 19, shelter_id=sh.id,
                                      notes=f"{galon} galon @19 liter")
                    tanker_at = water_at + self.minutes(30, 240)
                    if r.random() < 0.7 and tanker_at <= self.cap:
                        self.distribution(tanker_at, "air_bersih",
                                          r.choice((4000, 5000, 6000)), shelter_id=sh.id, notes="mobil tangki air bersih")

    def hand_out(self) -> None:
        """Clothing and family kits per household, blankets and baby kits per person, some cash."""
        r = self.rng
        for hh in self.households:
            movers = [p for p in hh.members if p.moves]
            if not movers:
                if hh.members and r.random() < 0.3:  # affected at home: a family kit on assessment
                    reg = max(p.registered_at or self.start for p in hh.members)
                    at = self.daytime(reg + timedelta(hours=1), self.cap)
                    if at is not None:
                        self.distribution(at, "family_kit", 1, household_id=hh.id)
                continue
            arrived = min(p.moves[0][0] for p in movers)
            until = (hh.checkout - timedelta(minutes=30)) if hh.checkout else self.cap
            for item, chance, quantity in (("paket_sandang", 0.8, len(hh.members)), ("family_kit", 0.75, 1)):
                if r.random() < chance:
                    at = self.daytime(max(arrived + timedelta(hours=2), self.local(1, 8)), until)
                    if at is not None:
                        self.distribution(at, item, quantity, household_id=hh.id,
                                          shelter_id=movers[0].shelter_at(at))
            for p in movers:
                p_until = min(until, next((t for t, s in p.moves if s is None), self.cap))
                vuln = effective_vulnerabilities(p.explicit, p.birth_date, p.age_years, self.start_date)
                arrived_p = p.moves[0][0]
                if r.random() < (0.9 if {"balita", "lansia"} & set(vuln) else 0.5):
                    at = self.between(arrived_p + timedelta(minutes=10), min(p_until, arrived_p + timedelta(hours=30)))
                    if arrived_p + timedelta(minutes=10) <= at <= p_until:
                        self.distribution(at, "selimut", 1, person_id=p.id, shelter_id=p.shelter_at(at))
                for item, groups, chance in (("paket_bayi", {"balita"}, 0.7),
                                             ("paket_gizi_ibu", {"ibu_hamil", "ibu_menyusui"}, 0.6)):
                    if groups & set(vuln) and r.random() < chance:
                        at = self.daytime(arrived_p + timedelta(hours=1), p_until)
                        if at is not None:
                            self.distribution(at, item, 1, person_id=p.id, shelter_id=p.shelter_at(at))
        displaced = [h for h in self.households if any(p.moves for p in h.members)]
        for hh in r.sample(displaced, min(len(displaced), max(1, round(len(displaced) * 0.04)))):
            arrived = min(p.moves[0][0] for p in hh.members if p.moves)
            at = self.daytime(max(arrived + timedelta(hours=4), self.cap - timedelta(hours=40)), self.cap)
            if at is not None:
                self.distribution(at, "uang_tunai", r.choice((300_000, 500_000, 1_000_000)), household_id=hh.id,
                                  notes="bantuan langsung tunai Dinas Sosial Kota Binjai")

    def serve(self) -> None:
        """Health and social workers see the vulnerable; trained volunteers give psychosocial support."""
        r = self.rng
        notes_for = {"balita": "pemeriksaan balita oleh Puskesmas", "lansia": "pendampingan lansia",
                     "ibu_hamil": "pemeriksaan kehamilan oleh bidan", "ibu_menyusui": "konseling menyusui",
                     "disabilitas": "pendampingan penyandang disabilitas"}
        for hh in self.households:
            for p in hh.members:
                if not p.moves:
                    continue
                until = next((t for t, s in p.moves if s is None), self.cap)
                vuln = effective_vulnerabilities(p.explicit, p.birth_date, p.age_years, self.start_date)
                if vuln and r.random() < 0.85:
                    at = self.daytime(p.moves[0][0] + timedelta(hours=1), until)
                    if at is not None:
                        self.add(at, "service", SyncService(id=self.uid(), person_id=p.id, kind="penanganan_khusus",
                                                            delivered_at=at, notes=notes_for[vuln[0]]))
                if p.psych and r.random() < 0.8:
                    at = self.daytime(max(p.moves[0][0] + timedelta(hours=3), self.local(1, 8)), until)
                    if at is not None:
                        self.add(at, "service", SyncService(
                            id=self.uid(), person_id=p.id, kind="psikososial", delivered_at=at,
                            notes="layanan dukungan psikososial (LDP) oleh TAGANA dan Sakti Peksos"))


def _kelurahan_codes() -> dict[tuple[str, str], str]:
    """(kecamatan name, kelurahan name) -> code, from the shipped wilayah file."""
    out: dict[tuple[str, str], str] = {}
    for kec in load_json("wilayah_binjai.json")["kecamatan"]:
        for kel in kec["kelurahan"]:
            out[(kec["name"], kel["name"])] = kel["code"]
    return out


def _event_anchor(db: Database, event_id: str) -> tuple[datetime, datetime] | None:
    with read_unit(db) as s:
        ev = s.get(Event, event_id)
        return None if ev is None else (ev.started_at, ev.created_at)


def _floor_minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def _counts(db: Database, event_id: str) -> dict[str, int]:
    out = {}
    with read_unit(db) as s:
        for name, model in (("shelters", Shelter), ("households", Household), ("persons", Person),
                            ("stays", Stay), ("distributions", Distribution), ("services", Service)):
            out[name] = s.exec(select(func.count()).select_from(model).where(col(model.event_id) == event_id)).one()
    return out


def load_demo(settings: Settings, *, persons: int = 500, seed: int = 2026, out: TextIO | None = None) -> Summary:
    """Write the demo flood into the configured database (migrated first) and say what it holds."""
    from shared.migrate import upgrade
    from shared.services.accounts import ensure_admin
    from shared.services.events import create_event

    out = out or sys.stdout
    if not 1 <= persons <= MAX_PERSONS:
        raise ValueError(f"--persons harus 1..{MAX_PERSONS} (persons must be between 1 and {MAX_PERSONS})")
    upgrade(settings)
    db = make_database(settings)
    try:
        generated = ensure_admin(db, settings.admin_password)
        if generated:
            print(f"Admin pertama dibuat / first admin created: username admin, password {generated} "
                  "(simpan sekarang: shown once)", file=out)
        tz = settings.tz
        # One generator per (seed, size): the same command twice replays the same records.
        rng = random.Random(f"posko-demo/{seed}/{persons}")
        event_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        now = datetime.now(tz)
        start_local = datetime.combine(now.date() - timedelta(days=6),
                                       time(rng.randint(1, 4), rng.choice((0, 10, 15, 25, 40, 50))), tz)
        anchor = _event_anchor(db, event_id)
        started_at = anchor[0] if anchor else start_local
        local_start = started_at.astimezone(tz)
        data = EventCreate(
            id=event_id, name=f"Banjir Sungai Bingai dan Sungai Mencirim {MONTHS[local_start.month - 1]} {local_start.year}",
            kind="banjir", started_at=started_at, status="tanggap_darurat",
            kelurahan_codes=[_kelurahan_codes()[(a[0], a[1])] for a in AFFECTED])
        with write_unit(db) as uow:
            event, _ = create_event(uow, DEMO_ACTOR, data)
            created_at = event.created_at
        flood = _Flood(rng, tz, started_at, _floor_minute(created_at), persons)
        flood.event_id = event_id
        flood.build()
        commands = [cmd for _, _, cmd in flood.items]
        print(f"Kejadian {data.name} ({event_id}): {len(commands)} catatan "
              f"dalam {math.ceil(len(commands) / BATCH)} transaksi", file=out, flush=True)
        progress = ProgressBar(out)
        created = duplicates = 0
        for i in range(0, len(commands), BATCH):
            batch = commands[i : i + BATCH]
            with write_unit(db) as uow:
                outcomes = FieldWriter(uow, DEMO_ACTOR).apply(batch)
                for cmd, outcome in zip(batch, outcomes, strict=True):
                    if outcome.error is not None:
                        raise RuntimeError(f"demo generator bug: {cmd.type} {getattr(cmd.data, 'id', '')} "
                                           f"was refused: {outcome.error.message}")
                    if outcome.status == "created":
                        created += 1
                    else:
                        duplicates += 1
            progress.count(i + len(batch), len(commands), "catatan")
        progress.done()
        counts = _counts(db, event_id)
    finally:
        db.dispose()
    return Summary(event_id=event_id, event_name=data.name, created=created, duplicates=duplicates, **counts)


def run_demo(settings: Settings, *, persons: int = 500, seed: int = 2026) -> int:
    """`posko demo`: load the flood, print progress and a closing summary; 0 on success."""
    if not 1 <= persons <= MAX_PERSONS:
        print(f"--persons harus 1..{MAX_PERSONS} (persons must be between 1 and {MAX_PERSONS})", file=sys.stderr)
        return 2
    s = load_demo(settings, persons=persons, seed=seed)
    print(f"Selesai / done: kejadian {s.event_id} \"{s.event_name}\"")
    print(f"  tempat penampungan (shelters): {s.shelters}")
    print(f"  keluarga (households):         {s.households}")
    print(f"  orang (persons):               {s.persons}")
    print(f"  tinggal (stays):               {s.stays}")
    print(f"  distribusi (distributions):    {s.distributions}")
    print(f"  layanan (services):            {s.services}")
    print(f"  catatan baru {s.created}, sudah ada {s.duplicates} (records created / already there)")
    return 0
