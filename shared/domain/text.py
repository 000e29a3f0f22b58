"""What characters a text may carry, as a pure function.

Why: PostgreSQL refuses NUL in text outright (the request died as a 500), and other control
characters in a name or an id are never typed by a person: they come from a broken client, a
copy-paste from a PDF, or someone probing. They would also end up in CSV, XLSX and PDF exports,
where they corrupt the file or hide text. So every text a client sends is checked once, at the edge.

Single-line text (names, codes, ids, query parameters, path segments) may carry no control
character at all. Free text that may span lines (an address, notes, a source note) may carry TAB,
LF and CR, and nothing else below U+0020. DEL and the C1 controls (U+007F–U+009F) are refused
everywhere, and so are lone surrogates (U+D800–U+DFFF), which no UTF-8 database can store.
"""

from __future__ import annotations

import re

_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_MULTI_LINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")

ONE_LINE_MESSAGE = ("teks tidak boleh berisi karakter kendali (NUL, tab, baris baru, dsb.) "
                    "(text must not contain control characters such as NUL, tab or newline)")
MULTI_LINE_MESSAGE = ("teks tidak boleh berisi karakter kendali selain tab dan baris baru "
                      "(text must not contain control characters other than tab and newline)")


def control_character_problem(text: str, *, multiline: bool = False) -> str | None:
    """Why `text` may not be stored, or None (one regex search: this runs on every field of every record)."""
    if multiline:
        return MULTI_LINE_MESSAGE if _MULTI_LINE.search(text) is not None else None
    return ONE_LINE_MESSAGE if _ONE_LINE.search(text) is not None else None
