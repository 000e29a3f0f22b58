"""PFIF 1.4 (People Finder Interchange Format) exchange of tracing requests with Person Finder-style
services (docs/api.md, "Tracing: PFIF 1.4").

Export: each request the caller may see is a PFIF person record (the person sought: name, sex, date of
birth or age, home address, description, the reporter as author) with one note saying where the search
stands (information_sought; believed_alive once found or reunited, with the place as
last_known_location; believed_dead when closed so). Never exported: the NIK (PFIF has no field for it and
it is not needed to find anyone) and, for relawan, the reporter's phone.

Import: a PFIF 1.4 file (at most `pfif_max_bytes`) becomes tracing requests of no event, one per person
record, idempotent by `person_record_id` (a record seen before is left as it is). The file is parsed with
defusedxml with every DTD refused — entity expansion (billion laughs) and external entities cannot run —
then validated against shared/data/pfif-1.4.xsd; a bad file is refused whole (422) and writes nothing.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as safe_xml
from defusedxml import DefusedXmlException
from lxml import etree

from shared.db import UnitOfWork, utcnow
from shared.domain.access import Actor, can_manage_events
from shared.errors import Forbidden, Invalid
from shared.models import TracingRequest
from shared.repositories import tracing as tracing_repo
from shared.services.bookkeeping import record_audit
from shared.services.tracing import require_reader, visible_events

NS = "http://zesty.ca/pfif/1.4"
SCHEMA = Path(__file__).resolve().parents[1] / "data" / "pfif-1.4.xsd"
SOURCE_NAME = "Posko Dinas Sosial Kota Binjai"
SEX_OUT = {"L": "male", "P": "female"}
SEX_IN = {"male": "L", "female": "P"}
MAX_RECORDS = 20_000


@lru_cache(maxsize=1)
def schema() -> etree.XMLSchema:
    """The PFIF 1.4 schema (our own file: no network, no entities)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.XMLSchema(etree.parse(str(SCHEMA), parser))


def _utc(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def record_id(domain: str, request: TracingRequest) -> str:
    return request.pfif_record_id or f"{domain}/tracing.{request.id}"


def _add(parent: Any, name: str, value: Any) -> None:
    if value is None or value == "":
        return
    etree.SubElement(parent, f"{{{NS}}}{name}").text = str(value)


def _note_status(request: TracingRequest) -> str:
    if request.status in ("ditemukan", "dipertemukan"):
        return "believed_alive"
    if request.status == "ditutup" and request.closed_reason and "meninggal" in request.closed_reason.lower():
        return "believed_dead"
    return "information_sought"


def _person(root: Any, request: TracingRequest, domain: str, *, mask: bool, places: dict[str, str]) -> None:
    person = etree.SubElement(root, f"{{{NS}}}person")
    pid = record_id(domain, request)
    _add(person, "person_record_id", pid)
    _add(person, "entry_date", _utc(request.updated_at))
    _add(person, "author_name", request.reporter_name)
    if not mask:
        _add(person, "author_phone", request.reporter_phone)
    _add(person, "source_name", SOURCE_NAME)
    _add(person, "source_date", _utc(request.created_at))
    _add(person, "full_name", request.full_name or ("Keluarga dicari untuk anak" if request.kind == "keluarga" else "Tanpa nama"))
    _add(person, "description", request.description)
    _add(person, "sex", SEX_OUT.get(request.sex or ""))
    _add(person, "date_of_birth", request.birth_date.isoformat() if request.birth_date else None)
    _add(person, "age", request.age_years if request.birth_date is None else None)
    _add(person, "home_street", request.address)
    _add(person, "home_neighborhood", request.kelurahan_code)
    note = etree.SubElement(person, f"{{{NS}}}note")
    _add(note, "note_record_id", f"{domain}/note.{request.id}.{request.version}")
    _add(note, "person_record_id", pid)
    _add(note, "entry_date", _utc(request.updated_at))
    _add(note, "author_name", request.reunited_by or SOURCE_NAME)
    _add(note, "source_date", _utc(request.updated_at))
    _add(note, "author_made_contact", "true" if request.status == "dipertemukan" else None)
    _add(note, "status", _note_status(request))
    _add(note, "last_known_location", places.get(request.id) or request.last_seen_place)
    text = {"dicari": "Masih dicari.", "kemungkinan_cocok": "Kemungkinan cocok dengan orang terdaftar; belum dipastikan.",
            "ditemukan": "Ditemukan.", "dipertemukan": "Dipertemukan dengan keluarga.",
            "ditutup": f"Ditutup: {request.closed_reason or ''}"}[request.status]
    _add(note, "text", text)


def export(session: Any, actor: Actor, domain: str) -> tuple[bytes, int]:
    """The PFIF 1.4 document of the requests `actor` may see, and how many person records it holds."""
    require_reader(actor)
    rows = tracing_repo.all_requests(session, visible_events(session, actor))
    found = [r for r in rows if r.matched_person_id and r.status in ("ditemukan", "dipertemukan")]
    shelters = tracing_repo.open_shelters(session, [r.matched_person_id for r in found if r.matched_person_id], utcnow())
    places = {r.id: shelters[r.matched_person_id][1] for r in found
              if r.matched_person_id in shelters}
    for r in rows:
        if r.status == "dipertemukan" and r.reunited_place:
            places[r.id] = r.reunited_place
    root = etree.Element(f"{{{NS}}}pfif", nsmap={"pfif": NS})
    for r in rows:
        _person(root, r, domain, mask=actor.is_relawan, places=places)
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True), len(rows)


def _text(element: Element, name: str) -> str | None:
    found = element.find(f"{{{NS}}}{name}")
    if found is None or found.text is None:
        return None
    value = found.text.strip()
    return value or None


_AGE = re.compile(r"^(\d{1,3})(?:-(\d{1,3}))?$")


def _birth(value: str | None) -> date | None:
    if value and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _age(value: str | None, born: str | None) -> int | None:
    if value:
        m = _AGE.match(value)
        if m:
            low, high = int(m.group(1)), int(m.group(2) or m.group(1))
            return min(120, (low + high) // 2)
    if born and re.fullmatch(r"\d{4}(-\d{2})?", born):
        return max(0, utcnow().year - int(born[:4]))
    return None


def parse(data: bytes) -> Element:
    """The document's root, parsed safely and valid against PFIF 1.4; Invalid (422) otherwise."""
    try:
        root = safe_xml.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise Invalid("body", f"berkas PFIF ditolak: DTD atau entitas XML tidak diizinkan (PFIF file refused: "
                              f"DTDs and XML entities are not allowed: {exc.__class__.__name__})", "pfif_refused") from exc
    except safe_xml.ParseError as exc:
        raise Invalid("body", f"berkas PFIF bukan XML yang sah (the PFIF file is not well-formed XML: {exc})",
                      "pfif_invalid") from exc
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    document = etree.fromstring(data, parser)
    validator = schema()
    if not validator.validate(document):
        error = validator.error_log.last_error
        raise Invalid("body", f"berkas PFIF tidak sesuai skema PFIF 1.4 (the file is not valid PFIF 1.4: line "
                              f"{error.line}: {error.message})", "pfif_invalid")
    return root


def import_file(uow: UnitOfWork, actor: Actor, data: bytes) -> dict[str, int]:
    """Store the file's person records as tracing requests; {created, existing}. Admin and posko only."""
    require_reader(actor)
    if not can_manage_events(actor):
        raise Forbidden("hanya admin dan posko yang dapat mengimpor PFIF (only admin and posko import PFIF)")
    root = parse(data)
    persons = root.findall(f"{{{NS}}}person")
    if len(persons) > MAX_RECORDS:
        raise Invalid("body", f"paling banyak {MAX_RECORDS} orang per berkas (at most {MAX_RECORDS} person records per file)")
    ids = [_text(p, "person_record_id") or "" for p in persons]
    known = tracing_repo.by_pfif_ids(uow.session, ids)
    created = 0
    now = utcnow()
    seen: set[str] = set()
    for person, pid in zip(persons, ids, strict=True):
        if pid in known or pid in seen:
            continue
        seen.add(pid)
        notes = person.findall(f"{{{NS}}}note")
        last_seen = next((_text(n, "last_known_location") for n in notes if _text(n, "last_known_location")), None)
        born = _text(person, "date_of_birth")
        birth_date = _birth(born)
        description = " ".join(x for x in (_text(person, "description"), *(_text(n, "text") for n in notes)) if x)
        uow.session.add(TracingRequest(
            id=str(uuid.uuid4()), event_id=None, kind="orang", full_name=(_text(person, "full_name") or "")[:200],
            sex=SEX_IN.get(_text(person, "sex") or ""), birth_date=birth_date,
            age_years=None if birth_date else _age(_text(person, "age"), born),
            address=" ".join(x for x in (_text(person, "home_street"), _text(person, "home_neighborhood"),
                                         _text(person, "home_city")) if x)[:500] or None,
            last_seen_place=(last_seen or "")[:500] or None, description=description[:1000] or None,
            reporter_name=(_text(person, "author_name") or "")[:200] or None,
            reporter_phone=(_text(person, "author_phone") or "")[:30] or None,
            reporter_contact=(_text(person, "author_email") or "")[:500] or None,
            status="dicari", source="pfif", pfif_record_id=pid, version=1, matched_version=0, created_by=actor.id,
            created_at=now, updated_at=now))
        created += 1
    record_audit(uow, actor, "tracing.import", "tracing_request", "*", None, detail="format=pfif-1.4", row_count=created)
    return {"created": created, "existing": len(persons) - created}
