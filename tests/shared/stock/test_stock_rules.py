"""The pure stock rules (docs/rules.md, "Stock", "Alerts"): units through pint, lots and FEFO, days of
cover, kirim berikutnya, alerts. Includes the worked examples of docs/rules.md."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.stock.alerts import find_alerts
from shared.stock.ledger import LedgerSum, Position, fefo_split, positions
from shared.stock.plan import Locations, NeedRule, daily_needs, days_of_cover, suggestions
from shared.stock.units import UnitProblem, to_catalogue_unit

D = Decimal


def test_units_convert_through_the_unit_library() -> None:
    assert to_catalogue_unit(3, "karung", "kg", {"karung": "25 kg"}) == 75
    assert to_catalogue_unit(2, "dus", "liter", {"dus": "24 * 600 milliliter"}) == D("28.8")
    assert to_catalogue_unit(250, "gram", "kg", {}) == D("0.25")
    assert to_catalogue_unit(1, "ton_metrik", "kg", {}) == 1000
    assert to_catalogue_unit(7, None, "porsi", {}) == 7
    assert to_catalogue_unit(2, "dus", "porsi", {"dus": "50 porsi"}) == 100
    with pytest.raises(UnitProblem, match="tidak dapat diubah"):
        to_catalogue_unit(1, "porsi", "kg", {})
    with pytest.raises(UnitProblem, match="tidak dikenal"):
        to_catalogue_unit(1, "gentong", "kg", {})


def test_worked_example_lots_fefo_and_cover() -> None:
    """docs/rules.md, "Stock", example 1."""
    sums = [LedgerSum("G", "beras", date(2026, 12, 31), D(60), D(60)),   # received 60, all dispatched
            LedgerSum("G", "beras", date(2027, 1, 31), D(40), D(15)),    # received 40, 15 dispatched
            LedgerSum("S", "beras", date(2026, 12, 31), D(60), D(0)),    # received at the shelter
            LedgerSum("S", "beras", date(2027, 1, 31), D(10), D(0))]
    pos = positions(sums, {("S", "beras"): D(25)})                        # 25 kg handed out at S
    assert pos[("G", "beras")].on_hand == 25 and pos[("G", "beras")].lot_rows() == [
        {"expiry_date": "2027-01-31", "quantity": 25.0}]
    s = pos[("S", "beras")]
    assert s.on_hand == 45 and s.lot_rows() == [{"expiry_date": "2026-12-31", "quantity": 35.0},
                                                {"expiry_date": "2027-01-31", "quantity": 10.0}]
    assert s.fefo_next() == date(2026, 12, 31)
    assert days_of_cover(s.on_hand, D("0.4") * 40) == 2.81  # 40 persons × 0.4 kg


def test_outflow_beyond_stock_is_a_negative_undated_lot() -> None:
    pos = positions([LedgerSum("S", "air", None, D(10), D(0))], {("S", "air"): D(13)})[("S", "air")]
    assert pos.on_hand == -3 and pos.lot_rows() == [{"expiry_date": None, "quantity": -3.0}]
    assert days_of_cover(pos.on_hand, D(5)) == 0 and days_of_cover(D(5), D(0)) is None


@given(st.lists(st.tuples(st.sampled_from([None, date(2027, 1, 1), date(2027, 2, 1)]),
                          st.integers(0, 50), st.integers(0, 50)), max_size=6),
       st.integers(0, 120))
def test_lots_always_add_up_to_on_hand(rows: list[tuple[date | None, int, int]], drawn: int) -> None:
    sums = [LedgerSum("L", "i", d, D(i), D(o)) for d, i, o in rows]
    pos = positions(sums, {("L", "i"): D(drawn)}).get(("L", "i"), Position())
    assert pos.on_hand == sum(D(i) - D(o) for _, i, o in rows) - drawn
    assert sum(pos.lots.values(), D(0)) == pos.on_hand
    assert all(q >= 0 for d, q in pos.lots.items() if d is not None)


def test_fefo_split_takes_the_earliest_expiry_first() -> None:
    lots = {None: D(5), date(2027, 3, 1): D(10), date(2027, 1, 1): D(4)}
    assert fefo_split(lots, D(16)) == [(date(2027, 1, 1), D(4)), (date(2027, 3, 1), D(10)), (None, D(2))]
    assert fefo_split({}, D(3)) == [(None, D(3))]


def test_worked_example_kirim_berikutnya() -> None:
    """docs/rules.md, "Stock", example 2: 40 persons, 2.5 L air minum a day, 2 of 3 meal times passed."""
    locs = Locations(gudang={"G1": "Gudang Dinsos", "G2": "Lumbung"}, shelters={"S": ("SD 020", 40, True)})
    rules = [NeedRule("air_minum", "liter", D("2.5"))]
    needs = daily_needs(locs, rules)
    assert needs[("S", "air_minum")] == 100 and needs[("G1", "air_minum")] == 100
    stock = {("S", "air_minum"): Position(D(30)), ("G1", "air_minum"): Position(D(50)),
             ("G2", "air_minum"): Position(D(500))}
    out = suggestions(locs, rules, needs, stock, {("S", "air_minum"): D(20)}, {}, meals_left_today=1, meals_per_day=3)
    [item] = out[0]["items"]
    # need 100 × (1/3 + 1) = 133.33; minus 30 on hand, minus 20 in transit = 83.34 (rounded up), from G2
    assert item["need_today_tomorrow"] == 133.33 and item["suggested"] == 83.34
    assert item["from_location_id"] == "G2" and item["available_at_source"] == 500
    asked = suggestions(locs, rules, needs, stock, {}, {("S", "air_minum"): D(400)}, 1, 3)
    assert asked[0]["items"][0]["suggested"] == 400  # an open request larger than the computed lack


def test_a_gudang_serves_the_shelters_it_dispatched_to() -> None:
    locs = Locations(gudang={"G": "G"}, shelters={"A": ("A", 10, True), "B": ("B", 30, True)},
                     supplies={"G": {"A"}})
    assert daily_needs(locs, [NeedRule("beras", "kg", D("0.4"))])[("G", "beras")] == 4


def test_alerts_each_kind_with_stable_ids() -> None:
    as_of = datetime(2026, 12, 7, 5, 0, tzinfo=UTC)
    today = date(2026, 12, 7)
    shelters = [{"id": "S", "name": "SD 020", "occupants": 130, "capacity_persons": 120, "meals_due_today": 130.0,
                 "meals_delivered_today": 100.0}]
    rows = [{"location_id": "S", "item_code": "air_minum", "on_hand": -4.0, "days_of_cover": 0.0, "lots": []},
            {"location_id": "G", "item_code": "beras", "on_hand": 50.0, "days_of_cover": 3.0,
             "lots": [{"expiry_date": "2026-12-10", "quantity": 50.0}]}]
    transit = [{"id": "D1", "to_location_id": "S", "sent_at": as_of - timedelta(hours=25)},
               {"id": "D2", "to_location_id": "S", "sent_at": as_of - timedelta(hours=23)}]
    found = find_alerts(shelters=shelters, stock_rows=rows, in_transit=transit, names={"G": "Gudang", "S": "SD 020"},
                        today=today, as_of=as_of, meal_times_passed_today=1)
    assert [a["id"] for a in found] == [
        "melebihi_kapasitas:S", "makan_belum_diantar:S:2026-12-07", "stok_minus:S:air_minum",
        "stok_kurang_sehari:S:air_minum", "segera_kedaluwarsa:G:beras:2026-12-10", "kiriman_tertahan:D1"]
    none_passed = find_alerts(shelters=shelters, stock_rows=[], in_transit=[], names={}, today=today, as_of=as_of,
                              meal_times_passed_today=0)
    assert [a["kind"] for a in none_passed] == ["melebihi_kapasitas"]


def test_worked_example_alert_lifecycle_rules() -> None:
    """docs/rules.md, "Alerts", example 3: which alerts 07:30 and 07:50 find."""
    as_of = datetime(2026, 12, 7, 0, 30, tzinfo=UTC)  # 07:30 WIB
    row = {"id": "S", "name": "SD 020", "occupants": 130, "capacity_persons": 120, "meals_due_today": 130.0,
           "meals_delivered_today": 100.0}
    first = find_alerts(shelters=[row], stock_rows=[], in_transit=[], names={}, today=date(2026, 12, 7), as_of=as_of,
                        meal_times_passed_today=1)
    assert [a["id"] for a in first] == ["melebihi_kapasitas:S", "makan_belum_diantar:S:2026-12-07"]
    later = find_alerts(shelters=[{**row, "meals_delivered_today": 140.0}], stock_rows=[], in_transit=[], names={},
                        today=date(2026, 12, 7), as_of=as_of + timedelta(minutes=20), meal_times_passed_today=1)
    assert [a["id"] for a in later] == ["melebihi_kapasitas:S"]
