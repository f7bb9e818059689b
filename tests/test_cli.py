"""The `fieldgoal` command as an operator runs it: a real process, settings from the environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db import make_engine
from backend.org.models import Unit, User


def _run(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDGOAL_")} | {
        "FIELDGOAL_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "FIELDGOAL_DATA_DIR": str(tmp_path / "data"),
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
    }
    return subprocess.run(
        [sys.executable, "-m", "backend.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )


def test_user_create_reads_the_password_from_stdin_and_refuses_bad_input(tmp_path: Path):
    first = _run(
        tmp_path,
        *("user", "create", "--email", "Boss@Example.com", "--name", "老板", "--role", "admin"),
        *("--unit", "远航工业", "--password-stdin"),
        stdin="a-long-password\n",
    )
    assert first.returncode == 0, first.stderr
    assert "created admin boss@example.com" in first.stdout
    again = _run(
        tmp_path,
        *("user", "create", "--email", "boss@example.com", "--name", "x", "--role", "rep", "--unit", "远航工业"),
        "--password-stdin",
        stdin="another-password\n",
    )
    assert again.returncode == 1
    assert "email: is already in use" in again.stderr
    short = _run(
        tmp_path,
        *("user", "create", "--email", "b@example.com", "--name", "x", "--role", "rep", "--unit", "nowhere"),
        "--password-stdin",
        stdin="another-password\n",
    )
    assert (short.returncode, short.stderr.strip().splitlines()[-1]) == (1, "fieldgoal: no unit 'nowhere'")
    engine = make_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    with Session(engine) as session:
        user = session.scalars(select(User)).one()
        unit = session.scalars(select(Unit)).one()
    engine.dispose()
    assert (user.email, user.role, user.unit_id, unit.name, unit.parent_id) == (
        "boss@example.com",
        "admin",
        unit.id,
        "远航工业",
        None,
    )
    assert user.password_hash.startswith("$argon2id$")


def test_vapid_makes_a_key_once_and_says_where_it_is(tmp_path: Path):
    first = _run(tmp_path, "vapid")
    second = _run(tmp_path, "vapid")
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    key_line, where_line = first.stdout.strip().splitlines()
    assert key_line.startswith("applicationServerKey: B")  # an uncompressed P-256 point, base64url
    assert where_line == f"kept in: {tmp_path / 'data' / 'vapid_private.pem'}"


def test_a_placeholder_secret_stops_the_command(tmp_path: Path):
    env_file = tmp_path / ".env"
    env_file.write_text("FIELDGOAL_SECRET_KEY=changethis\n")
    result = _run(tmp_path, "db", "upgrade")
    assert result.returncode == 2
    assert "FIELDGOAL_SECRET_KEY is a known placeholder" in result.stderr


def test_user_create_checks_the_address_like_the_api(tmp_path: Path):
    """The command goes through the same validator: markup is refused, a full-width look-alike is taken."""
    create = ("user", "create", "--name", "x", "--role", "admin", "--unit", "远航工业", "--password-stdin")
    first = _run(tmp_path, *create, "--email", "Boss@Example.com", stdin="a-long-password\n")
    assert first.returncode == 0, first.stderr
    markup = _run(tmp_path, *create, "--email", 'a@b.c"<script>', stdin="a-long-password\n")
    assert (markup.returncode, markup.stderr.strip()) == (1, "fieldgoal: email: is not a valid email address")
    look_alike = _run(tmp_path, *create, "--email", "ＢＯＳＳ＠example.com", stdin="a-long-password\n")
    assert (look_alike.returncode, look_alike.stderr.strip()) == (1, "fieldgoal: email: is already in use")
