"""QR codes of the field app's address, drawn by segno (a maintained, pure-Python QR encoder)."""

from __future__ import annotations

import io
from typing import TextIO

import segno


def svg(text: str) -> str:
    """An SVG document (no script, no external reference) that a phone's camera reads as `text`."""
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="svg", scale=6, border=2, xmldecl=False, svgns=True, omitsize=True,
                                     title="Aplikasi lapangan Posko", dark="#000", light="#fff")
    return out.getvalue().decode("utf-8")


def terminal(text: str, out: TextIO) -> None:
    """The QR code drawn with block characters in the terminal `posko run --lan` was started from."""
    segno.make(text, error="m").terminal(out=out, compact=True, border=2)
