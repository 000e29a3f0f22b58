"""`posko`: one console script for the whole product.

    posko run                 migrations, first admin, Redis (private if none answers), worker and API
    posko run --lan [--host ADDR]   also HTTPS on the LAN address for field phones (docs/operations.md)
    posko api | worker        one process of the stack
    posko worker --check      0 if this host's worker is healthy (the compose health check)
    posko db upgrade          schema migrations and reference data
    posko user add NAME --role ROLE --password-stdin
    posko user set-password NAME --password-stdin     reset a password (revokes the user's tokens)
    posko demo                a realistic Binjai flood to look at
    posko report event EVENT_ID --format pdf -o FILE [--as-of ISO]   laporan pasca bencana
    posko report renstra --year Y --format xlsx -o FILE              the Renstra indicator report
    posko verify EVENT_ID | --all [--no-repair]   snapshot verifier: 0 equal, 1 differences, 2 unknown event
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
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from services.progress import ProgressBar
from shared.config import ROOT, Settings, get_settings


def cmd_db_upgrade(settings: Settings) -> int:
    """Migrate, seed reference data, and create the first admin when there is none."""
    from shared.db import make_database
    from shared.migrate import upgrade
    from shared.services.accounts import ensure_admin

    upgrade(settings)
    print("database siap (schema at head, reference data seeded):", _safe_url(settings.database_url))
    from shared.errors import Invalid

    db = make_database(settings)
    try:
        generated = ensure_admin(db, settings.admin_password)
    except Invalid as err:
        raise SystemExit(f"POSKO_ADMIN_PASSWORD: {err.message}") from None
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
            print(f"{'.'.join(map(str, e['loc']))}: {e['msg'].removeprefix('Value error, ')}", file=sys.stderr)
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


def cmd_user_set_password(settings: Settings, args: argparse.Namespace) -> int:
    """Reset a password (a lost admin password can be recovered by whoever runs the server)."""
    from shared.db import make_database, write_unit
    from shared.domain.access import SYSTEM
    from shared.errors import DomainError, Invalid
    from shared.services.accounts import set_password

    if not args.password_stdin:
        print("gunakan --password-stdin (pass the password on standard input)", file=sys.stderr)
        return 2
    password = sys.stdin.readline().rstrip("\n")
    db = make_database(settings)
    try:
        with write_unit(db) as uow:
            user = set_password(uow, SYSTEM, args.username, password)
    except Invalid as err:
        print(f"password: {err.message}", file=sys.stderr)
        return 2
    except DomainError as err:
        print(err.message, file=sys.stderr)
        return 1
    finally:
        db.dispose()
    print(f"kata sandi {user.username} diganti; token lama tidak berlaku lagi "
          "(password reset; earlier tokens revoked)")
    return 0


def is_loopback(host: str) -> bool:
    """True for an address only this machine can reach (127.0.0.0/8, ::1, "localhost")."""
    import ipaddress

    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False  # a host name or 0.0.0.0-like wildcard may be reached from the network


def listen_refusal(settings: Settings) -> str | None:
    """Why the API may not listen on POSKO_HOST with this secret (None: it may).

    A development secret is one anybody can know: the old built-in default, a value shipped as an
    example (shared/config.PUBLIC_SECRETS) or one shorter than 32 bytes. Settings refuse those in every
    environment already; this is the last gate before a socket opens to the network, for settings
    built in-process. The secret generated in var/secret_key is private to this install and may
    listen anywhere; production requires POSKO_SECRET_KEY (Settings refuse to start without it).
    """
    from shared.config import secret_problem

    if is_loopback(settings.host) or settings.secret_key is None:
        return None
    problem = secret_problem(settings.secret_key)
    if problem is None:
        return None
    return (f"menolak mendengarkan di {settings.host} dengan rahasia pengembangan: {problem} "
            "(refusing a non-loopback address with a development secret)")


def cmd_api(settings: Settings) -> int:
    import uvicorn

    from services.api import live
    from services.api.middleware import install_log_redaction

    refusal = listen_refusal(settings)
    if refusal:
        print(refusal, file=sys.stderr)
        return 2
    settings.signing_key()  # create var/secret_key now (0600), not at the first login

    class Server(uvicorn.Server):
        """uvicorn, but websockets hear "going away" (1001, with a reason) before connections close."""

        async def shutdown(self, sockets: Any = None) -> None:
            await live.close_all()
            await super().shutdown(sockets)

    install_log_redaction()
    if settings.lan:  # `posko run --lan` / POSKO_LAN=true: also HTTPS on the LAN (services/lan/)
        return _serve_lan(settings, Server)
    from services.api.live.deflate import LiveWebSocketProtocol

    config = uvicorn.Config("services.api.main:create_app", factory=True, host=settings.host, port=settings.port,
                            log_level="info", access_log=settings.access_log, proxy_headers=False,
                            ws=LiveWebSocketProtocol)  # each live message compressed once (live/deflate.py)
    server = Server(config)
    server.run()
    return 0 if server.started else 3


def _serve_lan(settings: Settings, server_cls: Any) -> int:
    from services.lan.serve import serve
    from services.lan.site import LanUnavailable, prepare

    try:
        site = prepare(settings)
    except LanUnavailable as err:
        print(err, file=sys.stderr)
        return 2
    refusal = listen_refusal(settings.model_copy(update={"host": site.host}))
    if refusal:
        print(refusal, file=sys.stderr)
        return 2
    return serve(settings, site, server_cls)


def cmd_worker(settings: Settings, check: bool = False) -> int:
    from services.worker.main import check_worker, run_worker

    if check:  # the compose health check: the signals /readyz reads, for this host's worker
        return check_worker(settings)
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
    from shared.db import private_dir

    data_dir = private_dir(ROOT / "var" / "redis")  # the AOF holds queued jobs: this user only
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


def _exit_on_sigterm(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)


def cmd_run(settings: Settings) -> int:
    """The whole stack on one machine; Ctrl-C stops every part."""
    refusal = listen_refusal(settings)
    if refusal:
        print(refusal, file=sys.stderr)
        return 2
    settings.signing_key()  # the API and the worker are separate processes: one file, made before both
    cmd_db_upgrade(settings)
    children: list[subprocess.Popen[bytes]] = []
    if not _redis_answers(settings):
        children.append(_start_private_redis(settings))
    env = dict(os.environ, POSKO_DATABASE_URL=settings.database_url, POSKO_REDIS_URL=settings.redis_url)
    children.append(subprocess.Popen([sys.executable, "-m", "services.cli", "worker"], env=env, cwd=ROOT))
    print(f"Posko melayani di http://{settings.host}:{settings.port} (API docs: /docs)")
    # uvicorn stops on SIGTERM, then raises the signal again with the handler it found: without one of
    # ours that is the default (the process dies at once and the `finally` below never stops the worker
    # and Redis). Ours ends the process by an exception, so the children are stopped first.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
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
    from shared.errors import Invalid

    try:
        return run_demo(settings, persons=args.persons, seed=args.seed)
    except Invalid as err:  # the first admin's password breaks the password rule
        print(f"{'.'.join(map(str, err.loc[1:]))}: {err.message}", file=sys.stderr)
        return 2


def _parse_as_of(text: str | None) -> datetime | None:
    if text is None:
        return None
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError("--as-of harus memakai zona waktu, mis. 2026-01-03T12:00:00+07:00 (an offset is required)")
    return value


def cmd_report(settings: Settings, args: argparse.Namespace) -> int:
    """`posko report event …` and `posko report renstra …`: a report written to a file."""
    from shared.db import make_database, read_unit, utcnow

    requested = None
    if args.kind == "event":
        try:
            requested = _parse_as_of(args.as_of)
        except ValueError as err:
            print(f"--as-of: {err}", file=sys.stderr)
            return 2
    bar = ProgressBar()
    db = make_database(settings)
    try:
        if args.kind == "event":
            from shared.domain.access import SYSTEM, can_see_names
            from shared.errors import NotFound
            from shared.reports.event import build_event_report, report_as_of
            from shared.reports.render import render_event_report
            from shared.services.events import visible_event

            stages = {"memuat data": (0.0, 0.4), "menyusun bagian": (0.4, 0.5), "menghitung seri harian": (0.5, 0.8)}

            def progress(what: str, done: int, total: int) -> None:
                lo, hi = stages.get(what, (0.0, 0.8))
                bar.show(lo + (hi - lo) * (done / total if total else 1), f"{what} {done}/{total}")

            bar.show(0, "membuka basis data")
            with read_unit(db) as session:
                try:
                    event = visible_event(session, SYSTEM, args.event_id)
                except NotFound:
                    print(f"kejadian {args.event_id} tidak ditemukan (event not found)", file=sys.stderr)
                    return 1
                now = utcnow()
                as_of = report_as_of(event, requested, now)
                report = build_event_report(session, event, as_of, settings.tz,
                                            with_names=can_see_names(SYSTEM) and not args.no_names, now=now,
                                            progress=progress)
            bar.show(0.8, f"menyusun {args.format.upper()}")
            body, _, _ = render_event_report(report, args.format)
        else:
            bar.show(0, "membuka basis data")
            from shared.reports.render import render_renstra_report
            from shared.reports.renstra import build_renstra_report

            with read_unit(db) as session:
                bar.show(0.1, f"menghitung indikator Renstra {args.year}")
                report = build_renstra_report(session, args.year, settings.tz, utcnow())
            bar.show(0.8, f"menyusun {args.format.upper()}")
            body, _, _ = render_renstra_report(report, args.format)
    finally:
        db.dispose()
    Path(args.output).write_bytes(body)
    bar.show(1.0, f"selesai: {len(body):,} byte")
    bar.done()
    print(f"laporan ditulis ke {args.output} (report written)")
    return 0


def cmd_purge(settings: Settings, args: argparse.Namespace) -> int:
    """Retention (docs/personal-data.md): anonymise the persons of events that ended more than
    POSKO_RETENTION_DAYS ago and delete replay records older than POSKO_REPLAY_DAYS. Safe to repeat."""
    from shared.db import make_database, read_unit, utcnow, write_unit
    from shared.services import privacy

    now = utcnow()
    if args.now:
        now = datetime.fromisoformat(args.now)
        if now.tzinfo is None:
            print("--now perlu zona waktu, mis. 2027-01-01T00:00:00+07:00 (needs an offset)", file=sys.stderr)
            return 2
    db = make_database(settings)
    try:
        with read_unit(db) as session:
            due = privacy.events_due(session, settings, now)
        persons = 0
        for event_id in due:  # one transaction per event: a long purge never holds the writer for long
            with write_unit(db) as uow:
                done = privacy.purge_event(uow, event_id, now)
            if done:
                print(f"kejadian {event_id}: {done} orang dianonimkan (persons anonymised)")
            persons += done
        with write_unit(db) as uow:
            replays = privacy.purge_replays(uow, settings, now)
    finally:
        db.dispose()
    print(f"selesai: {persons} orang dianonimkan, {replays} salinan replay dihapus "
          f"(done: {persons} persons anonymised, {replays} replay records deleted)")
    return 0


def cmd_verify(settings: Settings, args: argparse.Namespace) -> int:
    """Verify the snapshot of one event (or of every open event) against one computed from scratch
    (shared/services/verify.py), repairing differences unless `--no-repair`. Exit 0 when every event was
    equal, 1 when differences were found, 2 for an unknown event (or neither an id nor --all)."""
    from shared.db import make_database, read_unit
    from shared.queue import Dispatcher
    from shared.repositories.needs_inputs import open_event_ids
    from shared.services.verify import verify_event

    if bool(args.event_id) == bool(args.all):
        print("sebutkan satu EVENT_ID atau --all (give one EVENT_ID or --all)", file=sys.stderr)
        return 2
    db = make_database(settings)
    found = False
    repaired: list[str] = []
    try:
        if args.all:
            with read_unit(db) as session:
                event_ids = open_event_ids(session)
        else:
            event_ids = [args.event_id]
        for event_id in event_ids:
            result = verify_event(db, event_id, settings.tz, repair=not args.no_repair)
            if result is None:
                print(f"kejadian {event_id} tidak ditemukan (event not found)", file=sys.stderr)
                return 2
            if result.clean:
                print(f"kejadian {event_id}: snapshot sesuai (snapshot matches), data_seq {result.data_seq}")
                continue
            found = True
            print(f"kejadian {event_id}: snapshot BERBEDA (snapshot differs), data_seq {result.data_seq}:")
            for path in result.mismatches:
                print(f"  hitungan (computed): {path}")
            for path in result.stored_mismatches:
                print(f"  tersimpan (stored): {path}")
            if result.repaired:
                repaired.append(event_id)
                stored = f"seq {result.stored_seq}" if result.stored_seq else "tidak disimpan: ada yang lebih baru (not stored: a newer one exists)"
                print(f"  diperbaiki (repaired): total berjalan dihitung ulang, snapshot acuan disimpan ({stored}) "
                      "(running totals recounted, reference snapshot stored)")
            else:
                print("  tidak diperbaiki (--no-repair) (not repaired)")
    finally:
        db.dispose()
    if repaired:  # dashboards get the repaired snapshot: a recompute publishes it (best effort)
        dispatcher = Dispatcher(settings)
        try:
            for event_id in repaired:
                dispatcher.event_changed(event_id, force=True)
        finally:
            dispatcher.close()
    if not event_ids:
        print("tidak ada kejadian terbuka (no open events)")
    return 1 if found else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="posko", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="the whole stack on this machine")
    run.add_argument("--lan", action="store_true",
                     help="also serve HTTPS on the LAN address for field phones, with a local certificate authority")
    run.add_argument("--host", help="with --lan: the LAN address phones use (POSKO_LAN_HOST; default: found)")
    sub.add_parser("api", help="the HTTP API (and web pages)")
    worker = sub.add_parser("worker", help="an RQ worker with the outbox relay")
    worker.add_argument("--check", action="store_true",
                        help="exit 0 if this host's worker is healthy (heartbeat, outbox lag, scheduler), else 1")
    db = sub.add_parser("db", help="database tasks")
    db.add_argument("action", choices=["upgrade"])
    user = sub.add_parser("user", help="accounts")
    user_sub = user.add_subparsers(dest="action", required=True)
    add = user_sub.add_parser("add", help="create a user")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=["admin", "posko", "relawan", "pengamat"])
    add.add_argument("--full-name", default="")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    reset = user_sub.add_parser("set-password", help="reset a user's password (revokes their tokens)")
    reset.add_argument("username")
    reset.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    demo = sub.add_parser("demo", help="load a realistic Binjai flood")
    demo.add_argument("--persons", type=int, default=500)
    demo.add_argument("--seed", type=int, default=2026)
    report = sub.add_parser("report", help="reports to a file: laporan pasca bencana, Renstra")
    report_sub = report.add_subparsers(dest="kind", required=True)
    event_report = report_sub.add_parser("event", help="laporan pasca bencana of one event")
    event_report.add_argument("event_id")
    event_report.add_argument("--format", choices=["json", "csv", "xlsx", "pdf"], default="pdf")
    event_report.add_argument("-o", "--output", required=True, help="file to write")
    event_report.add_argument("--as-of", help="ISO 8601 instant with an offset (default: now, or the event's end)")
    event_report.add_argument("--no-names", action="store_true",
                              help="leave out the names of persons not fulfilled (a report to share with observers)")
    renstra = report_sub.add_parser("renstra", help="the Renstra indicator report of a year")
    renstra.add_argument("--year", type=int, required=True)
    renstra.add_argument("--format", choices=["json", "csv", "xlsx", "pdf"], default="xlsx")
    renstra.add_argument("-o", "--output", required=True, help="file to write")
    purge = sub.add_parser("purge", help="retention: anonymise persons of long-ended events, drop old replay records")
    purge.add_argument("--now", help="ISO 8601 instant with an offset to purge as of (default: now)")
    verify = sub.add_parser("verify", help="compare events' snapshots with ones computed from scratch; repair")
    verify.add_argument("event_id", nargs="?", help="the event to verify")
    verify.add_argument("--all", action="store_true", help="every open event (not selesai)")
    verify.add_argument("--no-repair", action="store_true",
                        help="only report differences: leave the running totals and the stored snapshot as they are")
    return parser


def main(argv: list[str] | None = None) -> int:
    from pydantic import ValidationError

    args = build_parser().parse_args(argv)
    try:
        settings = get_settings()
    except ValidationError as err:  # a bad POSKO_* value: say which and why, without a traceback
        for e in err.errors(include_url=False, include_input=False):
            where = ".".join(map(str, e["loc"]))
            print(f"pengaturan tidak sah{' ' + where if where else ''}: {e['msg'].removeprefix('Value error, ')} "
                  "(invalid setting)", file=sys.stderr)
        return 2
    if args.command == "run" and (args.lan or args.host):
        if not args.lan:
            print("--host hanya bersama --lan; alamat biasa diatur dengan POSKO_HOST "
                  "(--host goes with --lan; use POSKO_HOST otherwise)", file=sys.stderr)
            return 2
        try:
            settings = Settings(lan=True, lan_host=args.host or settings.lan_host)
        except ValidationError as err:
            print(f"--host: {err.errors()[0]['msg'].removeprefix('Value error, ')}", file=sys.stderr)
            return 2
    if args.command == "report":
        args.output = os.path.abspath(args.output)  # relative to where the command was given
    os.chdir(Path(ROOT))
    if args.command == "run":
        return cmd_run(settings)
    if args.command == "api":
        return cmd_api(settings)
    if args.command == "worker":
        return cmd_worker(settings, args.check)
    if args.command == "db":
        return cmd_db_upgrade(settings)
    if args.command == "user":
        if args.action == "set-password":
            return cmd_user_set_password(settings, args)
        return cmd_user_add(settings, args)
    if args.command == "demo":
        return cmd_demo(settings, args)
    if args.command == "report":
        return cmd_report(settings, args)
    if args.command == "purge":
        return cmd_purge(settings, args)
    if args.command == "verify":
        return cmd_verify(settings, args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
