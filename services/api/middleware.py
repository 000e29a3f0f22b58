"""ASGI middleware: request body limit (413), security headers, and personal-data redaction in logs."""

from __future__ import annotations

import json
import logging
import re
from typing import Any
from urllib.parse import unquote_plus

MASK = "[disembunyikan]"
# Query parameters whose value is personal data or a secret, compared after decoding the name
# (`%71` is `q`, `Q` is `q`, `q+` is `q `) and dropping everything but letters, digits and `_`.
SECRET_PARAMS = frozenset({"q", "token", "access_token", "refresh_token", "password", "nik", "kk", "kk_number",
                           "name", "full_name", "head_name", "username"})
# A NIK or a KK number is 16 digits; any run of 12 or more digits (also percent-encoded: %31 is "1")
# is hidden wherever it appears: a path segment, another parameter's value, a message. Not after a
# `-`: the last group of a UUID (12 hex characters) may be all digits and is not personal data.
_LONG_DIGITS = re.compile(r"(?<![-\d])(?:\d|%3\d){12,}", re.IGNORECASE)
_TOKEN = re.compile(r"[^\s\"'<>]+")
# PostgreSQL's own error text quotes the failing row or key ("DETAIL:  Failing row contains (…, Siti, 1275…)",
# "Key (nik)=(…) already exists."): hide_parameters cannot remove it, so the rest of such a line goes.
_PG_DETAIL = re.compile(r"(DETAIL:)[^\n]*")


def _param_name(raw: str) -> str:
    return re.sub(r"[^a-z0-9_]", "", unquote_plus(raw).lower())


def redact_target(target: str) -> str:
    """A request target (`/path?query`) with secret parameter values and long digit runs hidden.

    The query is split into its parameters as a server parses them (`&` and `;`), each name decoded,
    so no spelling of `q` (percent-encoded, upper case, repeated, `+`) carries a NIK into a log.
    """
    path, sep, query = target.partition("?")
    path = _LONG_DIGITS.sub(MASK, path)
    if not sep:
        return path
    parts = []
    for raw in re.split(r"[&;]", query):
        name, eq, value = raw.partition("=")
        if _param_name(name) in SECRET_PARAMS:
            parts.append(f"{_LONG_DIGITS.sub(MASK, name)}={MASK}")
        else:
            parts.append(_LONG_DIGITS.sub(MASK, name) + eq + _LONG_DIGITS.sub(MASK, value))
    return path + "?" + "&".join(parts)


def redact(text: str) -> str:
    """Hide personal data in a log text: request targets in it are redacted, then long digit runs."""
    def one(match: re.Match[str]) -> str:
        token = match.group(0)
        return redact_target(token) if "?" in token or token.startswith("/") else token

    return _LONG_DIGITS.sub(MASK, _TOKEN.sub(one, _PG_DETAIL.sub(r"\1 " + MASK, text)))


def _redact_value(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


def redact_record(record: logging.LogRecord) -> None:
    if isinstance(record.args, tuple):
        record.args = tuple(_redact_value(a) for a in record.args)
    elif isinstance(record.args, dict):
        record.args = {k: _redact_value(v) for k, v in record.args.items()}
    if isinstance(record.msg, str):
        record.msg = redact(record.msg)
    if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
        # the traceback is formatted once, here, and redacted: an error's text may quote SQL values
        record.exc_text = redact(_FORMATTER.formatException(record.exc_info))


_FORMATTER = logging.Formatter()


class RedactQueryFilter(logging.Filter):
    """On uvicorn's and Posko's loggers and handlers: `GET /api/v1/events/x/persons?q=1275...` loses the value."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


_installed_factory: Any = None


def install_log_redaction() -> None:
    """Every log record of the process is redacted when it is made (a record factory), and the
    filter is also put on uvicorn's and Posko's loggers and on the handlers that print them."""
    global _installed_factory
    current = logging.getLogRecordFactory()
    if current is not _installed_factory:
        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = current(*args, **kwargs)
            redact_record(record)
            return record

        _installed_factory = factory
        logging.setLogRecordFactory(factory)
    for name in ("", "uvicorn", "uvicorn.access", "uvicorn.error", "posko"):
        logger = logging.getLogger(name)
        targets: list[logging.Filterer] = [logger, *logger.handlers]
        for target in targets:
            if not any(isinstance(f, RedactQueryFilter) for f in target.filters):
                target.addFilter(RedactQueryFilter())


class _TooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """Refuses bodies over `max_bytes` with 413, whether announced by Content-Length or streamed."""

    def __init__(self, app: Any, max_bytes: int, larger: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = larger or {}  # path -> its own limit (a PFIF import file may be 10 MB)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.larger.get(scope.get("path", ""), self.max_bytes)
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    too_big = int(value) > max_bytes
                except ValueError:
                    too_big = False
                if too_big:
                    await self._reject(send, max_bytes)
                    return
        received = 0
        started = False
        rejected = False

        async def limited_receive() -> dict[str, Any]:
            nonlocal received, rejected
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    # Answer 413 now: FastAPI turns any error while it reads a body into a 400, and
                    # that answer (or any other) is dropped below once this one is sent.
                    if not started and not rejected:
                        rejected = True
                        await self._reject(send, max_bytes)
                    raise _TooLarge
            return message

        async def tracking_send(message: dict[str, Any]) -> None:
            nonlocal started
            if rejected:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started and not rejected:
                await self._reject(send, max_bytes)

    async def _reject(self, send: Any, limit: int) -> None:
        body = json.dumps({"detail": f"isi permintaan terlalu besar (request body over {limit} bytes)"}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


# ---- security headers ---------------------------------------------------------------------------------

# The dashboard and the field app: every script and style is a file of this server (no inline script,
# no style attribute: widths are set from scripts through the CSSOM, which CSP allows); the live
# websocket and the API are same-origin ('self' covers ws:/wss: to this host in CSP 3).
APP_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
           "connect-src 'self'; manifest-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'none'; "
           "form-action 'self'; frame-ancestors 'none'")
# Everything else (JSON, files, errors) is never a document to render: nothing may load.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
COMMON_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
)
# Reference data with no personal data may be cached by browsers; every other /api/v1 answer is
# `no-store` (persons, households, distributions, reports, exports, status, users, tokens...).
PUBLIC_API = re.compile(r"^/api/v1/(regions|items|standards)(/|$)")


def _is_app_path(path: str) -> bool:
    return path == "/" or path == "/lapangan" or path.startswith(("/lapangan/", "/static/"))


class SecurityHeadersMiddleware:
    """Adds CSP, nosniff, Referrer-Policy, X-Frame-Options (and Cache-Control: no-store on the API) to
    every HTTP answer: pages, static files, API answers, 404s, 413s, and the 500 of an unhandled error
    (sent here, with the headers, before the error goes on to the server's own handler and log)."""

    def __init__(self, app: Any, docs_csp: str | None = None, docs_prefix: tuple[str, ...] = ()) -> None:
        self.app = app
        self.docs_csp = (docs_csp or APP_CSP).encode()
        self.docs_prefix = docs_prefix

    def _headers(self, path: str) -> list[tuple[bytes, bytes]]:
        if self.docs_prefix and path.startswith(self.docs_prefix):
            csp = self.docs_csp
        elif _is_app_path(path):
            csp = APP_CSP.encode()
        else:
            csp = API_CSP.encode()
        extra = [(b"content-security-policy", csp), *COMMON_HEADERS]
        if path.startswith("/api/") and not PUBLIC_API.match(path):
            extra += [(b"cache-control", b"no-store"), (b"pragma", b"no-cache")]
        return extra

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self._headers(scope.get("path", ""))
        names = {name for name, _ in extra}
        started = False

        async def with_headers(message: dict[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = [(n, v) for n, v in message.get("headers", []) if n.lower() not in names]
                message = {**message, "headers": headers + extra}
            await send(message)

        try:
            await self.app(scope, receive, with_headers)
        except Exception:
            if not started:
                body = b'{"detail":"kesalahan server (internal server error)"}'
                await with_headers({"type": "http.response.start", "status": 500,
                                    "headers": [(b"content-type", b"application/json"),
                                                (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
            raise
