"""The Renstra editing use case (shared/services/renstra.py) called directly: admin only, known indicators,
no manual value for a computed indicator, a field not sent keeps its value, null removes a manual value."""

from __future__ import annotations

import pytest

from shared.db import Database, read_unit, write_unit
from shared.domain.access import Actor
from shared.errors import Conflict, Forbidden, Invalid
from shared.reports.renstra import indicators, is_computed
from shared.repositories import renstra as renstra_repo
from shared.schemas.renstra import ManualIn, TargetIn
from shared.services.renstra import set_manual, set_target

ADMIN = Actor(id=None, username="system", role="admin")
POSKO = Actor(id=None, username="posko-test", role="posko")
YEAR = 2091  # no other test writes Renstra figures for this year


def _codes() -> tuple[str, str]:
    computed = next(i["code"] for i in indicators() if is_computed(i))
    manual = next(i["code"] for i in indicators() if not is_computed(i))
    return computed, manual


def test_targets_keep_fields_not_sent(database: Database) -> None:
    computed, _ = _codes()
    with write_unit(database) as uow:
        assert set_target(uow, ADMIN, TargetIn(year=YEAR, indicator_code=computed, target=80, pagu=1_000_000))[
            "target"] == 80
    with write_unit(database) as uow:
        out = set_target(uow, ADMIN, TargetIn(year=YEAR, indicator_code=computed, target=85.5))
    assert (out["target"], out["pagu"]) == (85.5, 1_000_000)
    with read_unit(database) as s:
        row = renstra_repo.targets(s, YEAR)[computed]
        assert (row.target, row.pagu) == (85.5, 1_000_000)


def test_manual_values_set_and_removed(database: Database) -> None:
    computed, manual = _codes()
    with write_unit(database) as uow:
        assert set_manual(uow, ADMIN, ManualIn(year=YEAR, indicator_code=manual, value=12))["source"] == "manual"
    with read_unit(database) as s:
        assert renstra_repo.manual_values(s, YEAR) == {manual: 12}
    with write_unit(database) as uow:
        assert set_manual(uow, ADMIN, ManualIn(year=YEAR, indicator_code=manual, value=None))["source"] == "none"
    with read_unit(database) as s:
        assert renstra_repo.get_manual(s, YEAR, manual) is None
    with pytest.raises(Conflict), write_unit(database) as uow:
        set_manual(uow, ADMIN, ManualIn(year=YEAR, indicator_code=computed, value=1))


def test_refusals(database: Database) -> None:
    computed, _ = _codes()
    with pytest.raises(Forbidden), write_unit(database) as uow:
        set_target(uow, POSKO, TargetIn(year=YEAR, indicator_code=computed, target=1))
    with pytest.raises(Invalid), write_unit(database) as uow:
        set_target(uow, ADMIN, TargetIn(year=YEAR, indicator_code="no_such_indicator", target=1))
