"""Accounts and tokens."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from shared.domain.passwords import MAX_LENGTH, password_problem
from shared.domain.vocabulary import Role
from shared.schemas.common import Input, Output, UTCInstantOut, one_line


class UserCreate(Input):
    """POST /users (admin)."""

    username: str = Field(pattern=r"^[a-z0-9_.-]{3,64}$", description="lower-case letters, digits, _ . -")
    password: str = Field(max_length=MAX_LENGTH, description="at least 10 characters, not a common password")
    role: Role
    full_name: Annotated[str, one_line] = Field(default="", max_length=200)

    @field_validator("password")
    @classmethod
    def _strong_password(cls, value: str, info: ValidationInfo) -> str:
        problem = password_problem(value, info.data.get("username"))
        if problem:
            raise ValueError(problem)
        return value


class UserUpdate(Input):
    """PATCH /users/{id} (admin): change role, name, password or deactivate."""

    password: str | None = Field(default=None, max_length=MAX_LENGTH,
                                 description="at least 10 characters, not a common password")
    role: Role | None = None
    full_name: Annotated[str, one_line] | None = Field(default=None, max_length=200)
    is_active: bool | None = None

    @field_validator("password")
    @classmethod
    def _strong_password(cls, value: str | None) -> str | None:
        problem = None if value is None else password_problem(value)
        if problem:
            raise ValueError(problem)
        return value


class UserPublic(Output):
    id: int
    username: str
    role: str
    full_name: str
    is_active: bool
    created_at: UTCInstantOut


class PasswordResetPublic(BaseModel):
    """POST /users/{id}/password-reset (admin): the new password, shown once and never stored in clear."""

    user: UserPublic
    password: str


class UserEventPublic(Output):
    """GET /users/{id}/events: an event the user is assigned to."""

    event_id: str
    name: str
    status: str
    added_at: UTCInstantOut


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    role: str
    expires_in: int
