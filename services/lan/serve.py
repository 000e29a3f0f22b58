"""Run the servers of `posko run --lan` together in one process, on one event loop, with one app.

- the full app over plain HTTP on POSKO_HOST:POSKO_PORT (default 127.0.0.1:8000): the laptop's own
  dashboard, unchanged, with nothing to install on the laptop;
- the same app over HTTPS on the LAN address, POSKO_LAN_PORT (default 8443): what phones use;
- over plain HTTP on the LAN address, POSKO_LAN_HTTP_PORT (default 8080), only the certificate page
  and the certificate; every other path is redirected to HTTPS, so no password or personal data ever
  crosses the Wi-Fi unencrypted.

One app object (one database engine, one write batcher, one live hub) is shared by both full servers;
only the first runs the app's lifespan. Signals are caught once and stop every server.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Iterator
from typing import Any, TextIO

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse

from services.api.routes import lan as lan_routes
from services.lan import qr
from services.lan.site import LanSite
from shared.config import Settings


def certificate_app(site: LanSite) -> FastAPI:
    """The plain-HTTP app on the LAN: the certificate page, the certificate, and redirects to HTTPS."""
    from services.api.middleware import SecurityHeadersMiddleware

    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.lan = site
    app.include_router(lan_routes.pages)

    @app.get("/")
    def home() -> RedirectResponse:
        return RedirectResponse("/sertifikat", status_code=307)

    @app.api_route("/{path:path}", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
    def to_https(path: str, request: Request) -> RedirectResponse:
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"{site.origin}/{path}{query}", status_code=307)

    app.add_middleware(SecurityHeadersMiddleware)
    return app


def banner(site: LanSite, out: TextIO) -> None:
    """What the person at the laptop needs: the addresses, the fingerprint, and a QR code to scan."""
    print("=" * 64, file=out)
    print("Ponsel lapangan (field phones) — jaringan posko:", file=out)
    print(f"  1. pasang sertifikat:  {site.certificate_page_url}", file=out)
    print(f"  2. aplikasi lapangan:  {site.field_app_url}", file=out)
    print(f"  sidik jari SHA-256 otoritas lokal: {site.ca_fingerprint}", file=out)
    if site.files.issued:
        print("  (sertifikat server baru diterbitkan untuk alamat ini / server certificate issued)", file=out)
    print("Pindai kode ini dengan ponsel untuk membuka aplikasi lapangan:", file=out)
    qr.terminal(site.field_app_url, out)
    print("=" * 64, file=out, flush=True)


def _quiet(server_cls: type[uvicorn.Server]) -> type[uvicorn.Server]:
    """The server class without its own signal handling: run_together() catches signals for all."""

    class QuietServer(server_cls):  # type: ignore[valid-type,misc]
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    return QuietServer


async def run_together(servers: list[uvicorn.Server]) -> bool:
    """Serve with every server; the first (which runs the app's lifespan) is up before the others
    open their sockets. Ctrl-C or SIGTERM stops all; a second Ctrl-C forces. True if all started."""
    loop = asyncio.get_running_loop()

    def stop(*_: Any) -> None:
        for s in servers:
            s.force_exit = s.should_exit
            s.should_exit = True

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)
    first = asyncio.create_task(servers[0].serve())
    while not servers[0].started and not first.done():
        await asyncio.sleep(0.05)
    rest = [asyncio.create_task(s.serve()) for s in servers[1:]] if servers[0].started else []
    # one server failing to open its socket (port taken) stops the others
    watch = asyncio.create_task(_stop_when_one_ends([first, *rest], stop))
    await asyncio.gather(first, *rest, return_exceptions=True)
    watch.cancel()
    return all(s.started for s in servers)


async def _stop_when_one_ends(tasks: list[asyncio.Task[None]], stop: Any) -> None:
    await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    stop()


def serve(settings: Settings, site: LanSite, server_cls: type[uvicorn.Server]) -> int:
    from services.api.main import create_app

    app = create_app(settings)
    app.state.lan = site
    from services.api.live.deflate import LiveWebSocketProtocol

    common: dict[str, Any] = {"log_level": "info", "access_log": settings.access_log, "proxy_headers": False,
                              "ws": LiveWebSocketProtocol}  # each live message compressed once (deflate.py)
    cls = _quiet(server_cls)
    servers = [
        cls(uvicorn.Config(app, host=settings.host, port=settings.port, **common)),
        cls(uvicorn.Config(app, host=site.host, port=site.https_port, lifespan="off",
                           ssl_certfile=str(site.files.cert), ssl_keyfile=str(site.files.key), **common)),
        cls(uvicorn.Config(certificate_app(site), host=site.host, port=site.http_port, lifespan="off", **common)),
    ]
    banner(site, sys.stdout)
    started = asyncio.run(run_together(servers))
    return 0 if started else 3
