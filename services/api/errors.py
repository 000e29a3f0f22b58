"""Domain errors → HTTP, in one place; validation errors never echo the submitted value."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from shared.domain.validation_messages import translate
from shared.errors import ConflictWithExisting, DomainError, Invalid, TooManyRequests


def _clean(errors: Any) -> list[dict[str, Any]]:
    """Keep loc, msg and type (the input may be a NIK or a password), the message in Indonesian."""
    return translate(errors)


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        if isinstance(exc, Invalid):
            return JSONResponse({"detail": exc.as_detail()}, status_code=422)
        headers = {}
        if isinstance(exc, TooManyRequests):
            headers["Retry-After"] = str(exc.retry_after)
        if exc.status_code == 401:
            headers["WWW-Authenticate"] = "Bearer"
        body: dict[str, Any] = {"detail": exc.message}
        if isinstance(exc, ConflictWithExisting) and exc.existing is not None:
            body["existing"] = exc.existing  # who is already registered (shared/services/nik_conflicts.py)
        return JSONResponse(body, status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _clean(exc.errors())}, status_code=422)
