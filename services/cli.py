"""`posko`: one console script for the whole product.

    posko run                 migrations, first admin, Redis (private if none answers), worker and API
    posko api | worker        one process of the stack
    posko db upgrade          schema migrations and reference data
    posko user add NAME --role ROLE --password-stdin
    posko demo                a realistic Binjai flood to look at
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

from shared.config import ROOT, Settings, get_settings


def cmd_db_upgrade(settings: Settings) -> int:
    """Migrate, seed reference data, and create the first admin when there is none."""
    from shared.db import make_database
    from shared.migrate import upgrade
    from shared.services.accounts import ensure_admin

    upgrade(settings)
    print("database siap (schema at head, reference data seeded):", _safe_url(settings.database_url))
    db = make_database(settings)
    try:
        generated = ensure_admin(db, settings.admin_password)
    finally:
        db.dispose()
    if generated:
        print("=" * 60)
        print("Admin pertama dibuat / first admin created:")
        print("  username: admin")
        print(f"  password: {generated}")
        print("Simpan sekarang: kata sandi ini tidak ditampilkan lagi (shown once).")
        print("=" * 60)
    return 0


def _safe_url(url: str) -> str:
    parsed = urlparse(url)
    if parsed.password:
        return url.replace(parsed.password, "***")
    return url


def cmd_user_add(settings: Settings, args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from shared.db import make_database, write_unit
    from shared.domain.access import SYSTEM
    from shared.errors import DomainError
    from shared.schemas.auth import UserCreate
    from shared.services.accounts import create_user

    if not args.password_stdin:
        print("gunakan --password-stdin (pass the password on standard input)", file=sys.stderr)
        return 2
    password = sys.stdin.readline().rstrip("\n")
    try:
        data = UserCreate(username=args.username, password=password, role=args.role, full_name=args.full_name or "")
    except ValidationError as err:
        for e in err.errors(include_input=False):
            print(f"{'.'.join(map(str, e['loc']))}: {e['msg']}", file=sys.stderr)
        return 2
    db = make_database(settings)
    try:
        with write_unit(db) as uow:
            user = create_user(uow, SYSTEM, data)
    except DomainError as err:
        print(err.message, file=sys.stderr)
        return 1
    finally:
        db.dispose()
    print(f"pengguna {user.username} ({user.role}) dibuat dengan id {user.id}")
    return 0


def cmd_api(settings: Settings) -> int:
    import uvicorn

    from services.api.middleware import install_log_redaction

    install_log_redaction()
    uvicorn.run("services.api.main:create_app", factory=True, host=settings.host, port=settings.port,
                log_level="info", access_log=settings.access_log, proxy_headers=False)
    return 0


def cmd_worker(settings: Settings) -> int:
    from services.worker.main import run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run_worker(settings)
    return 0


def _redis_answers(settings: Settings) -> bool:
    import redis

    from shared.redis import connect

    try:
        return bool(connect(settings, timeout=0.5).ping())
    except redis.RedisError:
        return False


def _start_private_redis(settings: Settings) -> subprocess.Popen[bytes]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server tidak ditemukan; jalankan `make run` (it installs redis-server) "
                         "or set POSKO_REDIS_URL to a running Redis")
    url = urlparse(settings.redis_url)
    data_dir = ROOT / "var" / "redis"
    data_dir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen([binary, "--port", str(url.port or 6379), "--bind", url.hostname or "127.0.0.1",
                             "--appendonly", "yes", "--dir", str(data_dir), "--save", ""],
                            stdout=subprocess.DEVNULL)
    for _ in range(50):
        if _redis_answers(settings):
            print(f"redis pribadi berjalan di {settings.redis_url} (private redis-server, AOF in {data_dir})")
            return proc
        time.sleep(0.1)
    proc.terminate()
    raise SystemExit("redis-server tidak mau berjalan (private redis-server did not start)")


def cmd_run(settings: Settings) -> int:
    """The whole stack on one machine; Ctrl-C stops every part."""
    cmd_db_upgrade(settings)
    children: list[subprocess.Popen[bytes]] = []
    if not _redis_answers(settings):
        children.append(_start_private_redis(settings))
    env = dict(os.environ, POSKO_DATABASE_URL=settings.database_url, POSKO_REDIS_URL=settings.redis_url)
    children.append(subprocess.Popen([sys.executable, "-m", "services.cli", "worker"], env=env, cwd=ROOT))
    print(f"Posko melayani di http://{settings.host}:{settings.port} (API docs: /docs)")
    try:
        return cmd_api(settings)
    finally:
        for child in reversed(children):
            child.send_signal(signal.SIGTERM)
        for child in reversed(children):
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    from services.demo import run_demo

    return run_demo(settings, persons=args.persons, seed=args.seed)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="posko", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="the whole stack on this machine")
    sub.add_parser("api", help="the HTTP API (and web pages)")
    sub.add_parser("worker", help="an RQ worker with the outbox relay")
    db = sub.add_parser("db", help="database tasks")
    db.add_argument("action", choices=["upgrade"])
    user = sub.add_parser("user", help="accounts")
    user_sub = user.add_subparsers(dest="action", required=True)
    add = user_sub.add_parser("add", help="create a user")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=["admin", "posko", "relawan", "pengamat"])
    add.add_argument("--full-name", default="")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    demo = sub.add_parser("demo", help="load a realistic Binjai flood")
    demo.add_argument("--persons", type=int, default=500)
    demo.add_argument("--seed", type=int, default=2026)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = get_settings()
    os.chdir(Path(ROOT))
    if args.command == "run":
        return cmd_run(settings)
    if args.command == "api":
        return cmd_api(settings)
    if args.command == "worker":
        return cmd_worker(settings)
    if args.command == "db":
        return cmd_db_upgrade(settings)
    if args.command == "user":
        return cmd_user_add(settings, args)
    if args.command == "demo":
        return cmd_demo(settings, args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
