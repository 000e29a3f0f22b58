"""One progress bar for the console: `posko report` (stages of a report) and `posko demo` (records).

On a terminal the bar is redrawn in place; in a log or a pipe it prints a line only when the tenth
or the stage changes, so a long run leaves about ten lines per stage instead of thousands.
"""

from __future__ import annotations

import sys
from typing import TextIO


class ProgressBar:
    """A text progress bar on `stream` (stdout by default); call `done()` once at the end."""

    def __init__(self, stream: TextIO | None = None, width: int = 30) -> None:
        self.stream = stream or sys.stdout
        self.width = width
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.last: tuple[int, str] | None = None

    def show(self, fraction: float, label: str, *, stage: str | None = None) -> None:
        """Draw `fraction` (0..1) with `label`; `stage` (default: the label) groups lines in a log."""
        fraction = min(1.0, max(0.0, fraction))
        pct = int(fraction * 100 + 1e-9)  # 0.29 * 100 is 28.999…: the bar shows what was done
        key = label if stage is None else stage
        if self.last is not None and self.last[1] == key and pct < 100 and (
                self.last[0] == pct or (not self.tty and pct // 10 == self.last[0] // 10)):
            return
        self.last = (pct, key)
        filled = pct * self.width // 100
        line = f"  [{'#' * filled}{' ' * (self.width - filled)}] {pct:3d}%  {label}"
        if self.tty:
            self.stream.write("\r" + line.ljust(78))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def count(self, done: int, total: int, unit: str) -> None:
        """Draw `done` of `total` things (`unit`, e.g. "catatan") as one stage."""
        self.show(done / total if total else 1.0, f"{done}/{total} {unit}", stage=unit)

    def done(self) -> None:
        """End the redrawn line on a terminal (a log already ends each line)."""
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()
