"""Stock on hand is never wrong: random ledgers (receipts, dispatches, partial receipts of them,
adjustments, distributions, and replays of any of these) written through the API on SQLite and
PostgreSQL, compared with a plain recount of what was written (issue 13, "Speed and scale")."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.stock_helpers import add_gudang
from tests.conftest import Api, Scene, new_id, shelter_body

ITEM = "air_minum"
qty = st.integers(1, 400).map(lambda n: Decimal(n) / 4)  # quarter litres: exact in binary and decimal
ops = st.lists(st.one_of(
    st.tuples(st.just("receipt"), st.integers(0, 2), qty),
    st.tuples(st.just("dispatch"), st.integers(0, 2), st.integers(0, 2), qty),
    st.tuples(st.just("receive"), st.integers(0, 20), qty),
    st.tuples(st.just("adjust"), st.integers(0, 2), qty, st.booleans()),
    st.tuples(st.just("distribute"), st.integers(0, 2), qty),
    st.tuples(st.just("replay"), st.integers(0, 50)),
), min_size=1, max_size=14)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(script=ops)
def test_random_ledgers_match_a_plain_recount(scene: Scene, admin: Api, script: list[tuple[Any, ...]]) -> None:
    eid = scene.eid
    gudang = add_gudang(admin)["id"]
    shelters = [admin.post(f"/events/{eid}/shelters", json=shelter_body()).json()["id"] for _ in range(2)]
    places = [gudang, *shelters]
    expected = {p: Decimal(0) for p in places}
    sent: list[tuple[str, str, Decimal]] = []  # dispatch id, destination, quantity (unreceived)
    written: list[tuple[str, dict[str, Any]]] = []

    def post(path: str, body: dict[str, Any]) -> int:
        r = admin.post(path, json=body)
        assert r.status_code in (200, 201), r.text
        written.append((path, body))
        return r.status_code

    for op in script:
        kind = op[0]
        if kind == "receipt":
            where, q = places[op[1]], op[2]
            post(f"/events/{eid}/receipts", {"id": new_id(), "location_id": where, "donor_kind": "swasta",
                                             "donor_name": "PT Uji", "lines": [{"item_code": ITEM, "quantity": float(q)}]})
            expected[where] += q
        elif kind == "dispatch" and op[1] != op[2]:
            src, dst, q = places[op[1]], places[op[2]], op[3]
            did = new_id()
            post(f"/events/{eid}/dispatches", {"id": did, "from_location_id": src, "to_location_id": dst,
                                               "lines": [{"item_code": ITEM, "quantity": float(q)}]})
            expected[src] -= q
            sent.append((did, dst, q))
        elif kind == "receive" and sent:
            did, dst, q = sent.pop(op[1] % len(sent))
            got = min(q, op[2])
            line = {"item_code": ITEM, "quantity": float(got)}
            if got != q:
                line["reason"] = "sebagian rusak di jalan"
            status = post(f"/events/{eid}/dispatches/{did}/receive", {"id": new_id(), "lines": [line]})
            assert status == 200
            expected[dst] += got
        elif kind == "adjust":
            where, q, down = places[op[1]], op[2], op[3]
            post(f"/events/{eid}/stock-adjustments", {"id": new_id(), "location_id": where, "item_code": ITEM,
                                                      "quantity": float(-q if down else q), "kind": "koreksi_hitung",
                                                      "reason": "hitung ulang"})
            expected[where] += -q if down else q
        elif kind == "distribute":
            where, q = places[op[1]], op[2]
            body = {"id": new_id(), "item_code": ITEM, "quantity": float(q)}
            body.update({"shelter_id": where} if where != gudang else {"household_id": scene.household["id"],
                                                                        "source_location_id": gudang})
            post(f"/events/{eid}/distributions", body)
            expected[where] -= q
        elif kind == "replay" and written:
            path, body = written[op[1] % len(written)]
            if not path.endswith("/receive") or "id" in body:
                r = admin.post(path, json=body)
                assert r.status_code == 200, r.text  # a replay changes nothing

    stock = admin.get(f"/events/{eid}/stock", params={"as_of": datetime.now(UTC).isoformat()}).json()
    got_by_place = {r["location_id"]: Decimal(repr(r["on_hand"])) for r in stock["items"] if r["item_code"] == ITEM}
    for p in places:
        assert got_by_place.get(p, Decimal(0)) == expected[p], (p, script)
    for p in places:
        rows = [r for r in stock["items"] if r["item_code"] == ITEM and r["location_id"] == p]
        if rows:
            assert sum(Decimal(repr(lot["quantity"])) for lot in rows[0]["lots"]) == expected[p]
