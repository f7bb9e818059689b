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


T0, T1 = "2026-11-01 00:00:00", "2026-11-10 00:00:00"
# An open deal and a won one as revision 0001 stored them: no history, no reason.
_OLD_ROWS = [
    (
        "unit",
        {"id": "u1", "name": "co", "kind": "company", "timezone": "Asia/Shanghai", "path": "/u1/", "version": 1}
        | {"updated_at": T0},
    ),
    (
        "user",
        {"id": "p1", "email": "a@b.c", "name": "A", "role": "rep", "unit_id": "u1", "locale": "zh-CN"}
        | {"timezone": "Asia/Shanghai", "password_hash": "x", "active": True, "scope_epoch": 1, "version": 1}
        | {"created_at": T0, "updated_at": T0},
    ),
    (
        "customer",
        {"id": "c1", "name": "C", "owner_id": "p1", "status": "active", "version": 1, "field_versions": "{}"}
        | {"created_at": T0, "updated_at": T0},
    ),
    (
        "opportunity",
        {"id": "o-open", "customer_id": "c1", "owner_id": "p1", "stage": "proposal", "stage_changed_at": T1}
        | {"version": 3, "field_versions": "{}", "created_at": T0, "updated_at": T1},
    ),
    (
        "opportunity",
        {"id": "o-won", "customer_id": "c1", "owner_id": "p1", "stage": "won", "stage_changed_at": T1}
        | {"closed_at": "2026-11-12 00:00:00", "version": 5, "field_versions": "{}", "created_at": T0}
        | {"updated_at": T1},
    ),
]


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_0002_gives_every_existing_opportunity_one_history_row(kind: str, tmp_path: Path, request):
    engine = (
        make_engine(f"sqlite:///{tmp_path / 'm.db'}") if kind == "sqlite" else request.getfixturevalue("pg_engine")
    )
    _run(engine, ("upgrade", "0001"))
    with engine.begin() as connection:
        for table, values in _OLD_ROWS:
            names = ", ".join(values)
            connection.execute(
                text(f'INSERT INTO "{table}" ({names}) VALUES ({", ".join(":" + n for n in values)})'), values
            )
    _run(engine, ("upgrade", "0002"))
    with engine.connect() as connection:
        history = connection.execute(
            text(
                "SELECT opportunity_id, from_stage, to_stage, version, at FROM opportunity_stage_change ORDER BY 1"
            )
        ).all()
    assert [(h[0], h[1], h[2], h[3]) for h in history] == [
        ("o-open", None, "proposal", 3),
        ("o-won", None, "won", 5),
    ]
    # A closed deal entered its stage when it closed; an open one when its stage last changed.
    assert [str(h[4])[:10] for h in history] == ["2026-11-10", "2026-11-12"]
    _run(engine, ("downgrade", "0001"), ("upgrade", "head"))
    if kind == "sqlite":
        engine.dispose()
