"""The reports as CSV (UTF-8, CRLF): every cell through the formula-injection rule of
shared/reports/cells.py, so a name from the field never runs as a spreadsheet formula.

- Post-disaster report: one file of section blocks. A block is a row whose only cell is
  `section:<key>`, then a header row of field names, then the data rows, then an empty row. Numbers
  are plain (a dot for decimals, no thousands separator); instants are ISO 8601 in UTC; a list of
  services in one cell is separated by `;`; booleans are `true`/`false`, absent values empty. The
  keys, in order: event, kelurahan, status_history, people, people_by_kelurahan, shelters, needs,
  distributions, indicator, services, daily, and unmet (only when the report has names).
- Renstra report: one header row, then one row per indicator in the plan's order:
  `tahun, no, kode, indikator, satuan, target, realisasi, capaian_persen, pagu_rupiah, sumber,
  realisasi_anggaran_rupiah` (the last one added after the others, so no column moves);
  numbers plain, empty when absent; `sumber` is the JSON `source` (computed | manual | none); the last
  columns spell its `provenance`: `asal_data` (events | register | manual | none), `register`,
  `keterangan_asal` (the Indonesian line), `diisi_oleh` (username), `diisi_pada` (UTC).
- HXL: a row of Indonesian headings, a row of HXL hashtags, then the dataset's rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from shared.reports.cells import safe_row, safe_text
from shared.reports.render.tables import RENSTRA_CSV_COLUMNS, event_tables
from shared.reports.renstra_provenance import provenance_columns


def _writer(out: io.StringIO) -> Any:
    return csv.writer(out, lineterminator="\r\n")


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return safe_text(value)


def event_csv(report: dict[str, Any]) -> bytes:
    out = io.StringIO()
    w = _writer(out)
    for t in event_tables(report):
        w.writerow([f"section:{t.key}"])
        w.writerow([k for k, _ in t.columns])
        w.writerows([_csv_value(v) for v in row] for row in t.rows)
        w.writerow([])
    return out.getvalue().encode("utf-8")


def _plain(value: Any) -> Any:
    return "" if value is None else value


def renstra_csv(report: dict[str, Any]) -> bytes:
    out = io.StringIO()
    w = _writer(out)
    w.writerow(list(RENSTRA_CSV_COLUMNS))
    for no, row in enumerate(report["indicators"], start=1):
        w.writerow(safe_row([report["year"], no, row["code"], row["name"], row["unit"], _plain(row["target"]),
                             _plain(row["realisation"]), _plain(row["achievement_percent"]), _plain(row["pagu"]),
                             row["source"], _plain(row.get("budget_realisation")), *provenance_columns(row)]))
    return out.getvalue().encode("utf-8")


def hxl_csv(columns: Sequence[tuple[str, str]], rows: Iterable[list[Any]]) -> bytes:
    """columns: (Indonesian heading, HXL hashtag)."""
    out = io.StringIO()
    w = _writer(out)
    w.writerow([heading for heading, _ in columns])
    w.writerow([tag for _, tag in columns])
    w.writerows(safe_row(row) for row in rows)
    return out.getvalue().encode("utf-8")
