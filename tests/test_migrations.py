"""Alembic builds exactly the models' schema, forwards, backwards and forwards again, on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from backend.db import make_engine
from backend.migrate import alembic_config
from backend.models import metadata


def _run(engine: Engine, *steps: tuple[str, str]) -> None:
    for direction, revision in steps:
        with engine.begin() as connection:
            config = alembic_config(str(engine.url))
            config.attributes["connection"] = connection
            getattr(command, direction)(config, revision)


def _drift(engine: Engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, metadata)


def _check_round_trip(engine: Engine) -> None:
    _run(engine, ("upgrade", "head"))
    assert _drift(engine) == []
    with engine.connect() as connection:
        assert connection.execute(text("SELECT last_seq FROM sync_state WHERE id = 1")).scalar_one() == 0
    _run(engine, ("downgrade", "base"))
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    _run(engine, ("upgrade", "head"))
    assert _drift(engine) == []


def test_migrations_round_trip_on_sqlite(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    _check_round_trip(engine)
    engine.dispose()


def test_migrations_round_trip_on_postgresql(pg_engine: Engine):
    _check_round_trip(pg_engine)


def test_every_table_has_a_migration():
    assert {"visit", "customer", "change_log", "sync_receipt", "goal"} <= set(metadata.tables)


@pytest.mark.parametrize("revision", ["head"])
def test_fieldgoal_db_upgrade_command(tmp_path: Path, revision: str, monkeypatch: pytest.MonkeyPatch):
    from backend.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FIELDGOAL_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("FIELDGOAL_DATA_DIR", str(tmp_path / "data"))
    assert main(["db", "upgrade"]) == 0
    engine = make_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    assert "visit" in inspect(engine).get_table_names()
    assert main(["db", "downgrade", "base"]) == 0
    assert "visit" not in inspect(engine).get_table_names()
    engine.dispose()
