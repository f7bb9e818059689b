"""`fieldgoal serve`: migrate, then run uvicorn (and the worker in-process unless told not to)."""

from __future__ import annotations

import uvicorn
from litestar import Litestar

from backend import migrate
from backend.app import create_app
from backend.settings import Settings


def app_from_env() -> Litestar:
    """The app factory uvicorn imports in each worker process."""
    return create_app(Settings.from_env())


def serve(settings: Settings, *, host: str, port: int, workers: int, worker: bool) -> int:
    migrate.upgrade(settings.database_url)
    if settings.demo:
        from backend.demo import print_sign_ins, seed_demo

        # Seeds only an empty database; on later starts it just names the sign-ins again.
        print_sign_ins(seed_demo(settings))
    if worker:
        from backend.worker import start_in_thread

        start_in_thread(settings)
    uvicorn.run(
        "backend.server:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        timeout_graceful_shutdown=5,
        # backend/proxies.py decides the client's address from FIELDGOAL_TRUSTED_PROXIES; uvicorn's own
        # rewrite would trust X-Forwarded-For from anyone on 127.0.0.1 (its default) before the app sees it.
        proxy_headers=False,
    )
    return 0
