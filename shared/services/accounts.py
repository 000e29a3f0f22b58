"""Use cases for accounts, logins and the first admin."""

from __future__ import annotations

import secrets

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from shared.db import Database, UnitOfWork, write_unit
from shared.domain.access import Actor, can_manage_users
from shared.domain.passwords import password_problem
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.models import User
from shared.repositories import users as user_repo
from shared.schemas.auth import UserCreate, UserUpdate
from shared.security import hash_password, verify_password
from shared.services.bookkeeping import record_audit


def create_user(uow: UnitOfWork, actor: Actor, data: UserCreate) -> User:
    if not can_manage_users(actor):
        raise Forbidden("hanya admin yang dapat membuat pengguna (only admin creates users)")
    if user_repo.get_by_username(uow.session, data.username) is not None:
        raise Conflict(f"nama pengguna {data.username} sudah dipakai (username taken)")
    user = User(username=data.username, full_name=data.full_name, role=data.role,
                password_hash=hash_password(data.password))
    try:
        with uow.session.begin_nested():
            user_repo.add_user(uow.session, user)
    except IntegrityError as exc:
        raise Conflict(f"nama pengguna {data.username} sudah dipakai (username taken)") from exc
    record_audit(uow, actor, "user.create", "user", str(user.id))
    return user


def update_user(uow: UnitOfWork, actor: Actor, user_id: int, data: UserUpdate) -> User:
    if not can_manage_users(actor):
        raise Forbidden("hanya admin yang dapat mengubah pengguna (only admin changes users)")
    user = user_repo.get_user(uow.session, user_id)
    if user is None:
        raise NotFound("pengguna tidak ditemukan (user not found)")
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    actions: list[str] = []
    if "password" in changes:
        password = changes.pop("password")
        problem = password_problem(password, user.username)
        if problem:
            raise Invalid("password", problem)
        user.password_hash = hash_password(password)
        actions.append("user.password_change")
    if "role" in changes and changes["role"] != user.role:
        actions.append("user.role_change")
    if "is_active" in changes and changes["is_active"] != user.is_active:
        actions.append("user.disable" if not changes["is_active"] else "user.enable")
    _keep_an_admin(uow, user, changes)
    for name, value in changes.items():
        setattr(user, name, value)
    if set(actions) & {"user.password_change", "user.role_change", "user.disable"}:
        revoke_tokens(user)
    uow.session.add(user)
    record_audit(uow, actor, "user.update", "user", str(user.id))
    for action in actions:
        record_audit(uow, actor, action, "user", str(user.id))
    return user


def _keep_an_admin(uow: UnitOfWork, user: User, changes: dict[str, object]) -> None:
    """Refuse a change that leaves no active admin: nobody could manage accounts from the API again
    (only `posko user set-password` on the server would help)."""
    stays_admin = changes.get("role", user.role) == "admin" and changes.get("is_active", user.is_active)
    if user.role != "admin" or not user.is_active or stays_admin:
        return
    if user_repo.count_active_admins(uow.session) <= 1:
        field = "is_active" if changes.get("is_active") is False else "role"
        raise Conflict(f"{field}: ini admin aktif terakhir; buat atau aktifkan admin lain dulu "
                       "(the last active admin cannot be disabled or demoted)")


def reset_password(uow: UnitOfWork, actor: Actor, user_id: int) -> tuple[User, str]:
    """A new random password for `user_id`, returned once for the admin to hand over; every token of
    the user is revoked. The password is never stored or logged in clear (only its hash)."""
    if not can_manage_users(actor):
        raise Forbidden("hanya admin yang dapat mengatur ulang kata sandi (only admin resets passwords)")
    user = user_repo.get_user(uow.session, user_id)
    if user is None:
        raise NotFound("pengguna tidak ditemukan (user not found)")
    password = generated_password()
    user.password_hash = hash_password(password)
    revoke_tokens(user)
    uow.session.add(user)
    record_audit(uow, actor, "user.password_reset", "user", str(user.id))
    return user, password


def generated_password() -> str:
    """16 characters from an alphabet without look-alikes (0/O, 1/l/I), about 90 bits: easy to read
    aloud or copy from a screen, and always passes the password rules."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(16))
        if password_problem(password) is None:
            return password


def revoke_tokens(user: User) -> None:
    """Every token issued to `user` so far stops working at the next request (any API process)."""
    user.token_version = (user.token_version or 0) + 1


def set_password(uow: UnitOfWork, actor: Actor, username: str, password: str) -> User:
    """Reset a password from the command line (a lost admin password); revokes the user's tokens."""
    user = user_repo.get_by_username(uow.session, username)
    if user is None:
        raise NotFound(f"pengguna {username} tidak ditemukan (user not found)")
    problem = password_problem(password, user.username)
    if problem:
        raise Invalid("password", problem)
    user.password_hash = hash_password(password)
    revoke_tokens(user)
    uow.session.add(user)
    record_audit(uow, actor, "user.password_reset", "user", str(user.id))
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with these credentials, or None (same work whether or not the user exists)."""
    user = user_repo.get_by_username(session, username)
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        return None
    return user


def ensure_admin(db: Database, password: str | None) -> str | None:
    """Create the first admin when there is none; returns a generated password to print once."""
    with write_unit(db) as uow:
        if user_repo.count_admins(uow.session):
            return None
        generated = None
        if not password:
            generated = password = secrets.token_urlsafe(15)  # 20 characters, ~120 bits
        problem = password_problem(password, "admin")
        if problem:
            raise Invalid("POSKO_ADMIN_PASSWORD", problem)
        user_repo.add_user(uow.session, User(username="admin", full_name="Administrator", role="admin",
                                             password_hash=hash_password(password)))
        return generated
