"""The stock records of the write path: receipts, dispatches, receiving a dispatch, adjustments and
requests, applied by the same engine as the field records (shared/services/field_records.py), so the
single endpoints and `POST /sync` give one answer to one record, ids are idempotent and every write
bumps the event's `data_seq` with an outbox row.

Every stock movement becomes ledger lines (table stock_ledger, append-only) whose ids derive from the
record's client id, so a replayed record finds the lines it made and never makes them twice.
Quantities are converted to the item's catalogue unit by the unit library (shared/stock/units.py);
a kit (paket sembako) received or moved is recorded as its components.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from shared.domain.plausibility import delivered_at_problem
from shared.errors import Conflict, Invalid
from shared.models import StockDispatch, StockLedgerLine, StockReceipt, StockRequest
from shared.repositories import reference as ref_repo
from shared.repositories import stock as stock_repo
from shared.repositories import stock_totals
from shared.stock.ledger import Position, fefo_split, positions
from shared.stock.units import UnitProblem, to_catalogue_unit

if TYPE_CHECKING:
    from shared.services.field_records import FieldWriter, Outcome, _EventState

STOCK_RECORD_TYPES = {"receipt": "receipt", "dispatch": "dispatch", "dispatch_receive": "dispatch",
                      "stock_adjustment": "stock_adjustment", "stock_request": "stock_request"}
_TABLE = {"receipt": "stock_receipts", "dispatch": "stock_dispatches", "stock_adjustment": "stock_ledger",
          "stock_request": "stock_requests"}
CASH_ITEM = "uang_tunai"
ID_TAKEN = "id: sudah dipakai untuk data lain; buat id baru (id already used for other data: make a new one)"


def _invalid(path: str, message: str) -> Invalid:
    """A 422 naming a nested field (`lines.0.unit` → loc body, lines, 0, unit)."""
    return Invalid(tuple(int(p) if p.isdigit() else p for p in path.split(".")), message)


def line_id(doc_id: str, tag: str, index: int) -> str:
    """The id of a document's n-th ledger line: derived, so a replay finds the same line."""
    h = hashlib.md5(f"posko-ledger:{doc_id}:{tag}:{index}".encode(), usedforsecurity=False).hexdigest()
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:32]}"


def dispatch_id_for(action_id: str, from_location_id: str) -> str:
    """The id of the dispatch a suggestion action makes from one gudang (the action's replay makes the same)."""
    return str(uuid.uuid5(uuid.UUID(action_id), f"dispatch-from:{from_location_id}"))


class StockRecords:
    """The stock part of one FieldWriter (one transaction)."""

    def __init__(self) -> None:
        self.warehouses: set[str] = set()
        self.taken: set[tuple[str, str]] = set()
        self.dispatches: dict[str, dict[str, Any]] = {}  # id -> row (stored or staged in this batch)
        self.receipts: list[dict[str, Any]] = []
        self.new_dispatches: list[dict[str, Any]] = []
        self.receives: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.lines: list[dict[str, Any]] = []

    # ---- loading ----

    def prefetch(self, w: FieldWriter, commands: Any) -> None:
        """Load the locations, dispatches and taken ids the stock records of the batch name."""
        locations: set[str] = set()
        dispatch_ids: set[str] = set()
        ids: dict[str, set[str]] = {}
        for c in commands:
            d = c.data.__dict__
            for name in ("location_id", "from_location_id", "to_location_id", "source_location_id"):
                if d.get(name):
                    locations.add(d[name])
            if c.type == "stock_request":
                locations.add(d["shelter_id"])
            if c.type == "dispatch_receive":
                dispatch_ids.add(d["dispatch_id"])
            if c.type in _TABLE and d.get("id"):
                ids.setdefault(_TABLE[c.type], set()).add(d["id"])
        if not locations and not dispatch_ids and not ids:
            return
        s = w.session
        self.warehouses = stock_repo.warehouse_ids(s, locations)
        from shared.repositories import people as people_repo  # the shelters among the locations
        missing = locations - self.warehouses - set(w.shelters)
        if missing:
            w.shelters.update(people_repo.shelters_by_id(s, missing))
        for d in stock_repo.dispatches_by_id(s, dispatch_ids).values():
            self.dispatches[d.id] = d.model_dump()
        for table, values in ids.items():
            found = {r[0] for r in stock_repo.select_in(s, f"SELECT id FROM {table} WHERE id {{values}}", values)}
            self.taken.update((table, i) for i in found)

    # ---- checks shared by the records ----

    def check_location(self, w: FieldWriter, state: _EventState, location_id: str, field: str) -> str:
        """A gudang, or a shelter of this event: answers its kind."""
        if location_id in self.warehouses:
            return "gudang"
        found = w.shelters.get(location_id)
        if found is not None and found[0] == state.event.id:
            return "shelter"
        raise Invalid(field, "lokasi stok tidak ditemukan: bukan gudang atau tempat penampungan kejadian ini "
                             "(not a warehouse or a shelter of this event)")

    def _when(self, w: FieldWriter, state: _EventState, sent: datetime | None, field: str) -> datetime:
        at = sent or w.now
        problem = delivered_at_problem(at, state.event.started_at, state.event.ended_at)
        if problem:
            raise Invalid(field, problem)
        return at

    def _quantity(self, w: FieldWriter, item_code: str, quantity: float, unit: str | None, loc: str) -> Decimal:
        units = ref_repo.item_units(w.session)
        if item_code not in units:
            raise _invalid(f"{loc}.item_code", f"item {item_code} tidak ada di katalog (unknown item code)")
        try:
            return to_catalogue_unit(quantity, unit, units[item_code], stock_repo.packagings(w.session).get(item_code, {}))
        except UnitProblem as err:
            raise _invalid(f"{loc}.unit", str(err)) from err

    def _components(self, w: FieldWriter, item_code: str, qty: Decimal) -> list[tuple[str, Decimal]]:
        """A kit as its components (in their catalogue units); any other item as itself."""
        kit = stock_repo.kits(w.session).get(item_code)
        if not kit:
            return [(item_code, qty)]
        units = ref_repo.item_units(w.session)
        packs = stock_repo.packagings(w.session)
        return [(code, to_catalogue_unit(per, unit, units[code], packs.get(code, {})) * qty) for code, per, unit in kit]

    def _fresh_id(self, kind: str, client_id: str | None) -> str:
        if client_id and (_TABLE[kind], client_id) in self.taken:
            raise Conflict(ID_TAKEN)
        return client_id or str(uuid.uuid4())

    def _line(self, w: FieldWriter, state: _EventState, *, doc_type: str, doc_id: str, index: int, location_id: str,
              item_code: str, quantity: Decimal, kind: str, at: datetime, expiry: date | None = None,
              value: float | None = None, reason: str | None = None, line_key: str | None = None) -> None:
        self.lines.append({"id": line_key or line_id(doc_id, doc_type, index), "event_id": state.event.id,
                           "location_id": location_id, "item_code": item_code, "quantity": float(quantity),
                           "kind": kind, "at": at, "expiry_date": expiry, "value_rupiah": value, "doc_type": doc_type,
                           "doc_id": doc_id, "reason": reason, "created_by": w.actor.id, "created_at": w.now})

    # ---- the records ----

    def apply(self, w: FieldWriter, state: _EventState, cmd: Any, d: Any, client_id: str | None,
              payload: dict[str, Any]) -> Outcome:
        return getattr(self, f"_{cmd.type}")(w, state, cmd, d, client_id, payload)  # type: ignore[no-any-return]

    def _receipt(self, w: FieldWriter, state: _EventState, cmd: Any, d: Any, client_id: str | None,
                 payload: dict[str, Any]) -> Outcome:
        at = self._when(w, state, d.received_at, "received_at")
        self.check_location(w, state, d.location_id, "location_id")
        lines = []
        staged: list[tuple[str, Decimal, date | None, float | None]] = []
        for i, line in enumerate(d.lines):
            if line.item_code == CASH_ITEM:
                raise _invalid(f"lines.{i}.item_code", "uang tunai dicatat di cash_rupiah, bukan sebagai barang "
                                                      "(cash is money, not stock: use cash_rupiah)")
            qty = self._quantity(w, line.item_code, line.quantity, line.unit, f"lines.{i}")
            parts = self._components(w, line.item_code, qty)
            for j, (code, part) in enumerate(parts):
                staged.append((code, part, line.expiry_date, line.value_rupiah if len(parts) == 1 and j == 0 else None))
            lines.append({"item_code": line.item_code, "quantity": line.quantity, "unit": line.unit,
                          "quantity_base": float(qty), "expiry_date": line.expiry_date.isoformat() if line.expiry_date
                          else None, "value_rupiah": line.value_rupiah})
        rid = self._fresh_id("receipt", client_id)
        for n, (code, qty, expiry, value) in enumerate(staged):
            self._line(w, state, doc_type="receipt", doc_id=rid, index=n, location_id=d.location_id, item_code=code,
                       quantity=qty, kind="penerimaan", at=at, expiry=expiry, value=value)
        row = {"id": rid, "event_id": state.event.id, "location_id": d.location_id, "donor_kind": d.donor_kind,
               "donor_name": d.donor_name, "reference_doc": d.reference_doc, "received_at": at, "lines": lines,
               "cash_rupiah": d.cash_rupiah, "notes": d.notes, "created_by": w.actor.id, "created_at": w.now}
        self.receipts.append(row)
        return w._record(state, cmd.type, client_id, payload, rid, "receipt.create", row=row)

    def lots_at(self, w: FieldWriter, state: _EventState, location_id: str, item_code: str) -> Position:
        """What a location holds of an item now: stored ledger and distributions plus this batch's staged rows."""
        s = w.session
        sums = stock_repo.ledger_sums(s, state.event.id, w.now, location_id=location_id, item_codes=[item_code])
        drawn = stock_repo.drawn(s, state.event.id, w.now, location_id=location_id, item_codes=[item_code])
        from shared.stock.ledger import LedgerSum
        for line in self.lines:
            if line["location_id"] == location_id and line["item_code"] == item_code and line["event_id"] == state.event.id:
                q = Decimal(repr(line["quantity"]))
                sums.append(LedgerSum(location_id, item_code, line["expiry_date"], max(q, Decimal(0)), max(-q, Decimal(0))))
        for dist in w.pending.distributions:
            source = dist.get("source_location_id") or dist["shelter_id"]
            if source == location_id and dist["item_code"] == item_code:
                key = (location_id, item_code)
                drawn[key] = drawn.get(key, Decimal(0)) + Decimal(repr(dist["quantity"]))
        return positions(sums, drawn).get((location_id, item_code), Position())

    def _dispatch(self, w: FieldWriter, state: _EventState, cmd: Any, d: Any, client_id: str | None,
                  payload: dict[str, Any]) -> Outcome:
        at = self._when(w, state, d.sent_at, "sent_at")
        self.check_location(w, state, d.from_location_id, "from_location_id")
        self.check_location(w, state, d.to_location_id, "to_location_id")
        if d.from_location_id == d.to_location_id:
            raise Invalid("to_location_id", "lokasi tujuan sama dengan lokasi asal (destination is the origin)")
        wanted: dict[str, Decimal] = {}
        for i, line in enumerate(d.lines):
            qty = self._quantity(w, line.item_code, line.quantity, line.unit, f"lines.{i}")
            if line.item_code == CASH_ITEM:
                raise _invalid(f"lines.{i}.item_code", "uang tunai bukan stok (cash is not stock)")
            for code, part in self._components(w, line.item_code, qty):
                wanted[code] = wanted.get(code, Decimal(0)) + part
        did = self._fresh_id("dispatch", client_id)
        lines: list[dict[str, Any]] = []
        for code, qty in wanted.items():
            for expiry, part in fefo_split(self.lots_at(w, state, d.from_location_id, code).lots, qty):
                lines.append({"item_code": code, "quantity": float(part),
                              "expiry_date": expiry.isoformat() if expiry else None})
        for n, line in enumerate(lines):
            self._line(w, state, doc_type="dispatch", doc_id=did, index=n, location_id=d.from_location_id,
                       item_code=line["item_code"], quantity=-Decimal(repr(line["quantity"])), kind="kirim", at=at,
                       expiry=date.fromisoformat(line["expiry_date"]) if line["expiry_date"] else None)
        row = {"id": did, "event_id": state.event.id, "from_location_id": d.from_location_id,
               "to_location_id": d.to_location_id, "sent_at": at, "lines": lines, "request_id": d.request_id,
               "vehicle": d.vehicle, "notes": d.notes, "received_at": None, "receive_id": None,
               "received_lines": None, "created_by": w.actor.id, "created_at": w.now}
        self.new_dispatches.append(row)
        self.dispatches[did] = row
        return w._record(state, cmd.type, client_id, payload, did, "dispatch.create", row=row)

    def _dispatch_receive(self, w: FieldWriter, state: _EventState, cmd: Any, d: Any, client_id: str | None,
                          payload: dict[str, Any]) -> Outcome:
        dispatch = self.dispatches.get(d.dispatch_id)
        if dispatch is None or dispatch["event_id"] != state.event.id:
            raise Invalid("dispatch_id", "pengiriman tidak ditemukan di kejadian ini (dispatch not in this event)")
        if dispatch["received_at"] is not None:
            raise Conflict("pengiriman ini sudah diterima (the dispatch was received already)")
        at = self._when(w, state, d.received_at, "received_at")
        if at < dispatch["sent_at"]:
            raise Invalid("received_at", "waktu terima sebelum waktu kirim (received before it was sent)")
        sent: dict[str, Decimal] = {}
        for line in dispatch["lines"]:
            sent[line["item_code"]] = sent.get(line["item_code"], Decimal(0)) + Decimal(repr(line["quantity"]))
        got = dict(sent)
        reasons: dict[str, str | None] = {}
        for i, line in enumerate(d.lines):
            if line.item_code not in sent:
                raise _invalid(f"lines.{i}.item_code", "barang ini tidak ada di pengiriman (item not in the dispatch)")
            qty = self._quantity(w, line.item_code, line.quantity, line.unit, f"lines.{i}")
            if qty != sent[line.item_code] and not line.reason:
                raise _invalid(f"lines.{i}.reason", "jumlah diterima berbeda dari yang dikirim: isi alasannya "
                                                   "(the quantity received differs from what was sent: give the reason)")
            got[line.item_code] = qty
            reasons[line.item_code] = line.reason
        receive_key = client_id or str(uuid.uuid4())
        n = 0
        received_lines = []
        for code, total in got.items():
            left = total
            lots = [ln for ln in dispatch["lines"] if ln["item_code"] == code]
            for k, ln in enumerate(lots):
                part = Decimal(repr(ln["quantity"]))
                take = left if k == len(lots) - 1 else min(part, left)  # the last lot takes any surplus
                left -= take
                if take != 0:
                    self._line(w, state, doc_type="receive", doc_id=dispatch["id"], index=n,
                               location_id=dispatch["to_location_id"], item_code=code, quantity=take, kind="terima",
                               at=at, expiry=date.fromisoformat(ln["expiry_date"]) if ln["expiry_date"] else None,
                               reason=reasons.get(code))
                    n += 1
            received_lines.append({"item_code": code, "sent": float(sent[code]), "received": float(total),
                                   "difference": float(total - sent[code]), "reason": reasons.get(code)})
        dispatch.update(received_at=at, receive_id=receive_key, received_lines=received_lines)
        self.receives.append({"id": dispatch["id"], "received_at": at, "receive_id": receive_key,
                              "received_lines": received_lines})
        return w._record(state, cmd.type, client_id, payload, dispatch["id"], "dispatch.receive", row=dict(dispatch))

    def _stock_adjustment(self, w: FieldWriter, state: _EventState, cmd: Any, d: Any, client_id: str | None,
                          payload: dict[str, Any]) -> Outcome:
        at = self._when(w, state, d.at, "at")
        self.check_location(w, state, d.location_id, "location_id")
        if d.item_code == CASH_ITEM:
            raise Invalid("item_code", "uang tunai bukan stok (cash is not stock)")
        sign = Decimal(1) if d.quantity > 0 else Decimal(-1)
        qty = self._quantity(w, d.item_code, abs(d.quantity), d.unit, "quantity") * sign
        aid = self._fresh_id("stock_adjustment", client_id)
        if stock_repo.kits(w.session).get(d.item_code):
            raise Invalid("item_code", "paket disesuaikan per isinya (adjust a kit's contents, not the kit)")
        self._line(w, state, doc_type="adjustment", doc_id=aid, index=0, location_id=d.location_id,
                   item_code=d.item_code, quantity=qty, kind="penyesuaian", at=at, expiry=d.expiry_date,
                   reason=f"{d.kind}: {d.reason}", line_key=aid)
        row = {"id": aid, "event_id": state.event.id, "location_id": d.location_id, "item_code": d.item_code,
               "quantity": float(qty), "kind": d.kind, "reason": f"{d.kind}: {d.reason}", "expiry_date": d.expiry_date,
               "at": at}
        return w._record(state, cmd.type, client_id, payload, aid, "stock.adjust", row=row)

    def _stock_request(self, w: FieldWriter, state: _EventState, cmd: Any, d: Any, client_id: str | None,
                       payload: dict[str, Any]) -> Outcome:
        at = self._when(w, state, d.requested_at, "requested_at")
        if self.check_location(w, state, d.shelter_id, "shelter_id") != "shelter":  # a gudang asks no one
            raise Invalid("shelter_id", "permintaan dibuat oleh tempat penampungan (a request comes from a shelter)")
        lines = []
        for i, line in enumerate(d.lines):
            qty = self._quantity(w, line.item_code, line.quantity, line.unit, f"lines.{i}")
            for code, part in self._components(w, line.item_code, qty):
                lines.append({"item_code": code, "quantity": float(part)})
        qid = self._fresh_id("stock_request", client_id)
        row = {"id": qid, "event_id": state.event.id, "shelter_id": d.shelter_id, "requested_at": at, "lines": lines,
               "notes": d.notes, "created_by": w.actor.id, "created_at": w.now}
        self.requests.append(row)
        return w._record(state, cmd.type, client_id, payload, qid, "request.create", row=row)

    # ---- storing ----

    def flush(self, w: FieldWriter) -> None:
        """Store the staged documents and ledger lines (after the distributions: same transaction)."""
        from shared.repositories import bookkeeping
        s = w.session
        bookkeeping.insert_rows(s, StockReceipt, self.receipts)
        bookkeeping.insert_rows(s, StockDispatch, self.new_dispatches)
        for r in self.receives:
            if not any(r["id"] == n["id"] for n in self.new_dispatches):
                stock_repo.mark_received(s, r["id"], r["received_at"], r["receive_id"], r["received_lines"])
        bookkeeping.insert_rows(s, StockRequest, self.requests)
        bookkeeping.insert_rows(s, StockLedgerLine, self.lines)
        stock_totals.add(s, self.lines)
        self.receipts, self.new_dispatches, self.receives, self.requests, self.lines = [], [], [], [], []
