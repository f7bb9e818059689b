"""The `fieldgoal` command (CONTRACT.md): serve, worker, db, demo, user create, vapid."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from backend.settings import Settings, SettingsError


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Alembic narrates every plugin it loads at INFO; an operator wants to hear only of problems.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        settings = Settings.from_env().with_generated_secrets()
    except SettingsError as exc:
        print(f"fieldgoal: {exc}", file=sys.stderr)
        return 2
    return int(_run(args, settings) or 0)


def build_parser() -> argparse.ArgumentParser:
    """The command line: every command, its options and their defaults."""
    parser = argparse.ArgumentParser(prog="fieldgoal", description="Sales performance for field teams.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="migrate to head, then serve")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default: %(default)s)")
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--no-worker", action="store_true", help="do not run the background worker in-process")

    commands.add_parser("worker", help="the background worker alone")

    db = commands.add_parser("db", help="database migrations")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="migrate to the newest schema")
    down = db_commands.add_parser("downgrade", help="migrate down to a revision")
    down.add_argument("revision")

    demo = commands.add_parser("demo", help="seed a realistic demo company")
    demo.add_argument("--reps", type=int, default=40)
    demo.add_argument("--months", type=int, default=6)
    demo.add_argument("--seed", type=int, default=7)

    user = commands.add_parser("user", help="manage users")
    user_commands = user.add_subparsers(dest="user_command", required=True)
    create = user_commands.add_parser("create", help="create a user")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--role", required=True, choices=("rep", "lead", "manager", "admin"))
    create.add_argument("--unit", required=True, help="unit id or exact unit name")
    create.add_argument("--password-stdin", action="store_true", required=True)

    commands.add_parser("vapid", help="make (or show) the VAPID key pair")
    return parser


def _run(args: argparse.Namespace, settings: Settings) -> int | None:
    from backend import migrate

    if args.command == "db":
        if args.db_command == "upgrade":
            migrate.upgrade(settings.database_url)
        else:
            migrate.downgrade(settings.database_url, args.revision)
        return 0
    if args.command == "serve":
        from backend.server import serve

        return serve(settings, host=args.host, port=args.port, workers=args.workers, worker=not args.no_worker)
    if args.command == "worker":
        from backend.worker import run_forever

        migrate.upgrade(settings.database_url)
        run_forever(settings)
        return 0
    if args.command == "demo":
        from backend.demo import print_sign_ins, seed_demo

        migrate.upgrade(settings.database_url)
        sign_ins = seed_demo(settings, reps=args.reps, months=args.months, seed=args.seed)
        print_sign_ins(sign_ins)
        return 0
    if args.command == "user":
        return _create_user(args, settings)
    if args.command == "vapid":
        from backend.push.keys import load_or_create_vapid_key

        key = load_or_create_vapid_key(settings.data_dir, settings.vapid_private_key)
        where = key.path if key.path else "FIELDGOAL_VAPID_PRIVATE_KEY"
        print(f"applicationServerKey: {key.application_server_key}\nkept in: {where}")
        return 0
    return 2


def _create_user(args: argparse.Namespace, settings: Settings) -> int:
    from sqlalchemy import or_
    from sqlmodel import select

    import backend.models  # noqa: F401  (the tables and every synced entity's declaration)
    from backend import migrate
    from backend.db import make_engine, session_scope, utcnow
    from backend.errors import FieldgoalError, to_problem
    from backend.org.models import Unit
    from backend.org.service import create_user
    from backend.policy import Actor

    password = sys.stdin.readline().rstrip("\n")
    migrate.upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            unit = session.scalars(select(Unit).where(or_(Unit.id == args.unit, Unit.name == args.unit))).first()
            if unit is None and session.scalars(select(Unit.id)).first() is None:
                # A fresh install: the first user's unit becomes the root of the tree.
                unit = Unit(name=args.unit, kind="company", path="")
                unit.path = f"/{unit.id}/"
                session.add(unit)
                session.flush()
            if unit is None:
                print(f"fieldgoal: no unit {args.unit!r}", file=sys.stderr)
                return 1
            # The command line is the operator: it acts as an admin of the whole tree.
            operator = Actor("cli", "cli@localhost", "cli", "admin", unit.id, unit.path, "en", "UTC")
            data = {
                "email": args.email,
                "name": args.name,
                "role": args.role,
                "unit_id": unit.id,
                "password": password,
            }
            user = create_user(
                session, operator, data, utcnow(), settings.max_text_chars, audit=False, must_change_password=False
            )
            print(f"created {user.role} {user.email} ({user.id})")
    except FieldgoalError as exc:
        problem = to_problem(exc, "en")
        print(f"fieldgoal: {problem.get('detail') or problem['title']}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
