"""`/docs` (Swagger UI) served entirely from this machine, under a Content-Security-Policy.

FastAPI's default `/docs` page loads Swagger UI's script and style from a CDN: whoever serves that
file runs code in a page that holds a bearer token. The assets come instead from the
`fastapi-offline` package (Swagger UI 5, which renders OpenAPI 3.1; the package is maintained and
only ships the files), mounted at `/docs-static`. FastAPI's page starts Swagger UI with one inline
script: its SHA-256 is computed here from the exact HTML served, so the page's CSP allows that script
and no other (`script-src 'self' 'sha256-…'`). Swagger UI sets element styles from its scripts and
ships inline SVG styles, so `style-src` on `/docs` alone allows 'unsafe-inline' (styles cannot run
code; scripts stay locked). ReDoc is off: it needs inline styles and blob: workers.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_URL = "/docs"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
ASSETS_URL = "/docs-static"
ASSETS_DIR = Path(fastapi_offline.__file__).resolve().parent / "static"

_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def script_hashes(html: str) -> list[str]:
    """CSP source expressions ('sha256-…') for every inline <script> of `html`."""
    return [f"'sha256-{base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()}'"
            for body in _INLINE_SCRIPT.findall(html)]


def docs_csp(hashes: list[str]) -> str:
    return ("default-src 'self'; script-src 'self' " + " ".join(hashes) + "; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
            "form-action 'self'; frame-ancestors 'none'")


def install_docs(app: FastAPI) -> str:
    """Add `/docs`, its OAuth2 redirect page and the local assets; return the CSP for `/docs*`.

    The app must be built with `docs_url=None, redoc_url=None` so FastAPI's CDN pages do not exist.
    """
    assert app.docs_url is None and app.redoc_url is None, "build the app with docs_url=None, redoc_url=None"
    page = bytes(get_swagger_ui_html(
        openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} — API",
        swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js", swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS_URL}/favicon.png", oauth2_redirect_url=OAUTH2_REDIRECT_URL).body).decode()
    redirect = bytes(get_swagger_ui_oauth2_redirect_html().body).decode()

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return HTMLResponse(page)

    @app.get(OAUTH2_REDIRECT_URL, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return HTMLResponse(redirect)

    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="docs-static")
    return docs_csp(script_hashes(page) + script_hashes(redirect))
