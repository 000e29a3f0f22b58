"""HXL exports of an event (Humanitarian Exchange Language 1.1) for partners: BPBD, Kemensos, clusters.

`GET /events/{id}/export.hxl.csv?dataset=…` answers a CSV whose first row holds Indonesian column
headings and whose second row holds the HXL hashtags. No dataset carries personal data (no names,
NIK, person or household ids), so every role that sees the event may have them.

- `shelters`: one row per shelter: #loc+name, #loc+type, the region codes and names (#adm4 kelurahan,
  #adm3 kecamatan, #adm2 kota), #geo+lat/#geo+lon, opening dates, #capacity+ind, and the occupants at
  `as_of` (#affected+idps+ind; open stays, as in the status snapshot) by sex (+f, +m) and age group
  at the event's start (+children+age0_4 balita, +children+age5_17 anak, +adults+age18_59 dewasa,
  +elderly+age60plus lansia, +unknown_age).
- `persons_summary`: one row per kelurahan of the persons' households (persons without one: an
  empty code, "Tidak diketahui"): registered (#affected+ind), displaced now (#affected+idps, also by
  sex), returned (+returnees), affected without displacement (+nondisplaced), injured, missing,
  killed, and all persons by sex and age group.
- `distributions`: one row per distribution delivered up to `as_of`, oldest first: #date (local
  date), #date+delivered (local time with offset), #loc+name (the shelter, if any), #adm4 (the
  shelter's kelurahan, else the recipient household's), #item+code/#item+name, #output+num (quantity),
  #output+unit, #beneficiary+type (tempat_penampungan, keluarga or orang) and #reached+ind: persons
  reached — 1 for a person, the household's members for a household, the shelter's occupants at the
  moment of delivery for a shelter.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from shared.memory import no_cyclic_gc
from shared.models import Event
from shared.reports.facts import UNKNOWN_AREA, load_person_facts, load_regions, occupancy, standings
from shared.reports.render import hxl_filename
from shared.reports.render.csv import hxl_csv
from shared.repositories import reports as reports_repo

DATASETS = ("shelters", "persons_summary", "distributions")

AGE_COLUMNS = (("balita", "Balita (0-4)", "+children+age0_4"), ("anak", "Anak (5-17)", "+children+age5_17"),
               ("dewasa", "Dewasa (18-59)", "+adults+age18_59"), ("lansia", "Lansia (60+)", "+elderly+age60plus"),
               ("tidak_diketahui", "Umur tidak diketahui", "+unknown_age"))

SHELTER_COLUMNS = [
    ("Nama tempat penampungan", "#loc+name"), ("Jenis", "#loc+type"),
    ("Kode kelurahan", "#adm4+code"), ("Kelurahan", "#adm4+name"),
    ("Kode kecamatan", "#adm3+code"), ("Kecamatan", "#adm3+name"),
    ("Kode kabupaten/kota", "#adm2+code"), ("Kabupaten/kota", "#adm2+name"),
    ("Lintang", "#geo+lat"), ("Bujur", "#geo+lon"),
    ("Tanggal dibuka", "#date+opened"), ("Tanggal ditutup", "#date+closed"),
    ("Kapasitas (orang)", "#capacity+ind"),
    ("Pengungsi", "#affected+idps+ind"), ("Pengungsi perempuan", "#affected+idps+f"),
    ("Pengungsi laki-laki", "#affected+idps+m"),
] + [(f"Pengungsi {label.lower()}", f"#affected+idps{attrs}") for _, label, attrs in AGE_COLUMNS]

SUMMARY_COLUMNS = [
    ("Kode kelurahan", "#adm4+code"), ("Kelurahan", "#adm4+name"),
    ("Kode kecamatan", "#adm3+code"), ("Kecamatan", "#adm3+name"),
    ("Kode kabupaten/kota", "#adm2+code"),
    ("Korban terdaftar", "#affected+ind"),
    ("Mengungsi", "#affected+idps+ind"), ("Mengungsi perempuan", "#affected+idps+f"),
    ("Mengungsi laki-laki", "#affected+idps+m"),
    ("Sudah kembali", "#affected+returnees+ind"), ("Terdampak tidak mengungsi", "#affected+nondisplaced+ind"),
    ("Luka-luka", "#affected+injured+ind"), ("Hilang", "#affected+missing+ind"), ("Meninggal", "#affected+killed+ind"),
    ("Perempuan", "#affected+f"), ("Laki-laki", "#affected+m"),
] + [(label, f"#affected{attrs}") for _, label, attrs in AGE_COLUMNS]

DISTRIBUTION_COLUMNS = [
    ("Tanggal", "#date"), ("Waktu penyaluran", "#date+delivered"),
    ("Tempat penampungan", "#loc+name"), ("Kode kelurahan", "#adm4+code"), ("Kelurahan", "#adm4+name"),
    ("Kode barang", "#item+code"), ("Barang", "#item+name"),
    ("Jumlah", "#output+num"), ("Satuan", "#output+unit"),
    ("Jenis penerima", "#beneficiary+type"), ("Orang terjangkau", "#reached+ind"),
]


def _date(value: datetime | None, tz: ZoneInfo) -> str:
    return "" if value is None else value.astimezone(tz).date().isoformat()


def _num(value: float | None) -> Any:
    if value is None:
        return ""
    return int(value) if float(value).is_integer() else value


def shelters_rows(session: Session, event: Event, as_of: datetime, tz: ZoneInfo) -> list[list[Any]]:
    start_local = event.started_at.astimezone(tz).date()
    regions = load_regions(session)
    persons = {p.id: p for p in load_person_facts(session, event.id, start_local, with_names=False)}
    occ = occupancy(reports_repo.stays(session, event.id, as_of), as_of)
    rows = []
    for sh in reports_repo.shelters(session, event.id):
        area = regions.kelurahan(sh.kelurahan_code)
        o = occ.get(sh.id)
        occupants = [persons[pid] for pid in (o.occupants if o else ()) if pid in persons]
        sexes = Counter(p.sex for p in occupants)
        ages = Counter(p.age_group for p in occupants)
        closed = sh.closed_at if sh.closed_at is not None and sh.closed_at <= as_of else None
        rows.append([sh.name, sh.kind, area["kelurahan_code"], area["kelurahan_name"], area["kecamatan_code"],
                     area["kecamatan_name"], area["kota_code"], area["kota_name"],
                     "" if sh.lat is None else sh.lat, "" if sh.lon is None else sh.lon,
                     _date(sh.opened_at, tz), _date(closed, tz), sh.capacity_persons,
                     len(occupants), sexes.get("P", 0), sexes.get("L", 0)]
                    + [ages.get(key, 0) for key, _, _ in AGE_COLUMNS])
    return rows


def persons_summary_rows(session: Session, event: Event, as_of: datetime, tz: ZoneInfo) -> list[list[Any]]:
    start_local = event.started_at.astimezone(tz).date()
    regions = load_regions(session)
    persons = load_person_facts(session, event.id, start_local, with_names=False)
    where = standings(persons, reports_repo.stays(session, event.id, as_of), as_of)
    counts: dict[str, Counter[str]] = {code: Counter() for code in event.kelurahan_codes}
    for p in persons:
        c = counts.setdefault(p.kelurahan_code, Counter())
        c["registered"] += 1
        c[where[p.id]] += 1
        if where[p.id] == "displaced_now":
            c[f"displaced_{p.sex}"] += 1
        if p.condition == "luka":
            c["injured"] += 1
        c[f"sex_{p.sex}"] += 1
        c[f"age_{p.age_group}"] += 1
    codes = list(event.kelurahan_codes) + sorted(c for c in counts if c not in event.kelurahan_codes and c)
    if UNKNOWN_AREA in counts and UNKNOWN_AREA not in codes:
        codes.append(UNKNOWN_AREA)
    rows = []
    for code in codes:
        c = counts[code]
        area = regions.kelurahan(code)
        rows.append([code, area["kelurahan_name"] if code else "Tidak diketahui", area["kecamatan_code"],
                     area["kecamatan_name"], area["kota_code"], c["registered"], c["displaced_now"],
                     c["displaced_P"], c["displaced_L"], c["returned"], c["affected"], c["injured"], c["missing"],
                     c["dead"], c["sex_P"], c["sex_L"]] + [c[f"age_{key}"] for key, _, _ in AGE_COLUMNS])
    return rows


def distributions_rows(session: Session, event: Event, as_of: datetime, tz: ZoneInfo) -> Iterable[list[Any]]:
    start_local = event.started_at.astimezone(tz).date()
    regions = load_regions(session)
    items = reports_repo.item_names(session)
    persons = load_person_facts(session, event.id, start_local, with_names=False)
    person_area = {p.id: p.kelurahan_code for p in persons}
    members = Counter(p.household_id for p in persons if p.household_id)
    household_area = {p.household_id: p.kelurahan_code for p in persons if p.household_id}
    shelters = {s.id: s for s in reports_repo.shelters(session, event.id)}
    occ = occupancy(reports_repo.stays(session, event.id, as_of), as_of)
    for code, qty, at, sid, pid, hid in reports_repo.distributions(session, event.id, as_of):
        reached: int | str
        local = at.astimezone(tz)
        sh = shelters.get(sid) if sid else None
        if pid:
            kind, reached = "orang", 1
            area = person_area.get(pid) or (sh.kelurahan_code if sh else "")
        elif hid:
            kind, reached = "keluarga", members.get(hid, 0)
            area = household_area.get(hid) or (sh.kelurahan_code if sh else "")
        elif sh is not None:
            o = occ.get(sh.id)
            kind, reached = "tempat_penampungan", (o.at(at.timestamp()) if o else 0)
            area = sh.kelurahan_code
        else:
            kind, reached, area = "", "", ""
        name, unit = items.get(code, ("", ""))
        yield [local.date().isoformat(), local.isoformat(timespec="minutes"), sh.name if sh else "", area,
               regions.name(area), code, name, _num(qty), unit, kind, reached]


def export_hxl(session: Session, event: Event, dataset: str, as_of: datetime, tz: ZoneInfo) -> tuple[bytes, str]:
    """(CSV bytes, file name) of one dataset: headings, hashtags, then the rows."""
    with no_cyclic_gc():
        return _export(session, event, dataset, as_of, tz)


def _export(session: Session, event: Event, dataset: str, as_of: datetime, tz: ZoneInfo) -> tuple[bytes, str]:
    rows: Iterable[list[Any]]
    if dataset == "shelters":
        columns, rows = SHELTER_COLUMNS, shelters_rows(session, event, as_of, tz)
    elif dataset == "persons_summary":
        columns, rows = SUMMARY_COLUMNS, persons_summary_rows(session, event, as_of, tz)
    elif dataset == "distributions":
        columns, rows = DISTRIBUTION_COLUMNS, distributions_rows(session, event, as_of, tz)
    else:
        raise ValueError(f"unknown dataset {dataset!r}")
    return hxl_csv(columns, rows), hxl_filename(event.name, dataset, as_of.astimezone(tz).date().isoformat())
