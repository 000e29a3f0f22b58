"""siaga_darurat → tanggap_darurat → transisi_darurat → selesai, and tanggap_darurat → selesai."""

import pytest

from shared.domain.event_status import can_transition

ALLOWED = {("siaga_darurat", "tanggap_darurat"), ("tanggap_darurat", "transisi_darurat"),
           ("tanggap_darurat", "selesai"), ("transisi_darurat", "selesai")}
STATUSES = ["siaga_darurat", "tanggap_darurat", "transisi_darurat", "selesai"]


@pytest.mark.parametrize("current", STATUSES)
@pytest.mark.parametrize("target", STATUSES)
def test_transition_table(current: str, target: str) -> None:
    expected = current == target or (current, target) in ALLOWED
    assert can_transition(current, target) is expected
