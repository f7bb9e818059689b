"""`POST /api/v1/sync`: push the queue, pull a page (SYNC.md)."""

from __future__ import annotations

from typing import Any

from litestar import post
from litestar.params import JSONBody

from backend.http import DB, Config, CurrentActor, Now, also_answers
from backend.sync import engine, pull
from backend.sync.schemas import SyncAnswer


@post("/sync", status_code=200, sync_to_thread=True, opt=also_answers(426))
def sync(db: DB, actor: CurrentActor, settings: Config, now: Now, data: JSONBody[dict[str, Any]]) -> SyncAnswer:
    """Settle the client's mutations in order, then answer one page of changes after its cursor."""
    envelope = engine.read_envelope(data, settings)
    results, last_mid = engine.settle(db, actor, envelope, settings, now)
    # The settled batch commits before the pull, so its change-log positions exist when the page is read.
    db.commit()
    limit = min(envelope.limit or settings.sync_max_page, settings.sync_max_page)
    page = pull.pull(db, actor, envelope.cursor, limit)
    return SyncAnswer(
        protocol=engine.PROTOCOL_MAX,
        last_mid=last_mid,
        results=results,
        changes=page.changes,
        cursor=page.cursor,
        has_more=page.has_more,
        reset=page.reset,
        server_time=now.isoformat().replace("+00:00", "Z"),
    )
