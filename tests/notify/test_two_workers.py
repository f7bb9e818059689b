"""Two worker processes (on the real clock, without quiet hours) on one PostgreSQL database never send one delivery twice (FOR UPDATE SKIP LOCKED),
and between them send every one."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from sqlalchemy.orm import Session
from sqlmodel import select

from backend.db import utcnow
from backend.models import metadata
from backend.notify.models import Delivery, PushSubscription
from backend.notify.service import notify
from backend.org.models import User
from backend.push.keys import load_or_create_vapid_key
from backend.sync.changelog import ensure_state
from tests.conftest import PG_URL, need
from tests.factories import build_org
from tests.support.push_service import LocalPushService
from tests.support.server import TestDatabase
from tests.support.worker_process import run_two_workers

NOTIFICATIONS = 240


def test_two_workers_on_postgresql_send_each_delivery_exactly_once(tmp_path: Path):
    need(PG_URL is not None, "PostgreSQL is not configured (set FIELDGOAL_TEST_DATABASE_URL)")
    assert PG_URL is not None
    data_dir = tmp_path / "data"
    vapid = load_or_create_vapid_key(data_dir, None)
    with TestDatabase.postgres(PG_URL) as db, LocalPushService() as push_service:
        engine = db.engine
        metadata.create_all(engine)
        with Session(engine, expire_on_commit=False) as session:
            ensure_state(session)
            org = build_org(session)
            subscription, _ = push_service.new_subscription(application_server_key=vapid.application_server_key)
            rep = session.get(User, org.user("rep1"))
            assert rep is not None
            session.add(
                PushSubscription(
                    user_id=rep.id,
                    endpoint=subscription.endpoint,
                    p256dh=subscription.p256dh,
                    auth=subscription.auth,
                )
            )
            session.flush()
            ids = set()
            for n in range(NOTIFICATIONS):
                made = notify(
                    session, rep, "visit_rejected", f"review:{n}", {"customer": f"C{n}", "comment": ""}, utcnow()
                )
                assert made is not None
                ids.add(made.id)
            session.commit()

        attempted = run_two_workers(
            "deliver", db.url, data_dir, tmp_path / "go", push_allowed_hosts=(push_service.host,)
        )
        received = Counter(json.loads(m.payload)["id"] for m in push_service.messages)
        assert set(received) == ids
        assert max(received.values()) == 1  # nothing twice
        assert sum(attempted) == NOTIFICATIONS
        assert min(attempted) > 0, attempted  # both really worked the queue
        with Session(engine) as session:
            assert {d.status for d in session.scalars(select(Delivery))} == {"sent"}
        db.close_engine()
