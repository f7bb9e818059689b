"""Starting on an empty database: the configured admin is created once, with a root unit to manage."""

from __future__ import annotations

from pathlib import Path

from litestar.testing import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from backend.app import create_app
from backend.org.models import Unit, User
from backend.settings import Settings


def _start(engine: Engine, tmp_path: Path, password: str = "first-password-1") -> TestClient:
    settings = Settings(
        database_url="sqlite://",
        data_dir=tmp_path / "data",
        admin_email="Root@Example.com",
        admin_password=password,
    )
    return TestClient(create_app(settings, engine=engine))


def test_the_configured_admin_is_created_once_with_a_root_unit(engine: Engine, tmp_path: Path):
    with _start(engine, tmp_path) as client:
        login = client.post(
            "/api/v1/auth/login", json={"email": "root@example.com", "password": "first-password-1"}
        )
        assert login.status_code == 200
        assert login.json()["user"]["role"] == "admin"
        units = client.get("/api/v1/units", headers={"Authorization": f"Bearer {login.json()['token']}"}).json()
        assert [(u["kind"], u["parent_id"]) for u in units] == [("company", None)]
    # A restart with another password changes nothing: the admin exists.
    with _start(engine, tmp_path, password="second-password-2") as client:
        again = client.post(
            "/api/v1/auth/login", json={"email": "root@example.com", "password": "first-password-1"}
        )
        assert again.status_code == 200
    with Session(engine) as session:
        assert session.execute(select(func.count()).select_from(User)).scalar_one() == 1
        assert session.execute(select(func.count()).select_from(Unit)).scalar_one() == 1
