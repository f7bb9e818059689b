"""`POST /api/v1/sync`: push the queue, pull a page (SYNC.md)."""

from __future__ import annotations

from typing import Any

from litestar import post
from litestar.params import JSONBody

from backend.http import DB, Config, CurrentActor, Now, ReadOnlyDB, also_answers
from backend.sync import engine, pull
from backend.sync.schemas import SyncAnswer


@post("/sync", status_code=200, sync_to_thread=True, opt=also_answers(426))
def sync(
    db: DB,
    reader: ReadOnlyDB,
    actor: CurrentActor,
    settings: Config,
    now: Now,
    data: JSONBody[dict[str, Any]],
) -> SyncAnswer:
    """Settle the client's mutations in order, then answer one page of changes after its cursor.

    Only mutations write: a sync with none reads the client's state and the page in a read-only transaction
    (no write lock on SQLite, no commit to flush on PostgreSQL), and writes the client's last-seen time at
    most once a minute."""
    envelope = engine.read_envelope(data, settings)
    if envelope.mutations:
        results, last_mid = engine.settle(db, actor, envelope, settings, now)
        # The settled batch commits before the pull, so its change-log positions exist when the page is read.
        db.commit()
    else:
        results, last_mid = [], engine.note_pull(db, reader, actor, envelope, now)
    window = pull.window_start(actor, settings.sync_window_days, now)
    answer = SyncAnswer(
        protocol=engine.PROTOCOL_MAX,
        last_mid=last_mid,
        results=results,
        changes=[],
        cursor=envelope.cursor,
        has_more=False,
        reset=False,
        server_time=now.isoformat().replace("+00:00", "Z"),
        window_days=None if window is None else settings.sync_window_days,
    )
    if envelope.limit == 0:
        return answer  # push only: no page, the cursor as it was
    limit = min(envelope.limit or settings.sync_max_page, settings.sync_max_page)
    page = pull.pull(reader, actor, envelope.cursor, limit, window)
    answer.changes, answer.cursor, answer.has_more, answer.reset = (
        page.changes,
        page.cursor,
        page.has_more,
        page.reset,
    )
    return answer
