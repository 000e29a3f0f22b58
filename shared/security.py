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


def create_access_token(settings: Settings, *, user_id: int, role: str, token_version: int = 0) -> tuple[str, int]:
    """A signed token and its lifetime in seconds.

    `ver` is the user's token version when the token was issued: a password, role or active-flag
    change bumps the version, and every token carrying an older one stops working at once.
    """
    lifetime = settings.access_token_minutes * 60
    now = utcnow()
    claims = {"sub": str(user_id), "role": role, "ver": token_version, "iat": now,
              "exp": now + timedelta(seconds=lifetime)}
    return jwt.encode(claims, settings.signing_key(), algorithm="HS256"), lifetime


def decode_access_token(settings: Settings, token: str) -> dict[str, Any] | None:
    """The token's claims, or None when it is malformed, forged or expired (or predates token versions)."""
    try:
        return jwt.decode(token, settings.signing_key(), algorithms=["HS256"],
                          options={"require": ["exp", "sub", "ver"]})
    except jwt.PyJWTError:
        return None
