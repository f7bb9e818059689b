"""What a fresh start needs: the counter row, the configured admin, and (if asked) the demo company."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session
from sqlmodel import col, select

from backend.auth.service import hash_password
from backend.db import clock_of
from backend.org.models import Unit, User
from backend.settings import Settings
from backend.sync.changelog import ensure_state
from backend.validation import normalize_email

log = logging.getLogger("fieldgoal")


def bootstrap(session: Session, settings: Settings) -> None:
    ensure_state(session)
    if settings.admin_email and settings.admin_password:
        ensure_admin(session, settings.admin_email, settings.admin_password)


def ensure_admin(session: Session, email: str, password: str) -> User | None:
    """Create this admin unless a user has the email; on an empty database, with a root unit for it."""
    email = normalize_email(email)
    if session.scalars(select(User).where(User.email == email)).first():
        return None
    root = session.scalars(select(Unit).where(col(Unit.parent_id).is_(None)).order_by(Unit.path)).first()  # type: ignore[union-attr]
    if root is None:
        root = Unit(name="Company", kind="company", path="")
        root.path = f"/{root.id}/"
        session.add(root)
        session.flush()
    now = clock_of(session)()
    admin = User(
        email=email,
        name="Admin",
        role="admin",
        unit_id=root.id,
        password_hash=hash_password(password),
        created_at=now,
        updated_at=now,
    )
    session.add(admin)
    session.flush()
    log.info("created admin %s", email)
    return admin
