"""One rule for every spreadsheet cell Posko writes (CSV, XLSX, HXL): text never becomes a formula.

Names in exports come from the field: a person, household, shelter, event or item may be called
`=HYPERLINK("http://x","y")`, `+cmd|' /C calc'!A0`, `-1+1` or `@SUM(A1)`. Excel, LibreOffice and
Google Sheets run a CSV field that starts with `= + - @` (or a TAB or CR, which some of them strip
first) as a formula, and openpyxl stores a string that starts with `=` as a formula cell. So:

- `safe_text(value)`: a text that starts with one of those characters gets a leading `'` (the
  spreadsheet convention for "this is text"; OWASP's CSV-injection advice). Other values are
  returned as they are: numbers stay numbers (a negative number is a number, not text), None, bools
  and dates are untouched.
- `safe_row(row)`: the rule over one row.
- `xlsx_cell(ws, value)`: a write-only openpyxl cell; a text cell is stored with data_type "s" even
  when it starts with `=` after all, so openpyxl never writes it as a formula.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: Any) -> Any:
    """`=1+1` → `'=1+1`; every non-string, and every other string, unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_row(row: Iterable[Any]) -> list[Any]:
    return [safe_text(v) for v in row]


def xlsx_cell(ws: Any, value: Any) -> Any:
    """A WriteOnlyCell holding `safe_text(value)`; strings are forced to data_type "s" (never "f")."""
    from openpyxl.cell import WriteOnlyCell

    value = safe_text(value)
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def xlsx_row(ws: Any, row: Iterable[Any]) -> list[Any]:
    """A row for a write-only sheet's `append`: values that needed the rule become forced-string cells."""
    out: list[Any] = []
    for v in row:
        out.append(xlsx_cell(ws, v) if isinstance(v, str) and v.startswith(FORMULA_START) else v)
    return out


def set_xlsx_value(cell: Any, value: Any) -> Any:
    """Assign `safe_text(value)` to a normal openpyxl cell, forcing strings to data_type "s"."""
    value = safe_text(value)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
    return cell
