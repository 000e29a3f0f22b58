"""Password hashing (argon2) and access tokens (JWT, HS256, with expiry)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from shared.config import Settings
from shared.db import utcnow

_hasher = PasswordHasher()
# Verifying against this when the username is unknown keeps the answer time the same (no user enumeration).
_DUMMY_HASH = _hasher.hash("posko-no-such-user")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def create_access_token(settings: Settings, *, user_id: int, role: str) -> tuple[str, int]:
    """A signed token and its lifetime in seconds."""
    lifetime = settings.access_token_minutes * 60
    now = utcnow()
    claims = {"sub": str(user_id), "role": role, "iat": now, "exp": now + timedelta(seconds=lifetime)}
    return jwt.encode(claims, settings.secret_key, algorithm="HS256"), lifetime


def decode_access_token(settings: Settings, token: str) -> dict[str, Any] | None:
    """The token's claims, or None when it is malformed, forged or expired."""
    try:
        return jwt.decode(token, settings.secret_key, algorithms=["HS256"], options={"require": ["exp", "sub"]})
    except jwt.PyJWTError:
        return None
