"""The two web faces, served by the API itself: the posko dashboard (/) and the TAGANA field app
(/lapangan). Every asset is in services/api/web/: nothing is fetched from outside the machine."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse

WEB = Path(__file__).resolve().parent.parent / "web"

router = APIRouter(include_in_schema=False)

_NO_CACHE = {"Cache-Control": "no-cache"}  # pages revalidate; the field app's service worker caches them


@router.get("/")
def dashboard() -> FileResponse:
    return FileResponse(WEB / "dashboard" / "index.html", headers=_NO_CACHE)


@router.get("/lapangan")
def field_app_redirect(request: Request) -> RedirectResponse:
    """The service worker's scope is /lapangan/: the app opens there so it works offline. A redirect
    here, not an inline script in the page (the Content-Security-Policy allows no inline script)."""
    query = request.url.query
    return RedirectResponse("/lapangan/" + (f"?{query}" if query else ""), status_code=307)


@router.get("/lapangan/")
def field_app() -> FileResponse:
    return FileResponse(WEB / "lapangan" / "index.html", headers=_NO_CACHE)


@router.get("/lapangan/sw.js")
def field_app_service_worker() -> FileResponse:
    """Served from /lapangan/ so its scope covers the field app."""
    return FileResponse(WEB / "lapangan" / "sw.js", media_type="text/javascript",
                        headers={**_NO_CACHE, "Service-Worker-Allowed": "/lapangan/"})


@router.get("/lapangan/manifest.webmanifest")
def field_app_manifest() -> FileResponse:
    return FileResponse(WEB / "lapangan" / "manifest.webmanifest", media_type="application/manifest+json")
