"""Builders of the stock tests: a gudang, receipts, dispatches, and reading stock back."""

from __future__ import annotations

from typing import Any

from tests.conftest import KELURAHAN, Api, new_id


def add_gudang(api: Api, **over: Any) -> dict[str, Any]:
    body = {"id": new_id(), "name": "Gudang Dinas Sosial Kota Binjai", "kind": "gudang_dinsos",
            "kelurahan_code": KELURAHAN, "address": "Jl. Jenderal Sudirman No. 6", "contact_name": "Bu Rina",
            "contact_phone": "0812 6000 1234"}
    body.update(over)
    r = api.post("/warehouses", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def receipt_body(location_id: str, lines: list[dict[str, Any]], **over: Any) -> dict[str, Any]:
    body = {"id": new_id(), "location_id": location_id, "donor_kind": "swasta", "donor_name": "PT Sumber Rejeki",
            "reference_doc": "SJ-2026/12/001", "lines": lines}
    body.update(over)
    return body


def receive(api: Api, eid: str, location_id: str, lines: list[dict[str, Any]], **over: Any) -> dict[str, Any]:
    r = api.post(f"/events/{eid}/receipts", json=receipt_body(location_id, lines, **over))
    assert r.status_code == 201, r.text
    return r.json()


def dispatch(api: Api, eid: str, src: str, dst: str, lines: list[dict[str, Any]], **over: Any) -> dict[str, Any]:
    body = {"id": new_id(), "from_location_id": src, "to_location_id": dst, "lines": lines, **over}
    r = api.post(f"/events/{eid}/dispatches", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def on_hand(api: Api, eid: str, location_id: str, item_code: str, as_of: str | None = None) -> float:
    """Stock on hand computed on the spot (exact at `as_of`, default now)."""
    from datetime import UTC, datetime
    params = {"as_of": as_of or datetime.now(UTC).isoformat(), "location_id": location_id}
    r = api.get(f"/events/{eid}/stock", params=params)
    assert r.status_code == 200, r.text
    rows = [x for x in r.json()["items"] if x["item_code"] == item_code]
    return rows[0]["on_hand"] if rows else 0.0
