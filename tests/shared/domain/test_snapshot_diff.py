"""The snapshot comparison of the verifier (shared/domain/snapshot_diff.py): paths, keyed lists, numbers,
missing fields and what is left out on purpose."""

from __future__ import annotations

from typing import Any

from shared.domain.snapshot_diff import MISSING, Difference, differences, list_key, snapshot_differences


def paths(found: Any, expected: Any) -> list[str]:
    return [d.path for d in differences(found, expected)]


def test_equal_nested_dicts_have_no_differences() -> None:
    snap = {"people": {"registered": 3, "by_sex": {"L": 1, "P": 2}}, "shelters": [{"id": "S1", "occupants": 2}]}
    assert differences(snap, {**snap}) == []


def test_a_nested_field_is_named_by_its_dotted_path_with_both_values() -> None:
    a = {"indicator": {"services": {"permakanan": {"eligible": 4, "fulfilled": 3}}}}
    b = {"indicator": {"services": {"permakanan": {"eligible": 4, "fulfilled": 2}}}}
    assert differences(a, b) == [Difference("indicator.services.permakanan.fulfilled", 3, 2)]


def test_lists_of_dicts_are_matched_by_their_id_not_their_position() -> None:
    a = {"shelters": [{"id": "S1", "meals_today": 3}, {"id": "S2", "meals_today": 5}]}
    b = {"shelters": [{"id": "S2", "meals_today": 5}, {"id": "S1", "meals_today": 4}]}
    assert differences(a, b) == [Difference("shelters[id=S1].meals_today", 3, 4)]


def test_an_element_on_one_side_only_is_named_by_its_key() -> None:
    a = {"unmet": [{"person_id": "P1", "missing": ["sandang"]}, {"person_id": "P2", "missing": ["permakanan"]}]}
    b = {"unmet": [{"person_id": "P1", "missing": ["sandang", "permakanan"]}]}
    assert differences(a, b) == [Difference("unmet[person_id=P1].missing[1]", MISSING, "permakanan"),
                                 Difference("unmet[person_id=P2]", a["unmet"][1], MISSING)]


def test_composite_keys_and_nested_keyed_lists() -> None:
    a = {"stock": {"items": [{"location_id": "G1", "item_code": "beras", "on_hand": 10.0},
                             {"location_id": "G1", "item_code": "air", "on_hand": 4.0}]},
         "shelters": [{"id": "S1", "meals_today": [{"time": "07:00", "delivered": 3}, {"time": "12:00", "delivered": 0}]}]}
    b = {"stock": {"items": [{"location_id": "G1", "item_code": "beras", "on_hand": 9.5},
                             {"location_id": "G1", "item_code": "air", "on_hand": 4.0}]},
         "shelters": [{"id": "S1", "meals_today": [{"time": "07:00", "delivered": 3}, {"time": "12:00", "delivered": 2}]}]}
    assert paths(a, b) == ["stock.items[location_id=G1,item_code=beras].on_hand",
                           "shelters[id=S1].meals_today[time=12:00].delivered"]


def test_lists_without_a_unique_key_are_compared_by_position() -> None:
    assert list_key([{"id": "A"}, {"id": "A"}], []) is None  # duplicated: not a key
    assert paths({"x": [1, 2, 3]}, {"x": [1, 5]}) == ["x[1]", "x[2]"]
    assert paths({"x": [{"v": 1}]}, {"x": [{"v": 2}]}) == ["x[0].v"]


def test_floats_equal_within_rounding_but_not_beyond() -> None:
    assert differences({"q": 0.1 + 0.2}, {"q": 0.3}) == []
    assert differences({"q": 3}, {"q": 3.0}) == []
    assert differences({"q": float("nan")}, {"q": float("nan")}) == []
    assert paths({"q": 0.3}, {"q": 0.31}) == ["q"]
    assert paths({"q": 1e-6}, {"q": 2e-6}) == ["q"]


def test_a_bool_is_not_a_number() -> None:
    assert paths({"ok": True}, {"ok": 1}) == ["ok"]
    assert differences({"ok": False}, {"ok": False}) == []


def test_missing_keys_and_type_changes() -> None:
    assert differences({"a": 1}, {"a": 1, "b": None}) == [Difference("b", MISSING, None)]
    assert differences({"a": {"x": 1}}, {"a": [1]}) == [Difference("a", {"x": 1}, [1])]
    assert differences({"a": None}, {"a": 0}) == [Difference("a", None, 0)]


def test_tuples_and_lists_compare_alike() -> None:
    assert differences({"t": (1, 2)}, {"t": [1, 2]}) == []


def test_snapshot_leaves_out_seq_and_the_alerts_bookkeeping() -> None:
    stored = {"seq": 7, "data_seq": 3, "alerts": [
        {"id": "a2", "kind": "stok_habis", "severity": "tinggi", "first_seen": "2026-12-01T00:00:00+00:00",
         "acked_at": "2026-12-01T01:00:00+00:00", "acked_by": 4, "message": "old words"},
        {"id": "a1", "kind": "melebihi_kapasitas", "severity": "sedang", "first_seen": "2026-11-30T00:00:00+00:00"}],
        "unmet": []}
    computed = {"data_seq": 3, "alerts": [
        {"id": "a1", "kind": "melebihi_kapasitas", "severity": "sedang", "first_seen": "2026-12-02T00:00:00+00:00"},
        {"id": "a2", "kind": "stok_habis", "severity": "tinggi", "first_seen": "2026-12-02T00:00:00+00:00",
         "acked_at": None, "acked_by": None, "message": "new words"}], "unmet": []}
    assert snapshot_differences(stored, computed) == []


def test_snapshot_alerts_still_differ_by_id_kind_and_severity() -> None:
    a = {"alerts": [{"id": "a1", "kind": "stok_habis", "severity": "tinggi"}]}
    b = {"alerts": [{"id": "a1", "kind": "stok_habis", "severity": "sedang"},
                    {"id": "a2", "kind": "stok_menipis", "severity": "sedang"}]}
    assert [d.path for d in snapshot_differences(a, b)] == ["alerts[id=a1].severity", "alerts[id=a2]"]
