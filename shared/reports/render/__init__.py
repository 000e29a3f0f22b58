"""Reports as files: a report dict (from shared/reports/event.py or renstra.py) → (bytes, media type, file name).

One media-type table and one set of file names for every report; the formats themselves live in
tables.py (the rows), csv.py, xlsx.py and pdf.py, the Indonesian words and numbers in indonesian.py.
JSON is the dict itself, UTF-8: compact for the post-disaster report (it can hold tens of thousands of
persons not fulfilled), indented by one space for the small Renstra report.

The libraries behind XLSX and PDF (openpyxl, fpdf2) are imported when a file of that format is made,
not when the API starts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from shared.memory import no_cyclic_gc

MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
FORMATS = tuple(MEDIA_TYPES)

Renderer = Callable[[dict[str, Any]], bytes]


def slug(text: str) -> str:
    """An event name as a file-name part: `Banjir Binjai 2026` → `banjir-binjai-2026` (≤ 40 characters)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "kejadian"


def event_filename(report: dict[str, Any], ext: str) -> str:
    day = report["as_of_local"][:10].replace("-", "")
    return f"laporan-pasca-bencana-{slug(report['event']['name'])}-{day}.{ext}"


def renstra_filename(year: int, ext: str) -> str:
    return f"renstra-penanganan-bencana-{year}.{ext}"


def hxl_filename(event_name: str, dataset: str, local_day: str) -> str:
    """local_day: the as_of's local date, YYYY-MM-DD."""
    return f"posko-{slug(event_name)}-{dataset}-{local_day.replace('-', '')}.hxl.csv"


def _event_json(report: dict[str, Any]) -> bytes:
    return json.dumps(report, ensure_ascii=False, separators=(",", ":")).encode()


def _renstra_json(report: dict[str, Any]) -> bytes:
    return json.dumps(report, ensure_ascii=False, indent=1).encode("utf-8")


def _event_renderers() -> dict[str, Renderer]:
    from shared.reports.render.csv import event_csv
    from shared.reports.render.pdf import event_pdf
    from shared.reports.render.xlsx import event_xlsx

    return {"json": _event_json, "csv": event_csv, "xlsx": event_xlsx, "pdf": event_pdf}


def _renstra_renderers() -> dict[str, Renderer]:
    from shared.reports.render.csv import renstra_csv
    from shared.reports.render.pdf import renstra_pdf
    from shared.reports.render.xlsx import renstra_xlsx

    return {"json": _renstra_json, "csv": renstra_csv, "xlsx": renstra_xlsx, "pdf": renstra_pdf}


def render_event_report(report: dict[str, Any], fmt: str) -> tuple[bytes, str, str]:
    """(body, media type, file name) of the post-disaster report in `fmt` (json, csv, xlsx, pdf)."""
    if fmt not in MEDIA_TYPES:
        raise ValueError(f"unknown format {fmt!r}")
    with no_cyclic_gc():
        return _event_renderers()[fmt](report), MEDIA_TYPES[fmt], event_filename(report, fmt)


def render_renstra_report(report: dict[str, Any], fmt: str) -> tuple[bytes, str, str]:
    """(bytes, media type, filename) of the Renstra report in `fmt`: json, csv, xlsx or pdf."""
    if fmt not in MEDIA_TYPES:
        raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    return _renstra_renderers()[fmt](report), MEDIA_TYPES[fmt], renstra_filename(report["year"], fmt)


__all__ = ["FORMATS", "MEDIA_TYPES", "render_event_report", "render_renstra_report"]
