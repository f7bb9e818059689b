"""The `fieldgoal` command as an operator runs it: a real process, settings from the environment."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend import cli
from backend.db import make_engine
from backend.org.models import Unit, User
from tests.conftest import need

REPO = Path(__file__).resolve().parents[1]


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


def test_serve_listens_where_it_is_told_and_on_loopback_port_8000_by_default():
    parser = cli.build_parser()
    told = parser.parse_args(["serve", "--host", "0.0.0.0", "--port", "8001", "--workers", "3", "--no-worker"])
    assert (told.host, told.port, told.workers, told.no_worker) == ("0.0.0.0", 8001, 3, True)
    default = parser.parse_args(["serve"])
    assert (default.host, default.port, default.workers, default.no_worker) == ("127.0.0.1", 8000, 1, False)
    with pytest.raises(SystemExit) as refused:
        parser.parse_args(["serve", "--port", "eighty"])
    assert refused.value.code == 2


def test_serve_hands_the_host_and_port_to_the_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import backend.server

    served: dict[str, Any] = {}

    def fake_serve(settings: object, **options: Any) -> int:
        served.update(options)
        return 0

    monkeypatch.setattr(backend.server, "serve", fake_serve)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FIELDGOAL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FIELDGOAL_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    assert cli.main(["serve", "--host", "0.0.0.0", "--port", "8001", "--no-worker"]) == 0
    assert served == {"host": "0.0.0.0", "port": 8001, "workers": 1, "worker": False}


def test_make_run_passes_its_port_and_host_to_fieldgoal_serve():
    need(shutil.which("make") is not None, "make is not installed")

    def dry_run(*variables: str) -> list[str]:
        result = subprocess.run(
            ["make", "--dry-run", "--always-make", "run", *variables],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
            env={k: v for k, v in os.environ.items() if k not in ("HOST", "PORT")} | {"HOST": "example"},
        )
        assert result.returncode == 0, result.stderr
        return [line for line in result.stdout.splitlines() if "fieldgoal serve" in line]

    assert dry_run() == [
        "FIELDGOAL_DEMO=${FIELDGOAL_DEMO:-1} .venv/bin/fieldgoal serve --host 127.0.0.1 --port 8000"
    ]
    (line,) = dry_run("PORT=8001", "HOST=0.0.0.0")
    assert line.endswith("fieldgoal serve --host 0.0.0.0 --port 8001")
    # `make run` installs the app alone: the test tools come with `make test` and `make check`.
    install = subprocess.run(
        ["make", "--dry-run", "--always-make", "run"], cwd=REPO, capture_output=True, text=True, timeout=60
    ).stdout
    assert "pip install --quiet -e .\n" in install
    assert "[test]" not in install
