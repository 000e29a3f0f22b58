"""services/progress.py: the console progress bar of `posko report` and `posko demo`."""

from __future__ import annotations

import io

from services.progress import ProgressBar


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_in_a_log_one_line_per_tenth_and_per_stage() -> None:
    out = io.StringIO()
    bar = ProgressBar(out)
    for done in range(0, 1001, 7):
        bar.count(done, 1000, "catatan")
    bar.count(1000, 1000, "catatan")
    bar.show(0.5, "menyusun PDF")
    bar.done()
    lines = out.getvalue().splitlines()
    assert 10 <= len(lines) <= 13, lines  # 0%, 10% … 100% of one stage, plus the next stage's line
    assert lines[0] == f"  [{' ' * 30}]   0%  0/1000 catatan"
    assert f"  [{'#' * 30}] 100%  1000/1000 catatan" in lines
    assert lines[-1] == f"  [{'#' * 15}{' ' * 15}]  50%  menyusun PDF"


def test_on_a_terminal_redrawn_in_place_and_ended_once() -> None:
    out = _Terminal()
    bar = ProgressBar(out)
    bar.show(0.29, "memuat data")  # 0.29 * 100 is 28.999…: shown as 29%
    bar.show(0.29, "memuat data")  # unchanged: not redrawn
    bar.show(1.5, "selesai")  # clamped
    bar.done()
    text = out.getvalue()
    assert text.count("\r") == 2 and text.endswith("\n") and text.count("\n") == 1
    assert " 29%  memuat data" in text and "100%  selesai" in text
