"""The write path for field records: one engine for single requests and for `POST /sync` batches.

Why one engine: the field app's offline queue and the single endpoints must give the same answer
to the same record. A batch is applied in order, each record checked against the state the
records before it left (a household, then its members, then their check-ins), and all of it is
stored with set-based inserts in one transaction: that is what makes 1,000-record batches fast.

Per record, the checks run in this order, and nothing is changed until all of them passed:
the caller may write the event (else forbidden) → a known client id is a replay (same content:
duplicate; other content: conflict) → an id that is taken without a replay record (a row the demo
or an import wrote, or one in another event) is a conflict naming `id` → the event is not
`selesai` (else conflict) → references point into the same event and the record's own rules hold,
dates included (shared/domain/plausibility.py; else invalid / conflict) → apply.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from sqlmodel import Session

from shared.db import UnitOfWork, utcnow
from shared.domain.access import Actor, can_see_event, can_write_event
from shared.domain.plausibility import birth_date_event_problem, delivered_at_problem, nik_mismatch
from shared.errors import Conflict, ConflictWithExisting, DomainError, Forbidden, Invalid, NotFound
from shared.models import (
    ClientOperation,
    Distribution,
    Household,
    Outbox,
    Person,
    Service,
    Shelter,
    Stay,
    TracingRequest,
)
from shared.repositories import bookkeeping, delivery_totals
from shared.repositories import events as event_repo
from shared.repositories import nik_conflicts as nik_conflict_repo
from shared.repositories import people as people_repo
from shared.repositories import reference as ref_repo
from shared.repositories.events import EventRow
from shared.repositories.users import member_event_ids
from shared.services import tracing_auto
from shared.services.idempotency import fingerprint, same_content
from shared.services.match_keys import queue_person_keys
from shared.services.nik_conflicts import nik_taken
from shared.services.stock_records import STOCK_RECORD_TYPES, StockRecords
from shared.services.tracing_auto import child_flag_problem

# Fields whose server default is "now": a replay that omits them, or the original that did, is not a difference.
TIME_DEFAULTS = ("registered_at", "opened_at", "delivered_at", "at", "received_at", "sent_at", "requested_at")


def first_stay_id(person_id: str) -> str:
    """The id of the stay a registration with a shelter opens: derived from the person's id, so a
    replayed registration finds the same stay (hashlib is ~10x cheaper than uuid5 in a 1,000-record batch)."""
    h = hashlib.md5(b"posko-first-stay:" + person_id.encode(), usedforsecurity=False).hexdigest()
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:32]}"

Status = Literal["created", "duplicate", "unchanged"]


@dataclass
class Command:
    """One record to apply: `type` is household|person|shelter|check_in|check_out|distribution|service."""

    type: str
    event_id: str
    data: Any  # a validated request model
    person_id: str | None = None  # check_in / check_out
    payload: dict[str, Any] | None = None  # the fingerprint, when the caller computed it already


@dataclass
class Outcome:
    """What became of one command: a stored object (created/duplicate/unchanged) or an error."""

    status: Status | None = None
    object_type: str | None = None
    object_id: str | None = None
    data_seq: int | None = None
    error: DomainError | None = None
    row: dict[str, Any] | None = None  # what was stored, for answering without reading it back
    event: EventRow | None = None

    @property
    def stored_id(self) -> str:
        """The id of the stored object (only for outcomes without an error)."""
        assert self.object_id is not None, "an outcome with an error stored nothing"
        return self.object_id


@dataclass
class _OpenStay:
    stay_id: str
    shelter_id: str | None  # None: a mandiri stay
    check_in: datetime
    kelurahan_code: str | None = None
    address: str | None = None

    def same_place(self, shelter_id: str | None, kelurahan_code: str | None, address: str | None) -> bool:
        """A check-in to where the person already is: the same shelter, or mandiri at the same place."""
        if self.shelter_id is not None:
            return self.shelter_id == shelter_id
        return shelter_id is None and (self.kelurahan_code, self.address) == (kelurahan_code, address)


@dataclass
class _EventState:
    event: EventRow
    writable: bool
    visible: bool
    data_seq: int
    profile_items: dict[str, dict[str, Any]]
    touched: bool = False

    def service_item(self, service: str) -> str | None:
        """The code of the profile item that serves an SPM service (sandang, permakanan), if any."""
        return next((c for c, i in self.profile_items.items() if i.get("service") == service), None)


@dataclass
class _Pending:
    households: list[dict[str, Any]] = field(default_factory=list)
    shelters: list[dict[str, Any]] = field(default_factory=list)
    persons: list[dict[str, Any]] = field(default_factory=list)
    stays: dict[str, dict[str, Any]] = field(default_factory=dict)
    stay_closes: dict[str, datetime] = field(default_factory=dict)
    distributions: list[dict[str, Any]] = field(default_factory=list)
    services: list[dict[str, Any]] = field(default_factory=list)
    operations: list[dict[str, Any]] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)
    tracing: list[dict[str, Any]] = field(default_factory=list)  # requests a registration opens (tracing_auto)


def _changes_by_event(p: _Pending, touched: list[str]) -> dict[str, dict[str, list[str]]]:
    """The ids this flush writes that the needs engine reads, per event and kind: the outbox row carries
    them so the worker rereads just these rows (shared/services/live_inputs.py; shelters it reads whole
    every time). A closed stay's event is not at hand: its id goes to every event of the batch (a reread
    by id and event finds it in one)."""
    out: dict[str, dict[str, list[str]]] = {eid: {} for eid in touched}
    for kind, rows in (("person", p.persons), ("stay", p.stays.values()), ("distribution", p.distributions),
                       ("service", p.services)):
        for row in rows:
            out.setdefault(row["event_id"], {}).setdefault(kind, []).append(row["id"])
    if p.stay_closes:
        for kinds in out.values():
            kinds.setdefault("stay", []).extend(p.stay_closes)
    return out


# The table each kind of create inserts its row into (check_out inserts none).
CREATED_TABLE = {"household": "households", "shelter": "shelters", "person": "persons", "check_in": "stays",
                 "distribution": "distributions", "service": "services", "tracing": "tracing_requests"}

# One answer whenever a create's id is taken and the create is not a replay of the same content:
# by another record of this event, or of another event, with or without a replay record. The caller
# learns nothing about events they may not see (ids are client-made UUIDs: a clash is a client's
# bug or a probe), and the field app knows to give the record a new id.
ID_TAKEN = "id: sudah dipakai untuk data lain; buat id baru (id already used for other data: make a new one)"

# The answer to a household record not stored because every member in the batch was already registered.
EMPTY_HOUSEHOLD = ("keluarga tidak dibuat: semua anggotanya sudah terdaftar di kejadian ini (household not "
                   "created: every member is already registered in this event)")

OP_OBJECT_TYPE = {
    "household": "household", "person": "person", "shelter": "shelter", "check_in": "stay",
    "check_out": "stay", "distribution": "distribution", "service": "service", "tracing": "tracing_request",
    **STOCK_RECORD_TYPES,  # receipts, dispatches, adjustments, requests (shared/services/stock_records.py)
}


class FieldWriter:
    """Applies commands inside one unit of work. Use once per transaction."""

    def __init__(self, uow: UnitOfWork, actor: Actor) -> None:
        self.uow = uow
        self.session: Session = uow.session
        self.actor = actor
        self.now = utcnow()
        self.events: dict[str, _EventState] = {}
        self.pending = _Pending()
        self.ops: dict[tuple[str, str], dict[str, Any]] = {}
        self.households: dict[str, str] = {}
        self.shelters: dict[str, tuple[str, datetime | None, str]] = {}  # id -> event, closed_at, kelurahan
        self.persons: dict[str, str] = {}
        self.open_stays: dict[str, _OpenStay | None] = {}
        self.niks: dict[tuple[str, str], str] = {}
        self.taken: set[tuple[str, str]] = set()  # (table, id) rows that existed before this batch
        self.kept_households: set[str] = set()  # never dropped as empty (named by records refused earlier)
        self.aliases: dict[str, str] = {}  # merged person id -> survivor (shared/services/merge.py)
        self.extension = StockRecords()  # the stock records' handlers and staged rows
        self._dates: dict[datetime, date] = {}  # _local_date's memory

    # ---- public ----

    def apply(self, commands: Sequence[Command]) -> list[Outcome]:
        """Apply the commands in order and stage their rows; `flush()` stores them."""
        self._prefetch(commands)
        outcomes: list[Outcome] = []
        for cmd in commands:
            try:
                outcomes.append(self._apply_one(cmd))
            except DomainError as err:
                outcomes.append(Outcome(error=err))
        self._drop_households_of_existing_persons(commands, outcomes)
        self.flush()
        for cmd, outcome in zip(commands, outcomes, strict=True):
            if outcome.error is None and outcome.data_seq is None:  # a replay is visible at the current seq
                outcome.data_seq = self.events[cmd.event_id].data_seq
        return outcomes

    def _drop_households_of_existing_persons(self, commands: Sequence[Command], outcomes: list[Outcome]) -> None:
        """A household created in this batch whose every member record met a NIK already registered is
        not stored: an empty family would otherwise stay behind (issue 11). Its record is answered
        `conflict` and its id stays free, so the phone may send it again with members later. A
        household that any other record of the batch stored something against is kept."""
        created = {o.object_id: i for i, (c, o) in enumerate(zip(commands, outcomes, strict=True))
                   if c.type == "household" and o.status == "created" and o.error is None}
        if not created:
            return
        members_existing: set[str] = set()
        used: set[str] = set()
        for c, o in zip(commands, outcomes, strict=True):
            hid = c.data.__dict__.get("household_id")
            if hid not in created:
                continue
            if c.type == "person" and isinstance(o.error, ConflictWithExisting):
                members_existing.add(hid)
            elif o.error is None:
                used.add(hid)
        for hid in members_existing - used - self.kept_households:
            index = created[hid]
            self.pending.households = [h for h in self.pending.households if h["id"] != hid]
            self.pending.operations = [op for op in self.pending.operations
                                       if not (op["kind"] == "household" and op["object_id"] == hid)]
            self.pending.audit = [a for a in self.pending.audit
                                  if not (a["object_type"] == "household" and a["object_id"] == hid)]
            self.ops.pop(("household", commands[index].data.__dict__.get("id") or ""), None)
            del self.households[hid]
            outcomes[index] = Outcome(error=Conflict(EMPTY_HOUSEHOLD))  # its data_seq stays taken: a gap is harmless

    def flush(self) -> None:
        """Store every staged row set-based, in foreign-key order, and bump the events' data_seq."""
        p, s = self.pending, self.session
        bookkeeping.insert_rows(s, Household, p.households)
        bookkeeping.insert_rows(s, Shelter, p.shelters)
        bookkeeping.insert_rows(s, Person, p.persons)
        queue_person_keys(s, p.persons)
        bookkeeping.insert_rows(s, TracingRequest, p.tracing)
        people_repo.close_stays(s, p.stay_closes)
        bookkeeping.insert_rows(s, Stay, list(p.stays.values()))
        bookkeeping.insert_rows(s, Distribution, p.distributions)
        delivery_totals.add(s, p.distributions, self.uow.tz, {
            eid: (st.service_item("sandang"), st.service_item("permakanan")) for eid, st in self.events.items()})
        bookkeeping.insert_rows(s, Service, p.services)
        self.extension.flush(self)
        bookkeeping.insert_rows(s, ClientOperation, p.operations)
        bookkeeping.audit(s, p.audit)
        outbox = []
        changes = _changes_by_event(p, [eid for eid, st in self.events.items() if st.touched])
        for state in self.events.values():
            if state.touched:
                event_repo.set_data_seq(s, state.event.id, state.data_seq)
                state.event.data_seq = state.data_seq
                outbox.append(bookkeeping.outbox_row(state.event.id, state.data_seq, "field_write", "event",
                                                     state.event.id, changes.get(state.event.id, {})))
                self.uow.event_changed(state.event.id)
        bookkeeping.insert_rows(s, Outbox, outbox)
        self.pending = _Pending()

    # ---- loading ----

    def _prefetch(self, commands: Sequence[Command]) -> None:
        s = self.session
        event_ids = {c.event_id for c in commands}
        locked = event_repo.lock_event_rows(s, event_ids)
        members = member_event_ids(s, self.actor.id, locked) if self.actor.is_relawan else set()
        for eid, ev in locked.items():
            body = ref_repo.profile_body(s, ev.standard_code, ev.standard_version)
            self.events[eid] = _EventState(
                event=ev, writable=can_write_event(self.actor, eid in members),
                visible=can_see_event(self.actor, eid in members), data_seq=ev.data_seq,
                profile_items={i["code"]: i for i in body.get("items", [])})
        keys: list[tuple[str, str]] = []
        hh: set[str] = set()
        sh: set[str] = set()
        pp: set[str] = set()
        niks: set[str] = set()
        new_rows: dict[str, set[str]] = {"stays": set(), "distributions": set(), "services": set(),
                                         "tracing_requests": set()}
        # the ids of the rows creates would insert; households, shelters, persons ride on the reference lookups
        created_ids = {"households": hh, "shelters": sh, "persons": pp, **new_rows}
        for c in commands:
            d = c.data.__dict__  # the validated fields (getattr of an absent field goes through pydantic's slow path)
            client_id = d.get("id")
            if client_id:
                keys.append((c.type, client_id))
                if c.type in CREATED_TABLE:
                    created_ids[CREATED_TABLE[c.type]].add(client_id)
                if c.type == "person" and (d["shelter_id"] or d["mandiri"]):
                    new_rows["stays"].add(first_stay_id(client_id))
            for bucket, ref in ((hh, d.get("household_id")), (sh, d.get("shelter_id")), (pp, d.get("person_id")),
                                (pp, c.person_id)):
                if ref:
                    bucket.add(ref)
            if c.type == "person" and d["nik"]:
                niks.add(d["nik"])
        self.ops = bookkeeping.operations_by_key(s, keys)
        self.aliases = people_repo.merged_aliases(s, pp) if pp else {}
        pp.update(self.aliases.values())
        self.households = people_repo.household_events(s, hh)
        self.shelters = people_repo.shelters_by_id(s, sh)
        self.persons = people_repo.person_events(s, pp)
        stays = people_repo.open_stays(s, pp, self.now)
        self.open_stays = {pid: _OpenStay(*row) for pid, row in stays.items()}
        self.niks = people_repo.persons_by_nik(s, event_ids, niks) if niks else {}
        self.taken = {("households", i) for i in self.households} | {("shelters", i) for i in self.shelters} | {
            ("persons", i) for i in self.persons}
        for table, ids in new_rows.items():
            if ids:
                self.taken.update((table, i) for i in people_repo.existing_ids(s, table, ids))
        self.extension.prefetch(self, commands)

    # ---- one record ----

    def _apply_one(self, cmd: Command) -> Outcome:
        state = self.events.get(cmd.event_id)
        if state is None or not state.visible:
            raise NotFound("kejadian tidak ditemukan (event not found)")
        if not state.writable:
            raise Forbidden("tidak berhak menulis di kejadian ini (you may not write in this event)")
        data = cmd.data
        client_id = data.__dict__.get("id")
        payload = cmd.payload
        if payload is None:
            payload = fingerprint(data, TIME_DEFAULTS, extra={"person_id": cmd.person_id} if cmd.person_id else None)
        if client_id:
            replay = self._replay(cmd, client_id, payload)
            if replay is not None:
                return replay
            self._id_free(cmd, client_id)
        if state.event.status == "selesai":
            raise Conflict("kejadian sudah selesai dan tidak menerima data baru (the event is closed: selesai)")
        if cmd.type in STOCK_RECORD_TYPES:
            return self.extension.apply(self, state, cmd, data, client_id, payload)
        handler = getattr(self, f"_{cmd.type}")
        return handler(state, cmd, data, client_id, payload)

    def _replay(self, cmd: Command, client_id: str, payload: dict[str, Any]) -> Outcome | None:
        op = self.ops.get((cmd.type, client_id))
        if op is None:
            return None
        if op["event_id"] != cmd.event_id or not same_content(op["payload"], payload, TIME_DEFAULTS):
            raise Conflict(ID_TAKEN)
        return Outcome(status="duplicate", object_type=OP_OBJECT_TYPE[cmd.type], object_id=op["object_id"])

    def _id_free(self, cmd: Command, client_id: str) -> None:
        """A create whose id is taken by a row without a replay record: 409, never the database's key error."""
        table = CREATED_TABLE.get(cmd.type)
        if table is not None and (table, client_id) in self.taken:
            raise Conflict(ID_TAKEN)
        # Two kinds of record insert stays: a check-in under its own id, a registration with a shelter
        # under an id derived from the person's. Either may meet the other, stored or earlier in this batch.
        stay_id = client_id if cmd.type == "check_in" else (
            first_stay_id(client_id) if cmd.type == "person" and (cmd.data.shelter_id or cmd.data.mandiri) else None)
        if stay_id is not None and (("stays", stay_id) in self.taken or stay_id in self.pending.stays):
            raise Conflict(ID_TAKEN)

    def _record(self, state: _EventState, cmd_type: str, client_id: str | None, payload: dict[str, Any],
                object_id: str, action: str, *, status: Status = "created", bump: bool = True,
                row: dict[str, Any] | None = None) -> Outcome:
        """Stage the bookkeeping of one applied record: idempotency key, audit row, data_seq."""
        object_type = OP_OBJECT_TYPE[cmd_type]
        if client_id:
            self.ops[(cmd_type, client_id)] = {"event_id": state.event.id, "payload": payload, "object_id": object_id}
            self.pending.operations.append({"kind": cmd_type, "id": client_id, "event_id": state.event.id,
                                            "payload": payload, "object_type": object_type,
                                            "object_id": object_id, "created_at": self.now})
        if not bump:
            return Outcome(status=status, object_type=object_type, object_id=object_id, event=state.event)
        self.pending.audit.append(bookkeeping.audit_row(self.actor, action, object_type, object_id, state.event.id,
                                                        self.now))
        state.data_seq += 1
        state.touched = True
        return Outcome(status=status, object_type=object_type, object_id=object_id, data_seq=state.data_seq,
                       row=row, event=state.event)

    # ---- reference checks ----

    def _household_in(self, state: _EventState, household_id: str | None, field_name: str = "household_id") -> None:
        if household_id is not None and self.households.get(household_id) != state.event.id:
            raise Invalid(field_name, "keluarga tidak ditemukan di kejadian ini (household not in this event)")

    def _survivor(self, person_id: Any) -> Any:
        """A record naming a merged person lands on its survivor (a phone that still holds the old id)."""
        return self.aliases.get(person_id, person_id) if person_id is not None else None

    def _person_in(self, state: _EventState, person_id: str | None, field_name: str = "person_id") -> None:
        if person_id is not None and self.persons.get(person_id) != state.event.id:
            raise Invalid(field_name, "orang tidak ditemukan di kejadian ini (person not in this event)")

    def _shelter_open(self, state: _EventState, shelter_id: str | None, at: datetime) -> None:
        if shelter_id is None:
            return
        found = self.shelters.get(shelter_id)
        if found is None or found[0] != state.event.id:
            raise Invalid("shelter_id", "tempat penampungan tidak ditemukan di kejadian ini (shelter not in this event)")
        if found[1] is not None and found[1] <= at:
            raise Conflict("tempat penampungan sudah ditutup (the shelter is closed: no check-ins)")

    def _kelurahan(self, code: str | None) -> None:
        if code is not None and code not in ref_repo.kelurahan_codes(self.session):
            raise Invalid("kelurahan_code", f"kode kelurahan {code} tidak dikenal (unknown kelurahan code)")

    def _open_stay(self, state: _EventState, person_id: str, shelter_id: str | None, at: datetime, stay_id: str,
                   kelurahan_code: str | None, address: str | None = None) -> None:
        """Stage a stay: in `shelter_id`, or mandiri (no shelter) in `kelurahan_code` at `address`."""
        self.pending.stays[stay_id] = {"id": stay_id, "event_id": state.event.id, "person_id": person_id,
                                       "shelter_id": shelter_id, "kind": "shelter" if shelter_id else "mandiri",
                                       "kelurahan_code": kelurahan_code, "address": address,
                                       "check_in": at, "check_out": None,
                                       "created_by": self.actor.id, "created_at": self.now}
        self.open_stays[person_id] = _OpenStay(stay_id, shelter_id, at, kelurahan_code, address)

    def _place(self, state: _EventState, shelter_id: str | None, mandiri_kelurahan: str | None,
               at: datetime) -> str | None:
        """Check where a stay opens (an open shelter of the event, or a known kelurahan for a mandiri
        stay) and answer the stay's kelurahan_code."""
        if shelter_id is None:
            self._kelurahan(mandiri_kelurahan)
            return mandiri_kelurahan
        self._shelter_open(state, shelter_id, at)
        return self.shelters[shelter_id][2]

    def _close_stay(self, stay: _OpenStay, person_id: str, at: datetime) -> None:
        if stay.stay_id in self.pending.stays:
            self.pending.stays[stay.stay_id]["check_out"] = at
        else:
            self.pending.stay_closes[stay.stay_id] = at
        self.open_stays[person_id] = None

    def _local_date(self, at: datetime) -> date:
        """The local calendar date of an instant, remembered: a batch asks it for the same event start
        several times per record (birth date, NIK agreement, child flags), and astimezone is not free."""
        day = self._dates.get(at)
        if day is None:
            day = self._dates[at] = at.astimezone(self.uow.tz).date()
        return day

    def _delivered_at(self, state: _EventState, sent: datetime | None) -> datetime:
        """When a distribution or service happened (now unless sent), if plausible for its event."""
        at = sent or self.now
        problem = delivered_at_problem(at, state.event.started_at, state.event.ended_at)
        if problem:
            raise Invalid("delivered_at", problem)
        return at

    # ---- handlers (checks first, then staging) ----

    def _household(self, state: _EventState, cmd: Command, d: Any, client_id: str | None, payload: dict[str, Any]) -> Outcome:
        self._kelurahan(d.kelurahan_code)
        hid = client_id or str(uuid.uuid4())
        row = {"id": hid, "event_id": state.event.id, "head_name": d.head_name, "kk_number": d.kk_number,
               "kelurahan_code": d.kelurahan_code, "address": d.address, "created_by": self.actor.id,
               "created_at": self.now}
        self.pending.households.append(row)
        self.households[hid] = state.event.id
        return self._record(state, cmd.type, client_id, payload, hid, "household.create", row=row)

    def _shelter(self, state: _EventState, cmd: Command, d: Any, client_id: str | None, payload: dict[str, Any]) -> Outcome:
        self._kelurahan(d.kelurahan_code)
        sid = client_id or str(uuid.uuid4())
        row = d.model_dump(exclude={"id"})
        row.update(id=sid, event_id=state.event.id, opened_at=d.opened_at or self.now, closed_at=None, version=1,
                   created_by=self.actor.id, created_at=self.now)
        self.pending.shelters.append(row)
        self.shelters[sid] = (state.event.id, None, d.kelurahan_code)
        return self._record(state, cmd.type, client_id, payload, sid, "shelter.create", row=row)

    def _person(self, state: _EventState, cmd: Command, d: Any, client_id: str | None, payload: dict[str, Any]) -> Outcome:
        at = d.registered_at or self.now
        if d.birth_date is not None:
            ended = state.event.ended_at
            problem = birth_date_event_problem(d.birth_date, self._local_date(state.event.started_at),
                                               self._local_date(at), self._local_date(ended) if ended else None)
            if problem:
                raise Invalid("birth_date", problem)
        self._household_in(state, d.household_id)
        mandiri = d.mandiri
        kelurahan = self._place(state, d.shelter_id, mandiri.kelurahan_code if mandiri else None, at) \
            if d.shelter_id or mandiri else None
        if d.nik and (state.event.id, d.nik) in self.niks:
            raise nik_taken(self.actor, self._existing_person(self.niks[(state.event.id, d.nik)]))
        mismatch = self._nik_mismatch(state, d) if d.nik else False  # no NIK: nothing to disagree with
        if d.vulnerabilities:
            problem = child_flag_problem(d.vulnerabilities, d.birth_date, d.age_years,
                                         self._local_date(state.event.started_at))
            if problem:
                raise Invalid("vulnerabilities", problem)
        pid = client_id or str(uuid.uuid4())
        row = {"id": pid, "event_id": state.event.id, "household_id": d.household_id, "full_name": d.full_name,
               "sex": d.sex, "birth_date": d.birth_date, "age_years": d.age_years, "nik": d.nik,
               "vulnerabilities": d.vulnerabilities, "needs_psychosocial": d.needs_psychosocial,
               "condition": d.condition, "nik_mismatch_confirmed": mismatch, "registered_at": at, "version": 1,
               "created_by": self.actor.id, "created_at": self.now}
        self.pending.persons.append(row)
        if row["condition"] == "hilang" or row["vulnerabilities"]:
            requests, audit = tracing_auto.rows_for_new_person(row, self.actor, self.now)
            self.pending.tracing += requests
            self.pending.audit += audit
        self.persons[pid] = state.event.id
        self.open_stays[pid] = None
        if d.nik:
            self.niks[(state.event.id, d.nik)] = pid
        if d.shelter_id or mandiri:
            self._open_stay(state, pid, d.shelter_id, at, first_stay_id(pid), kelurahan,
                            mandiri.address if mandiri else None)
        return self._record(state, cmd.type, client_id, payload, pid, "person.create",
                            row={**row, "shelter_id": d.shelter_id,
                                 "stay_kind": "mandiri" if mandiri else ("shelter" if d.shelter_id else None)})

    def _tracing(self, state: _EventState, cmd: Command, d: Any, client_id: str | None, payload: dict[str, Any]) -> Outcome:
        """A tracing request filed on a phone (docs/api.md, "Tracing"): checked as POST /tracing checks it;
        matched later by the worker (the event's recompute queues the pass)."""
        if d.event_id is not None and d.event_id != state.event.id:
            raise Invalid("event_id", "event_id berbeda dengan kejadian catatan (event_id differs from the record's event)")
        if d.kind == "orang" and not d.full_name and not d.nik:
            raise Invalid("full_name", "isi nama atau NIK orang yang dicari (give the sought person's name or NIK)")
        self._kelurahan(d.kelurahan_code)
        for field_name, ref in (("subject_person_id", d.subject_person_id), (("reporter", "person_id"), d.reporter.person_id)):
            if ref is not None and people_repo.get_person(self.session, ref) is None:
                raise Invalid(field_name, "orang tidak ditemukan (person not found)")
        if d.reporter.household_id is not None and people_repo.get_household(self.session, d.reporter.household_id) is None:
            raise Invalid(("reporter", "household_id"), "keluarga pelapor tidak ditemukan (reporter household not found)")
        row = tracing_auto.row_from_create(d, state.event.id, self.actor, self.now, client_id)
        self.pending.tracing.append(row)
        return self._record(state, cmd.type, client_id, payload, row["id"], "tracing.create")

    def _nik_mismatch(self, state: _EventState, d: Any) -> bool:
        """Whether the NIK disagrees with the birth date, age or sex: 422 naming the field unless the
        record confirms it (`nik_mismatch_confirmed`), which is then kept on the person."""
        problem = nik_mismatch(d.nik, d.sex, d.birth_date, d.age_years, self._local_date(state.event.started_at))
        if problem is None:
            return False
        if not d.nik_mismatch_confirmed:
            raise Invalid(*problem)
        return True

    def _existing_person(self, person_id: str) -> dict[str, Any] | None:
        """The person a NIK conflict names: staged earlier in this batch, or stored."""
        staged = next((p for p in self.pending.persons if p["id"] == person_id), None)
        if staged is None:
            return nik_conflict_repo.existing_person(self.session, person_id, self.now)
        head = next((h["head_name"] for h in self.pending.households if h["id"] == staged["household_id"]), None)
        if head is None and staged["household_id"]:
            head = nik_conflict_repo.household_head(self.session, staged["household_id"])
        stay = self.open_stays.get(person_id)
        shelter_name = None
        if stay is not None:
            shelter_name = next((x["name"] for x in self.pending.shelters if x["id"] == stay.shelter_id), None) \
                or nik_conflict_repo.shelter_name(self.session, stay.shelter_id)
        return {"person_id": person_id, "full_name": staged["full_name"], "event_id": staged["event_id"],
                "event_name": nik_conflict_repo.event_name(self.session, staged["event_id"]),
                "household_id": staged["household_id"], "household_head_name": head,
                "shelter_id": stay.shelter_id if stay else None, "shelter_name": shelter_name}

    def _check_in(self, state: _EventState, cmd: Command, d: Any, client_id: str | None, payload: dict[str, Any]) -> Outcome:
        person_id = self._survivor(cmd.person_id or d.person_id)
        at = d.at or self.now
        self._person_in(state, person_id)
        kelurahan = self._place(state, d.shelter_id, d.kelurahan_code, at)
        current = self.open_stays.get(person_id)
        if current is not None and current.same_place(d.shelter_id, d.kelurahan_code, d.address):
            return self._record(state, cmd.type, client_id, payload, current.stay_id, "stay.check_in",
                                status="unchanged", bump=False)
        if current is not None and at < current.check_in:
            raise Invalid("at", "waktu pindah sebelum check-in terakhir (transfer time is before the current check-in)")
        if current is not None:
            self._close_stay(current, person_id, at)
        stay_id = client_id or str(uuid.uuid4())
        self._open_stay(state, person_id, d.shelter_id, at, stay_id, kelurahan, d.address)
        return self._record(state, cmd.type, client_id, payload, stay_id,
                            "stay.transfer" if current is not None else "stay.check_in",
                            row=dict(self.pending.stays[stay_id]))

    def _check_out(self, state: _EventState, cmd: Command, d: Any, client_id: str | None, payload: dict[str, Any]) -> Outcome:
        person_id = self._survivor(cmd.person_id or d.person_id)
        at = d.at or self.now
        self._person_in(state, person_id)
        current = self.open_stays.get(person_id)
        if current is None:
            raise Conflict("orang ini tidak sedang berada di tempat penampungan (no open stay to check out)")
        if at < current.check_in:
            raise Invalid("at", "waktu keluar sebelum waktu masuk (check-out is before the check-in)")
        self._close_stay(current, person_id, at)
        row = {"id": current.stay_id, "event_id": state.event.id, "person_id": person_id,
               "shelter_id": current.shelter_id, "kind": "shelter" if current.shelter_id else "mandiri",
               "kelurahan_code": current.kelurahan_code, "address": current.address,
               "check_in": current.check_in, "check_out": at}
        return self._record(state, cmd.type, client_id, payload, current.stay_id, "stay.check_out", row=row)

    def _distribution(self, state: _EventState, cmd: Command, d: Any, client_id: str | None, payload: dict[str, Any]) -> Outcome:
        delivered_at = self._delivered_at(state, d.delivered_at)
        if d.item_code not in ref_repo.item_units(self.session):
            raise Invalid("item_code", f"item {d.item_code} tidak ada di katalog (unknown item code)")
        rule = state.profile_items.get(d.item_code)
        if (rule is not None and rule.get("basis") == "per_person_day" and d.shelter_id is None
                and d.person_id is None and d.household_id is None):
            # docs/rules.md, "Mandiri stays": to a household or person (no shelter) for those staying outside
            raise Invalid("shelter_id", f"item harian {d.item_code} dicatat per tempat penampungan, atau per "
                                        "keluarga/orang yang mengungsi mandiri: isi shelter_id, household_id atau "
                                        "person_id (a per_person_day item needs shelter_id, or household_id / "
                                        "person_id for mandiri stays)")
        if d.shelter_id is not None:
            found = self.shelters.get(d.shelter_id)
            if found is None or found[0] != state.event.id:
                raise Invalid("shelter_id", "tempat penampungan tidak ditemukan di kejadian ini (shelter not in this event)")
        person_id = self._survivor(d.person_id)
        self._person_in(state, person_id)
        self._household_in(state, d.household_id)
        if d.source_location_id is not None:
            self.extension.check_location(self, state, d.source_location_id, "source_location_id")
        did = client_id or str(uuid.uuid4())
        row = {"id": did, "event_id": state.event.id, "item_code": d.item_code, "quantity": d.quantity,
               "delivered_at": delivered_at, "shelter_id": d.shelter_id, "person_id": person_id,
               "household_id": d.household_id, "notes": d.notes, "source_location_id": d.source_location_id,
               "created_by": self.actor.id, "created_at": self.now}
        self.pending.distributions.append(row)
        return self._record(state, cmd.type, client_id, payload, did, "distribution.create", row=row)

    def _service(self, state: _EventState, cmd: Command, d: Any, client_id: str | None, payload: dict[str, Any]) -> Outcome:
        delivered_at = self._delivered_at(state, d.delivered_at)
        person_id = self._survivor(d.person_id)
        self._person_in(state, person_id)
        sid = client_id or str(uuid.uuid4())
        row = {"id": sid, "event_id": state.event.id, "person_id": person_id, "kind": d.kind,
               "delivered_at": delivered_at, "notes": d.notes, "created_by": self.actor.id,
               "created_at": self.now}
        self.pending.services.append(row)
        return self._record(state, cmd.type, client_id, payload, sid, "service.create", row=row)
