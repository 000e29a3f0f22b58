"""Accounts and event membership."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from shared.models.base import created_at


class User(SQLModel, table=True):
    """A person who logs in: admin, posko, relawan or pengamat."""

    __tablename__ = "users"
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    full_name: str = Field(default="", max_length=200)
    role: str = Field(max_length=20)
    password_hash: str = Field(max_length=300)
    is_active: bool = True
    # Bumped by a password, role or active-flag change: tokens carry the version they were issued
    # under, and a token with an older one is refused at once by every API process.
    token_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    created_at: datetime = created_at()


class EventMember(SQLModel, table=True):
    """A user assigned to an event; relawan may only see and write the events they belong to."""

    __tablename__ = "event_members"
    event_id: str = Field(primary_key=True, foreign_key="events.id", max_length=36)
    user_id: int = Field(primary_key=True, foreign_key="users.id", index=True)
    added_by: int | None = None
    created_at: datetime = created_at()
