"""Accounts and tokens."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from shared.domain.vocabulary import Role
from shared.schemas.common import Input, Output, UTCInstantOut, one_line


class UserCreate(Input):
    """POST /users (admin)."""

    username: str = Field(pattern=r"^[a-z0-9_.-]{3,64}$", description="lower-case letters, digits, _ . -")
    password: str = Field(min_length=8, max_length=200)
    role: Role
    full_name: Annotated[str, one_line] = Field(default="", max_length=200)


class UserUpdate(Input):
    """PATCH /users/{id} (admin): change role, name, password or deactivate."""

    password: str | None = Field(default=None, min_length=8, max_length=200)
    role: Role | None = None
    full_name: Annotated[str, one_line] | None = Field(default=None, max_length=200)
    is_active: bool | None = None


class UserPublic(Output):
    id: int
    username: str
    role: str
    full_name: str
    is_active: bool
    created_at: UTCInstantOut


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    role: str
    expires_in: int
