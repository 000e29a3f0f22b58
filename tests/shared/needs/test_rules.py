"""The rules module alone (shared/needs/rules.py): each rule on plain values, as docs/rules.md states it.
The engine and the daily series are tested through these rules in test_engine_rules.py and test_daily.py."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import get_args

from shared.domain.vocabulary import DISPLACEMENT_LABEL, Displacement
from shared.needs import rules
from shared.needs.model import ItemRule

from .builders import at, person


def test_eligible_means_a_stay_and_neither_missing_nor_dead() -> None:
    assert rules.is_eligible("selamat", True) and rules.is_eligible("luka", 1)
    assert not rules.is_eligible("hilang", True) and not rules.is_eligible("meninggal", True)
    assert not rules.is_eligible("selamat", False)


def test_displacement_has_one_vocabulary_with_its_indonesian_labels() -> None:
    assert [rules.displacement(True, True), rules.displacement(True, False), rules.displacement(False, False)] \
        == ["displaced_now", "returned", "affected"]
    assert set(DISPLACEMENT_LABEL) == set(get_args(Displacement))
    assert [DISPLACEMENT_LABEL[d] for d in get_args(Displacement)] == ["mengungsi", "kembali", "terdampak"]


def test_special_handling_is_required_for_any_vulnerability() -> None:
    assert rules.needs_special_handling(frozenset({"lansia"}))
    assert not rules.needs_special_handling(frozenset())
    assert not rules.needs_special_handling(frozenset({"unknown_flag"}))


def test_a_shelter_day_is_covered_when_delivered_reaches_due() -> None:
    """Three meal times, rate 3: one portion per person present at each meal time."""
    presence = [6, 0, 4]  # Σ present(S, t) per day
    delivered = {0: Decimal(6), 2: Decimal(3)}
    assert rules.uncovered_days(presence, delivered, Decimal(3), 3) == {2}
    assert rules.meals_due(Decimal(3), 4, 3) == 4 and rules.meals_due(Decimal("0.4"), 7, 3) == Fraction(28, 30)
    assert rules.meals_due(Decimal(3), 4, 0) == 0


def test_household_places_and_the_order_members_take_them() -> None:
    assert rules.household_places(Decimal(5), Decimal(2)) == 2
    assert rules.household_places(Decimal(-1), Decimal(2)) == 0
    members = [person("b", "H", registered=at(1, 9)), person("a", "H", registered=at(1, 9)),
               person("c", "H"), person("z", "H", registered=at(1, 8)), person("a", "H", registered=at(1, 7))]
    first = {"b": 0, "a": 1, "c": 2, "z": 3}
    assert rules.household_order(members, first) == {"H": [3, 1, 0, 2]}  # z, a, b by time then id; c last
    assert rules.household_order(members, first, {"other"}) == {}


def test_required_by_basis() -> None:
    def item(basis: str, rate: float = 2.0, applies_to: tuple[str, ...] = ()) -> ItemRule:
        return ItemRule(code="x", unit="u", basis=basis, rate=rate, applies_to=applies_to)
    sets = {frozenset({"balita"}): 3, frozenset({"lansia", "disabilitas"}): 2}
    assert rules.required(item("per_person_day", 1.2), 3, 7000, 0, {}, 0) == 2800  # 1.2 × 7000 / 3, exactly
    assert rules.required(item("per_person_once"), 3, 0, 10, {}, 0) == 20
    assert rules.required(item("per_household_once"), 3, 0, 10, {}, 4) == 8
    assert rules.required(item("per_vulnerable_once", applies_to=("balita",)), 3, 0, 10, sets, 4) == 6
    assert rules.required(item("unknown"), 3, 100, 10, sets, 4) == 0
