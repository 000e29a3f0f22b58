"""The password rule: long enough, not a common password, not the username.

One rule for every way a password is set (POST/PATCH /users, `posko user add`, `posko user
set-password`, the first admin), so a weak password cannot enter by a side door. The list of common
passwords ships with the project (shared/data/common_passwords.txt): guessing attacks try those first,
and a throttled login still lets an attacker try a few hundred names a day.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

MIN_LENGTH = 10
MAX_LENGTH = 200
COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent.parent / "data" / "common_passwords.txt"


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list, lower-cased (comparison is case-insensitive: "Bismillah123" is as weak)."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def password_problem(password: str, username: str | None = None) -> str | None:
    """Why `password` may not be used (an Indonesian message with an English gloss), or None."""
    if len(password) < MIN_LENGTH:
        return (f"kata sandi minimal {MIN_LENGTH} karakter "
                f"(password must be at least {MIN_LENGTH} characters)")
    if len(password) > MAX_LENGTH:
        return f"kata sandi maksimal {MAX_LENGTH} karakter (password must be at most {MAX_LENGTH} characters)"
    lowered = password.strip().lower()
    if username and lowered == username.strip().lower():
        return "kata sandi tidak boleh sama dengan nama pengguna (password must not equal the username)"
    if lowered in common_passwords():
        return ("kata sandi terlalu umum dan mudah ditebak; pilih yang lain "
                "(password is in the list of common passwords)")
    return None
