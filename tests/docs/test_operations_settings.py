"""docs/operations.md lists every setting: a `POSKO_*` variable added to shared/config.py without a row
there fails here, so an operator with only a clone finds every knob."""

from __future__ import annotations

from pathlib import Path

from shared.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_every_setting_has_a_row_in_operations_md() -> None:
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    missing = [f"POSKO_{name.upper()}" for name in Settings.model_fields if f"`POSKO_{name.upper()}`" not in text]
    assert not missing, f"settings without a row in docs/operations.md: {missing}"
