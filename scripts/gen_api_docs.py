"""Write docs/api-reference.md from the app's OpenAPI document: every path, method, summary, parameter,
request field and response field, so a reader with only a clone sees the whole HTTP surface.

    .venv/bin/python scripts/gen_api_docs.py            # rewrite docs/api-reference.md
    .venv/bin/python scripts/gen_api_docs.py --check    # exit 1 if the committed file is out of date

The conventions every endpoint keeps (idempotent creates, If-Match, X-Data-Seq, /sync, errors, roles)
are written by hand in docs/api.md; tests/docs/test_api_reference.py fails when this file lags behind the app.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

OUTPUT = ROOT / "docs" / "api-reference.md"
METHODS = ("get", "post", "put", "patch", "delete")

HEADER = """# HTTP API reference (generated)

Generated from the app's OpenAPI document by `scripts/gen_api_docs.py`; do not edit by hand
(`tests/docs/test_api_reference.py` fails when it is out of date: run the script and commit the result).
The rules every endpoint keeps — idempotent creates, `If-Match`, `X-Data-Seq`, `/sync`, errors,
roles, the websocket — are in [api.md](api.md). Paths under `/api/v1` need
`Authorization: Bearer <token>` from `POST /api/v1/auth/token`.

Field lists: `name*` is required, `name?` may be null; the type follows the colon.
"""


def openapi() -> dict[str, Any]:
    """The OpenAPI document of an app built with throw-away settings (no server, no Redis needed)."""
    from services.api.main import create_app
    from shared.config import Settings

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(env="test", database_url=f"sqlite:///{Path(tmp) / 'docs.db'}",
                            secret_key=secrets.token_urlsafe(48), secret_file=Path(tmp) / "secret_key")
        app = create_app(settings)
        try:
            return app.openapi()
        finally:
            app.state.writer.close()
            app.state.dispatcher.close()
            app.state.db.dispose()


def _ref_name(schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref")
    return ref.rsplit("/", 1)[-1] if isinstance(ref, str) else None


def type_of(schema: dict[str, Any]) -> str:
    """A short type: `str`, `int`, `EventPublic`, `list[PersonPublic]`, `str | null`, an enum's values."""
    if not schema:
        return "any"
    name = _ref_name(schema)
    if name:
        return f"[{name}](#{name.lower()})"
    if "enum" in schema:
        return " \\| ".join(f"`{v}`" if not isinstance(v, str) else v for v in schema["enum"])
    if "const" in schema:
        return str(schema["const"])
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return " \\| ".join(dict.fromkeys(type_of(s) for s in schema[key]))
    kind = schema.get("type")
    if kind == "array":
        return f"list[{type_of(schema.get('items', {}))}]"
    if kind == "object" and "additionalProperties" in schema and isinstance(schema["additionalProperties"], dict):
        return f"dict[str, {type_of(schema['additionalProperties'])}]"
    names = {"string": "str", "integer": "int", "number": "number", "boolean": "bool", "object": "object",
             "null": "null"}
    text = names.get(str(kind), str(kind) if kind else "any")
    if schema.get("format") in ("date-time", "date", "binary", "uuid"):
        text += f" ({schema['format']})"
    return text


def fields(schema: dict[str, Any]) -> str:
    """`a*: str, b?: int | null` for an object schema."""
    required = set(schema.get("required", []))
    parts = []
    for name, prop in schema.get("properties", {}).items():
        nullable = any(s.get("type") == "null" for s in prop.get("anyOf", []))
        mark = "*" if name in required else ("?" if nullable else "")
        parts.append(f"`{name}{mark}`: {type_of(prop)}")
    return ", ".join(parts) or "—"


def body_schema(content: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    for media, spec in content.items():
        return media, spec.get("schema", {})
    return None


def render(doc: dict[str, Any]) -> str:
    schemas = doc.get("components", {}).get("schemas", {})
    used: set[str] = set()
    out = [HEADER]
    by_tag: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for path, item in doc["paths"].items():
        for method in METHODS:
            if method in item:
                op = item[method]
                by_tag.setdefault((op.get("tags") or ["other"])[0], []).append((path, method, op))
    out.append("## Contents\n")
    out.extend(f"- [{tag}](#{tag.lower().replace(' ', '-')})" for tag in by_tag)
    out.append("")
    for tag, ops in by_tag.items():
        out.append(f"## {tag}\n")
        for path, method, op in ops:
            out.append(f"### `{method.upper()} {path}`\n")
            if op.get("summary"):
                out.append(f"{op['summary']}\n")
            params = op.get("parameters", [])
            if params:
                out.append("| parameter | in | type | |")
                out.append("|---|---|---|---|")
                for p in params:
                    desc = (p.get("description") or "").replace("\n", " ").replace("|", "\\|")
                    req = "required" if p.get("required") else ""
                    out.append(f"| `{p['name']}` | {p['in']} | {type_of(p.get('schema', {}))} | "
                               f"{'; '.join(x for x in (req, desc) if x)} |")
                out.append("")
            body = op.get("requestBody")
            if body:
                media, schema = body_schema(body.get("content", {})) or ("", {})
                name = _ref_name(schema)
                if name:
                    used.add(name)
                out.append(f"Request body ({media}): {type_of(schema)}\n")
                if name and "properties" in schemas.get(name, {}):
                    out.append(f"Fields: {fields(schemas[name])}\n")
            responses = op.get("responses", {})
            if responses:
                out.append("| status | answer |")
                out.append("|---|---|")
                for status, resp in responses.items():
                    found = body_schema(resp.get("content", {}) or {})
                    answer = resp.get("description", "")
                    if found and found[1]:
                        schema = found[1]
                        name = _ref_name(schema) or _ref_name(schema.get("items", {}))
                        if name:
                            used.add(name)
                        answer = f"{type_of(schema)} ({found[0]})" + (f" — {answer}" if answer else "")
                    out.append(f"| {status} | {answer.replace(chr(10), ' ').replace('|', chr(92) + '|')} |")
                out.append("")
    out.append("## Schemas\n")
    out.append("Every request and response model, with its fields.\n")
    for name in sorted(schemas):
        schema = schemas[name]
        out.append(f"### {name}\n")
        doc_line = (schema.get("description") or "").strip().split("\n\n")[0].replace("\n", " ")
        if doc_line:
            out.append(f"{doc_line}\n")
        if "properties" in schema:
            out.append(f"Fields: {fields(schema)}\n")
        else:
            out.append(f"Type: {type_of(schema)}\n")
    return "\n".join(out).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when docs/api-reference.md is out of date")
    args = parser.parse_args(argv)
    text = render(openapi())
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT.relative_to(ROOT)} is out of date: run .venv/bin/python scripts/gen_api_docs.py",
                  file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
