"""The application factory: plugins, routers and exception handlers; nothing else."""

from __future__ import annotations

from typing import Any

from litestar import Litestar, Router, get
from litestar.config.compression import CompressionConfig
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from sqlalchemy import Engine, text

import backend.models  # noqa: F401  (the tables and every synced entity's declaration)
from backend.audit.routes import ROUTES as AUDIT_ROUTES
from backend.auth.routes import login, logout, me, update_me
from backend.channels.routes import ROUTES as CHANNEL_ROUTES
from backend.coaching.routes import ROUTES as COACHING_ROUTES
from backend.customers.routes import ROUTES as CUSTOMER_ROUTES
from backend.db import make_engine, session_scope, utcnow
from backend.digest.routes import ROUTES as DIGEST_ROUTES
from backend.goals.routes import ROUTES as GOAL_ROUTES
from backend.home.routes import ROUTES as HOME_ROUTES
from backend.http import DEPENDENCIES, EXCEPTION_HANDLERS, SECURITY, UNCOMPRESSED, Clock, document_operations
from backend.kpi.routes import ROUTES as KPI_ROUTES
from backend.notify.routes import ROUTES as NOTIFY_ROUTES
from backend.opportunities.routes import ROUTES as OPPORTUNITY_ROUTES
from backend.org.routes import ROUTES as ORG_ROUTES
from backend.reports.routes import ROUTES as REPORT_ROUTES
from backend.rewards.routes import ROUTES as REWARD_ROUTES
from backend.settings import Settings
from backend.storage import open_storage
from backend.sync.routes import sync
from backend.sync.schemas import documented_answer
from backend.visits.routes import ROUTES as VISIT_ROUTES  # the approval desk, visit photos
from backend.web.headers import add_security_headers  # CSP and friends on every response
from backend.web.routes import web_routes


@get("/healthz", sync_to_thread=True, include_in_schema=False)
def healthz(state: State) -> dict[str, str]:
    engine: Engine = state.engine
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    return {"status": "ok"}


def create_app(settings: Settings, *, engine: Engine | None = None, clock: Clock = utcnow) -> Litestar:
    """The Fieldgoal server for these settings. The database must already be migrated."""
    from backend.bootstrap import bootstrap

    settings = settings.with_generated_secrets()
    engine = engine or make_engine(settings.database_url)
    with session_scope(engine, clock) as session:
        bootstrap(session, settings)
    api = Router(
        path="/api/v1",
        # The sync answer as the document describes it: each change typed by its entity's declared shape.
        signature_namespace={"SyncAnswer": documented_answer()},
        route_handlers=[
            login,
            logout,
            me,
            update_me,
            sync,
            *ORG_ROUTES,
            *CUSTOMER_ROUTES,
            *OPPORTUNITY_ROUTES,
            *GOAL_ROUTES,
            *KPI_ROUTES,
            *HOME_ROUTES,
            *NOTIFY_ROUTES,
            *VISIT_ROUTES,  # the approval desk, visit photos
            *AUDIT_ROUTES,
            *COACHING_ROUTES,
            *REWARD_ROUTES,
            *REPORT_ROUTES,
            *CHANNEL_ROUTES,
            *DIGEST_ROUTES,
        ],
    )
    handlers: list[Any] = [healthz, api, *web_routes()]
    app = Litestar(
        route_handlers=handlers,
        dependencies=DEPENDENCIES,
        exception_handlers=EXCEPTION_HANDLERS,
        before_send=[add_security_headers],
        state=State({"settings": settings, "engine": engine, "clock": clock, "storage": open_storage(settings)}),
        request_max_body_size=settings.sync_max_body_bytes,
        # The PWA shell must stay under 100 KB on the wire: compress what is worth compressing.
        compression_config=CompressionConfig(
            backend="gzip", minimum_size=500, gzip_compress_level=6, exclude_opt_key=UNCOMPRESSED
        ),
        openapi_config=OpenAPIConfig(title="Fieldgoal", version="1", path="/schema", components=SECURITY),
        on_shutdown=[lambda: engine.dispose()],
        debug=False,
    )
    document_operations(app)  # callers and problem details, in the OpenAPI document
    return app
