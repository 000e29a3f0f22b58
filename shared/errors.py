"""Domain errors. Services raise these; the API maps them to HTTP in one place (services/api/errors.py)."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a use case can raise on purpose."""

    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    status_code = 404


class Forbidden(DomainError):
    status_code = 403


class Conflict(DomainError):
    status_code = 409


class StaleVersion(DomainError):
    status_code = 412


class TooLarge(DomainError):
    status_code = 413


class TooManyRequests(DomainError):
    status_code = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Invalid(DomainError):
    """A request that parsed but breaks a rule about one of its fields (422, FastAPI's shape)."""

    status_code = 422

    def __init__(self, field: str | tuple[str | int, ...], message: str, type_: str = "value_error") -> None:
        super().__init__(message)
        if isinstance(field, str):
            field = (field,)
        self.loc = field if field[0] in ("body", "header", "query", "path") else ("body", *field)
        self.type = type_

    def as_detail(self) -> list[dict[str, object]]:
        return [{"loc": list(self.loc), "msg": self.message, "type": self.type}]


class ConflictWithExisting(Conflict):
    """A conflict with an object that already exists, described for the caller (`existing` in the 409
    answer and in a `/sync` record's result). `existing` is None when the caller may not be shown it."""

    def __init__(self, message: str, existing: dict[str, object] | None) -> None:
        super().__init__(message)
        self.existing = existing
