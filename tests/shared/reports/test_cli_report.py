"""`posko report event EVENT_ID --format F -o FILE [--as-of ISO] [--no-names]` and
`posko report renstra --year Y --format F -o FILE`, run as real processes (`python -m services.cli`)
against the test database; the files are opened with their own readers (pypdf, openpyxl, csv, json).

The event is the hand-computed flood of 31 Dec 2025 – 3 Jan 2026 from test_event_report.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, Api, new_id
from tests.shared.reports.test_event_report import (
    EXPECTED_DAILY,
    EXPECTED_SERVICES,
    NAMES,
    Scenario,
    build_two_year_scenario,
    pdf_text,
    read_csv_sections,
    read_xlsx,
)


@pytest.fixture(scope="module")
def scenario(admin: Api) -> Scenario:
    return build_two_year_scenario(admin)


def posko(settings: Any, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `posko …` (as `python -m services.cli`) on the test database from directory `cwd`."""
    env = dict(os.environ, POSKO_DATABASE_URL=settings.database_url, POSKO_REDIS_URL=settings.redis_url,
               POSKO_ENV="test", POSKO_TIMEZONE="Asia/Jakarta", PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "services.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


def test_event_report_pdf_to_a_relative_path_with_a_progress_bar(scenario: Scenario, settings: Any,
                                                                 tmp_path: Path) -> None:
    """The PDF lands where the command was given, shows the scenario's figures, and stdout shows the bar
    filling up to 100%."""
    done = posko(settings, tmp_path, "report", "event", scenario.eid, "--format", "pdf", "-o", "laporan.pdf")
    assert done.returncode == 0, done.stderr
    out = tmp_path / "laporan.pdf"
    assert out.read_bytes().startswith(b"%PDF")
    text = pdf_text(out.read_bytes())
    assert "LAPORAN PASCA BENCANA" in text and "Banjir Akhir Tahun Binjai" in text
    assert "Korban terpenuhi kebutuhan dasarnya: 4 dari 6 orang (66,67%); target 100%." in text
    assert "31 Desember 2025 3 3 2 66,67%" in text and "1 Januari 2026 6 6 5 83,33%" in text
    assert NAMES["P4"] in text and NAMES["P5"] in text  # the command line sees names (it runs as the system)
    bars = [line for line in done.stdout.splitlines() if line.strip().startswith("[")]
    assert len(bars) >= 3
    percents = [int(line.split("]")[1].split("%")[0]) for line in bars]
    assert percents == sorted(percents) and percents[-1] == 100
    assert any("seri harian" in line for line in bars)
    assert str(out) in done.stdout


def test_event_report_xlsx_at_an_as_of(scenario: Scenario, settings: Any, tmp_path: Path) -> None:
    """--as-of the end of 1 Jan 2026: the workbook's daily sheet stops there, with the hand-computed figures."""
    target = tmp_path / "laporan.xlsx"
    done = posko(settings, tmp_path, "report", "event", scenario.eid, "--format", "xlsx", "-o", str(target),
                 "--as-of", "2026-01-01T23:59:59+07:00")
    assert done.returncode == 0, done.stderr
    sheets = read_xlsx(target.read_bytes())
    assert [(row[0].date().isoformat(), *row[1:5]) for row in sheets["Harian"][1:]] == EXPECTED_DAILY[:2]
    _, total, *services = sheets["Indikator"]
    assert total[1:4] == (6, 5, 83.33)
    assert [row[0] for row in sheets["Belum terpenuhi"][1:]] == [NAMES["P5"]]


def test_event_report_json_equals_the_api(scenario: Scenario, settings: Any, tmp_path: Path, admin: Api) -> None:
    """The command and GET /events/{id}/report build the same report (apart from when it was made)."""
    done = posko(settings, tmp_path, "report", "event", scenario.eid, "--format", "json", "-o", "r.json")
    assert done.returncode == 0, done.stderr
    from_cli = json.loads((tmp_path / "r.json").read_text())
    from_api = admin.get(f"/events/{scenario.eid}/report").json()
    for rep in (from_cli, from_api):
        rep.pop("generated_at")
    assert from_cli == from_api
    assert from_cli["indicator"]["services"]["permakanan"]["fulfilled"] == EXPECTED_SERVICES["permakanan"][1]


def test_event_report_csv_without_names(scenario: Scenario, settings: Any, tmp_path: Path) -> None:
    """--no-names makes a report to share with observers: the same figures, no unmet section, no names
    and no person ids."""
    done = posko(settings, tmp_path, "report", "event", scenario.eid, "--format", "csv", "--no-names",
                 "-o", "publik.csv")
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "publik.csv").read_text(encoding="utf-8")
    for name in NAMES.values():
        assert name not in text
    for key in ("P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8"):
        assert scenario.ids[key] not in text
    sec = read_csv_sections(text)
    assert "unmet" not in sec
    assert [(d["date"], int(d["displaced"]), int(d["eligible"]), int(d["fulfilled"]), float(d["fulfilled_percent"]))
            for d in sec["daily"]] == EXPECTED_DAILY


def test_event_report_errors(scenario: Scenario, settings: Any, tmp_path: Path) -> None:
    """An unknown event exits 1; an --as-of without an offset exits 2; neither writes a file."""
    done = posko(settings, tmp_path, "report", "event", new_id(), "--format", "pdf", "-o", "x.pdf")
    assert done.returncode == 1 and "tidak ditemukan" in done.stderr
    done = posko(settings, tmp_path, "report", "event", scenario.eid, "--as-of", "2026-01-01T12:00", "-o", "y.pdf")
    assert done.returncode == 2 and "--as-of" in done.stderr
    assert not (tmp_path / "x.pdf").exists() and not (tmp_path / "y.pdf").exists()
    done = posko(settings, tmp_path, "report", "event", scenario.eid, "--format", "docx", "-o", "z.docx")
    assert done.returncode == 2


def test_renstra_report_for_the_year_the_event_started(scenario: Scenario, settings: Any, tmp_path: Path) -> None:
    """`posko report renstra --year 2025` counts the flood that started on 31 Dec 2025 (6 eligible, 4
    fulfilled); the XLSX opens and lists every indicator of the JSON."""
    done = posko(settings, tmp_path, "report", "renstra", "--year", "2025", "--format", "json", "-o", "r2025.json")
    assert done.returncode == 0, done.stderr
    rep = json.loads((tmp_path / "r2025.json").read_text())
    assert rep["year"] == 2025
    ours = [e for e in rep["events"] if e["id"] == scenario.eid]
    assert [(e["eligible"], e["fulfilled"]) for e in ours] == [(6, 4)]
    done = posko(settings, tmp_path, "report", "renstra", "--year", "2025", "--format", "xlsx", "-o", "r2025.xlsx")
    assert done.returncode == 0, done.stderr
    assert any(line.strip().startswith("[") and "100%" in line for line in done.stdout.splitlines())
    sheets = read_xlsx((tmp_path / "r2025.xlsx").read_bytes())
    cells = {v for rows in sheets.values() for row in rows for v in row if v is not None}
    assert {i["code"] for i in rep["indicators"]} <= cells
