"""docs/api-reference.md is generated from the app (scripts/gen_api_docs.py): it must match the app as it is."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_api_docs", ROOT / "scripts" / "gen_api_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_api_reference_matches_the_app() -> None:
    gen = _generator()
    expected = gen.render(gen.openapi())
    committed = (ROOT / "docs" / "api-reference.md").read_text(encoding="utf-8")
    assert committed == expected, "docs/api-reference.md is out of date: run .venv/bin/python scripts/gen_api_docs.py"


def test_the_reference_names_every_documented_path() -> None:
    """Every path and method of the OpenAPI document has its heading (nothing is dropped on the way)."""
    gen = _generator()
    doc = gen.openapi()
    text = gen.render(doc)
    for path, item in doc["paths"].items():
        for method in gen.METHODS:
            if method in item:
                assert f"### `{method.upper()} {path}`" in text, (method, path)
    assert "### `POST /api/v1/sync`" in text and "### `GET /healthz`" in text
