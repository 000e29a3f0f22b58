"""A Binjai-like register with known truth, for measuring the matcher (tests and bench/match_bench.py).

Families as they register after a flood in Binjai: Malay, Javanese, Karo and Toba Batak (with marga,
women written "br"), Chinese-Indonesian; children, twins with different given names, namesakes
(many "Muhammad Rizki", "Siti Rahmawati"), missing NIKs and birth dates. Then some persons are
registered a second (or third) time the way it happens: another volunteer, another family or shelter,
the name written another way (M./Moh./Mhd, St., Noer, old spelling, H./Hj./Ir./dr./S.Pd., br/boru or
no marga, a given name dropped or swapped, CAPITALS, a typo), the NIK left out, the birth date
missing or slipped.

`make_population(identities, seed)` is deterministic. Truth: records with the same `identity` are
one person; `twins` are pairs of identities that are twins (never to be offered as one person).
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from datetime import date, timedelta

from shared.matching import PersonKey

KELURAHAN = [f"12.75.0{k}.10{n:02d}" for k, count in ((1, 9), (2, 7), (3, 6), (4, 7), (5, 8))
             for n in range(1, count + 1)]

MALAY_M = ["Ahmad", "Muhammad Rizki", "Syahrul", "Zulkifli", "Hasan", "Husein", "Fauzi", "Iskandar", "Azhar",
           "Khairul Anwar", "Ramadhan", "Syafruddin", "Abdul Rahman", "Abdul Hakim", "Amiruddin", "Fadli", "Hafiz",
           "Irwansyah", "Junaidi", "Mahmud", "Nasrul", "Rahmat", "Ridwan", "Safrizal", "Taufik Hidayat", "Yusuf",
           "Zainal Abidin", "Rizal", "Arif Budiman", "Muhammad Fikri", "Muhammad Ilham", "Darmawan", "Sofyan"]
MALAY_F = ["Siti Aminah", "Siti Rahmawati", "Nurhayati", "Aisyah", "Fatimah", "Khadijah", "Zainab", "Rohani",
           "Salmah", "Nur Aini", "Mariani", "Halimah", "Rahmah", "Syarifah", "Juliana", "Fitriani", "Yusniar",
           "Rosmawati", "Sri Wahyuni", "Nurul Hidayah", "Siti Khadijah", "Nur Jannah", "Erna Wati", "Laila"]
JAVA_M = ["Joko Susilo", "Bambang Sutrisno", "Slamet", "Sugeng Riyadi", "Supriyadi", "Agus Santoso", "Eko Prasetyo",
          "Budi Santoso", "Suparman", "Wahyudi", "Sutrisno", "Haryanto", "Sukarno", "Darmaji", "Suyatno",
          "Purwanto", "Tjipto Wiyono", "Djoko Purnomo", "Soeparno"]
JAVA_F = ["Sri Rahayu", "Sumiati", "Wartini", "Suharti", "Sulastri", "Endang Susilowati", "Tri Wahyuni",
          "Dwi Lestari", "Ngatini", "Painem", "Suyati", "Rukmini", "Kartini", "Puji Astuti", "Soelastri"]
BATAK_M = ["Rudi", "Jhon", "Martin", "Hendra", "Roy", "Benny", "Daniel", "Jusuf", "Togar", "Parlindungan", "Sahat",
           "Bonar", "Edward", "Frans", "Ramli", "Eddy", "Robert", "Jefri", "Pardamean", "Josua"]
BATAK_F = ["Rina", "Rosmaida", "Lenny", "Juita", "Herlina", "Nurmala", "Tiurma", "Sarma", "Ernawati", "Masta",
           "Rosdiana", "Melati", "Tiomina", "Mona", "Rini", "Dameria", "Sondang", "Lamria"]
MARGA = ["Sitepu", "Ginting", "Tarigan", "Sembiring", "Perangin-angin", "Karo-Karo", "Barus", "Surbakti",
         "Sinulingga", "Nasution", "Lubis", "Siregar", "Harahap", "Simanjuntak", "Sinaga", "Situmorang",
         "Panjaitan", "Damanik", "Saragih", "Purba", "Bangun", "Sebayang"]
CHINESE_SURNAME = ["Lim", "Tan", "Ong", "Liem", "Wong", "Gunawan", "Wijaya", "Halim", "Kusuma", "Salim", "Tanoto",
                   "Setiawan", "Hartono"]
CHINESE_M = ["Hendra", "Budi", "Andi", "Rudy", "Ferry", "Hong Liang", "Kok Hwa", "Swie King", "Aan", "Sugianto"]
CHINESE_F = ["Lili", "Linda", "Yenny", "Susanti", "Siu Ling", "Mei Hwa", "Lina", "Vivi", "Meliana", "Wenny"]
MALAY_FAMILY = ["", "", "", "Lubis", "Nasution", "Harahap", "Batubara", "Daulay", "Rangkuti", "Pohan", "Hasibuan"]

TITLES_M = ["H.", "Ir.", "dr.", "Drs.", "Bpk.", "Tn."]
TITLES_F = ["Hj.", "Ny.", "Ibu", "dr.", "Dra."]
DEGREES = [", S.Pd.", ", S.E.", ", S.Pd.I", ", A.Md.", ", S.H.", ", S.Kom"]

OLD_SPELLING = [("u", "oe"), ("j", "dj"), ("c", "tj"), ("y", "j")]
VARIANTS = {
    "Muhammad": ["M.", "Moh.", "Mhd", "Muhamad", "Mohammad", "Mochammad"],
    "Siti": ["St.", "Sti"], "Nur": ["Noer", "Noor"], "Abdul": ["Abd."], "Ahmad": ["Achmad", "Akhmad"],
    "Nurhayati": ["Noerhajati", "Nur Hayati"], "Syafruddin": ["Sjafruddin", "Syafrudin"],
    "Yusuf": ["Jusuf", "Yusup"], "Wijaya": ["Widjaja", "Wijaja"], "Rahmawati": ["Rachmawati"],
    "Rahmat": ["Rachmat", "Rahmad"], "Eddy": ["Edy", "Edi"], "Khairul": ["Chairul"], "Ramadhan": ["Ramadan"],
    "Zulkifli": ["Dzulkifli"], "Sukarno": ["Soekarno"], "Sri": ["Sri"], "Fitriani": ["Fitriyani"],
    "Supriyadi": ["Soepriyadi", "Supriadi"], "Liem": ["Lim"], "Jhon": ["John", "Jon"],
}


@dataclass
class Identity:
    """One real person."""

    number: int
    given: str  # the given name(s)
    family: str  # marga, family or Chinese surname ("" for none)
    style: str  # malay | java | batak | chinese
    sex: str
    birth_date: date
    nik: str | None
    household: int
    kelurahan: str


@dataclass
class Population:
    records: list[PersonKey] = field(default_factory=list)
    identity_of: dict[str, int] = field(default_factory=dict)  # person_id -> identity number
    twins: set[frozenset[int]] = field(default_factory=set)  # pairs of identity numbers
    reduced: set[str] = field(default_factory=set)  # records written without a word of the given name

    def true_pairs(self) -> set[frozenset[str]]:
        by_identity: dict[int, list[str]] = {}
        for pid, ident in self.identity_of.items():
            by_identity.setdefault(ident, []).append(pid)
        return {frozenset((a, b)) for ids in by_identity.values() for i, a in enumerate(ids) for b in ids[i + 1:]}

    def twin_pairs(self) -> set[frozenset[str]]:
        """Records of twins that both carry the given name that tells them apart ("Abdul" written for
        "Abdul Rahman" matches his twin "Abdul Hakim" as well as himself: no rule can tell)."""
        ids_of: dict[int, list[str]] = {}
        for pid, ident in self.identity_of.items():
            ids_of.setdefault(ident, []).append(pid)
        return {frozenset((a, b)) for t in self.twins for a in ids_of[min(t)] for b in ids_of[max(t)]
                if a not in self.reduced and b not in self.reduced}


def _nik(rnd: random.Random, bd: date, sex: str, serial: int) -> str:
    day = bd.day + (40 if sex == "P" else 0)
    return f"1275{rnd.randint(1, 5):02d}{day:02d}{bd.month:02d}{bd.year % 100:02d}{serial % 9999 + 1:04d}"


def _written(ident: Identity, rnd: random.Random, *, canonical: bool) -> tuple[str, bool]:
    """The name as a volunteer writes it: canonical for the first record, varied for a duplicate; and
    whether a word of the given name was left out."""
    given, family = ident.given, ident.family
    reduced = False
    if not canonical and len(given.split()) >= 2 and rnd.random() < 0.12:
        words = given.split()
        del words[rnd.randrange(len(words))]  # a given name left out ("Muhammad Rizki" → "Rizki")
        given, reduced = " ".join(words), True
    if ident.style == "chinese":
        name = f"{family} {given}" if rnd.random() < 0.5 and len(family) <= 4 else f"{given} {family}"
    elif ident.style == "batak" and ident.sex == "P" and family:
        name = f"{given} br {family}"
    else:
        name = f"{given} {family}".strip()
    if canonical:
        return name, reduced
    words = name.split()
    changes = rnd.sample(["spelling", "spelling", "title", "case", "marga", "swap", "typo", "typo",
                          "punct", "old", "none"], k=rnd.choice([1, 1, 2, 2, 3]))
    for change in changes:
        if change == "spelling":
            words = [rnd.choice(VARIANTS[w]) if w in VARIANTS and rnd.random() < 0.8 else w for w in words]
        elif change == "old":
            i = rnd.randrange(len(words))
            for new, old in OLD_SPELLING:
                if new in words[i][1:]:
                    words[i] = words[i][0] + words[i][1:].replace(new, old, 1)
                    break
        elif change == "title":
            if rnd.random() < 0.6:
                words.insert(0, rnd.choice(TITLES_M if ident.sex == "L" else TITLES_F))
            else:
                words[-1] += rnd.choice(DEGREES)
        elif change == "case":
            words = [w.upper() if rnd.random() < 0.5 else w.lower() for w in words]
        elif change == "marga" and ident.style == "batak":
            if "br" in words:
                words[words.index("br")] = rnd.choice(["boru", "Br.", "BR", ""])
            elif rnd.random() < 0.5 and len(words) > 1:
                words = words[:-1]  # the marga left out
        elif change == "swap" and len(words) >= 2:
            words = [words[-1], *words[:-1]]
        elif change == "typo":
            candidates = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
            if candidates:
                i = rnd.choice(candidates)
                words[i] = _typo(words[i], rnd)
        elif change == "punct":
            return "  ".join(words).replace(" ", rnd.choice([" ", ".  ", " , "]), 1), reduced
    return " ".join(w for w in words if w), reduced


def _typo(word: str, rnd: random.Random) -> str:
    """One slip of the thumb inside the word (never its first letter or a last vowel)."""
    i = rnd.randrange(1, len(word) - 1)
    kind = rnd.choice(["swap", "drop", "double", "replace"])
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == "drop":
        return word[:i] + word[i + 1:]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    return word[:i] + rnd.choice(string.ascii_lowercase) + word[i + 1:]


def _slipped(bd: date, rnd: random.Random) -> date:
    if bd.day <= 12 and bd.day != bd.month and rnd.random() < 0.5:
        return date(bd.year, bd.day, bd.month)
    return bd.replace(year=bd.year + rnd.choice([-1, 1]))


def _family(rnd: random.Random, number: int, household: int, start: int) -> list[Identity]:
    style = rnd.choices(["malay", "java", "batak", "chinese"], weights=[40, 25, 28, 7])[0]
    kel = rnd.choice(KELURAHAN)
    pools = {"malay": (MALAY_M, MALAY_F), "java": (JAVA_M, JAVA_F), "batak": (BATAK_M, BATAK_F),
             "chinese": (CHINESE_M, CHINESE_F)}[style]
    surname = {"malay": rnd.choice(MALAY_FAMILY), "java": "", "batak": rnd.choice(MARGA),
               "chinese": rnd.choice(CHINESE_SURNAME)}[style]
    members: list[tuple[str, str, date, str]] = []
    father_bd = date(1950, 1, 1) + timedelta(days=rnd.randrange(365 * 45))
    size = rnd.choice([1, 2, 3, 3, 4, 4, 5, 6])
    members.append(("L", rnd.choice(pools[0]), father_bd, surname))
    if size >= 2:
        mother_marga = rnd.choice(MARGA) if style == "batak" else ("" if style != "chinese" else surname)
        members.append(("P", rnd.choice(pools[1]), father_bd + timedelta(days=rnd.randrange(-2000, 2000)),
                        mother_marga))
    twins_at: int | None = None
    while len(members) < size:
        sex = rnd.choice("LP")
        bd = max(father_bd + timedelta(days=365 * 20), date(1990, 1, 1)) + timedelta(days=rnd.randrange(365 * 15))
        if bd > date(2024, 6, 1):
            bd = date(2024, 6, 1) - timedelta(days=rnd.randrange(365 * 5))
        pool = pools[0] if sex == "L" else pools[1]
        members.append((sex, rnd.choice(pool), bd, surname))
        if twins_at is None and len(members) < size and rnd.random() < 0.35:
            twin_sex = sex if rnd.random() < 0.7 else ("P" if sex == "L" else "L")
            twin_pool = pools[0] if twin_sex == "L" else pools[1]
            name = rnd.choice(twin_pool)
            while name == members[-1][1] or _one_letter_apart(name, members[-1][1]):
                name = rnd.choice(twin_pool)
            twins_at = len(members)
            members.append((twin_sex, name, bd, surname))
    out = []
    for k, (sex, given, bd, fam) in enumerate(members):
        nik = _nik(rnd, bd, sex, number + k) if rnd.random() < 0.7 else None
        out.append(Identity(start + k, given, fam, style, sex, bd, nik, household, kel))
    return out


def _one_letter_apart(a: str, b: str) -> bool:
    if len(a) != len(b):
        return False
    return sum(x != y for x, y in zip(a, b, strict=True)) <= 1 and a[-1] == b[-1]


def make_population(identities: int = 3000, seed: int = 11, duplicate_share: float = 0.2) -> Population:
    """About `identities` persons in families, a `duplicate_share` of them registered again."""
    rnd = random.Random(seed)
    people: list[Identity] = []
    twins: set[frozenset[int]] = set()
    household = 0
    while len(people) < identities:
        family = _family(rnd, len(people), household, len(people))
        for a in family:
            for b in family:
                if a.number < b.number and a.birth_date == b.birth_date and a.given != b.given:
                    twins.add(frozenset((a.number, b.number)))
        people.extend(family)
        household += 1
    pop = Population(twins=twins)
    serial = 0

    def add(ident: Identity, *, canonical: bool, household_id: str, kelurahan: str) -> None:
        nonlocal serial
        serial += 1
        pid = f"p{serial:06d}"
        bd: date | None = ident.birth_date
        nik = ident.nik
        if not canonical:
            nik = nik if rnd.random() < 0.55 else None
            roll = rnd.random()
            bd = None if roll < 0.08 else _slipped(ident.birth_date, rnd) if roll < 0.13 else bd
        elif rnd.random() < 0.05:
            bd = None
        name, reduced = _written(ident, rnd, canonical=canonical)
        if reduced:
            pop.reduced.add(pid)
        pop.records.append(PersonKey(pid, "ev1", name, bd, ident.sex, nik, kelurahan, household_id))
        pop.identity_of[pid] = ident.number

    extra_household = 0
    for ident in people:
        add(ident, canonical=True, household_id=f"h{ident.household}", kelurahan=ident.kelurahan)
        copies = 0
        if rnd.random() < duplicate_share:
            copies = 2 if rnd.random() < 0.1 else 1
        for _ in range(copies):
            if rnd.random() < 0.3:
                hid, kel = f"h{ident.household}", ident.kelurahan
            else:
                extra_household += 1
                hid = f"x{extra_household}"
                kel = ident.kelurahan if rnd.random() < 0.7 else rnd.choice(KELURAHAN)
            add(ident, canonical=False, household_id=hid, kelurahan=kel)
    return pop
