"""Alembic environment: the same metadata as the app, the URL from Fieldgoal's settings.

`backend.migrate` passes the URL as `config.attributes["url"]`; the `alembic` command falls back to the
settings from the environment.
"""

from alembic import context
from sqlalchemy import pool

from backend.db import make_engine
from backend.models import metadata
from backend.settings import Settings

config = context.config


def _url() -> str:
    return config.attributes.get("url") or Settings.from_env().database_url


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    # Batch mode lets ALTERs run on SQLite, which cannot alter most column properties in place.
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
