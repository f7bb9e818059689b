"""Sign-in rules: argon2 passwords, opaque bearer tokens stored as hashes, sliding expiry, throttling."""

from __future__ import annotations

import hashlib
import math
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, update
from sqlalchemy.orm import Session
from sqlmodel import col, select

from backend.auth.models import AuthToken, LoginFailure
from backend.auth.schemas import MePublic
from backend.db import read_only_scope
from backend.errors import InvalidInput, TooManyRequests, Unauthenticated
from backend.org.models import Unit, User
from backend.policy import Actor, actor_for
from backend.settings import Settings
from backend.validation import normalize_email

_hasher = PasswordHasher()
# Verified against when the email is unknown, so that both failures take the same time.
_DUMMY_HASH = _hasher.hash("fieldgoal-timing-equaliser")
# A token's expiry is pushed forward at most this often: phones sync every few minutes, and a write per
# request would turn every read into a write.
_SLIDE_EVERY = timedelta(hours=1)
TOKEN_PREFIX = "fg_"


def me_public(actor: Actor) -> MePublic:
    return MePublic(
        id=actor.id,
        email=actor.email,
        name=actor.name,
        role=actor.role,
        unit_id=actor.unit_id,
        locale=actor.locale,
        timezone=actor.timezone,
        must_change_password=actor.must_change_password,
    )


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def login(
    session: Session, settings: Settings, email: str, password: str, address: str, now: datetime
) -> tuple[str, User]:
    """A new token for these credentials; the same error for an unknown email and a wrong password.

    The password is checked in a read-only transaction of its own (argon2 takes ~150 ms, and on SQLite the
    request's transaction holds the write lock from its first statement); `session` only writes the outcome.
    """
    email = normalize_email(email)
    with read_only_scope(session.get_bind()) as reader:
        _refuse_if_throttled(reader, settings, email, address, now)
        found = reader.execute(select(User.id, User.password_hash, User.active).where(User.email == email)).first()
    ok = _verify(found.password_hash if found else _DUMMY_HASH, password)
    if found is None or not ok or not found.active:
        _record_failure(session, email, address, now)
        raise Unauthenticated("invalid_credentials")
    user = session.get_one(User, found.id)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        AuthToken(
            user_id=user.id,
            token_hash=token_digest(token),
            created_at=now,
            last_used_at=now,
            expires_at=now + timedelta(days=settings.token_days),
        )
    )
    return token, user


def _record_failure(session: Session, email: str, address: str, now: datetime) -> None:
    session.add(LoginFailure(email=email, address=address, at=now))
    # The failure must be stored even though the request fails: the caller commits before raising.
    session.info["commit_despite_error"] = True


def check_current_password(
    session: Session, settings: Settings, user: User, password: str, address: str, now: datetime
) -> None:
    """A user proving who they are before changing their password: throttled and counted like a sign-in, so
    a stolen token cannot be used to guess the password."""
    _refuse_if_throttled(session, settings, user.email, address, now)
    if not _verify(user.password_hash, password):
        _record_failure(session, user.email, address, now)
        raise InvalidInput.one("current_password", "wrong_password")


def _refuse_if_throttled(session: Session, settings: Settings, email: str, address: str, now: datetime) -> None:
    since = now - timedelta(minutes=settings.login_window_minutes)
    for column, value, limit in (
        (LoginFailure.email, email, settings.login_max_failures_per_account),
        (LoginFailure.address, address, settings.login_max_failures_per_address),
    ):
        count, oldest = session.execute(
            select(func.count(), func.min(LoginFailure.at)).where(column == value, LoginFailure.at >= since)
        ).one()
        if count >= limit:
            retry = oldest + timedelta(minutes=settings.login_window_minutes) - now
            raise TooManyRequests(max(1, math.ceil(retry.total_seconds())))


def authenticate(session: Session, token: str | None, now: datetime) -> tuple[Actor, str | None]:
    """The caller of a bearer token, and the token's id when its expiry is due to slide forward (once an hour,
    `slide_token`); Unauthenticated when unknown, expired or revoked. It only reads: most requests write
    nothing for their caller."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        raise Unauthenticated()
    row = session.execute(
        select(AuthToken, User, Unit)
        .join(User, col(User.id) == AuthToken.user_id)
        .join(Unit, col(Unit.id) == User.unit_id)
        .where(AuthToken.token_hash == token_digest(token))
    ).first()
    if row is None:
        raise Unauthenticated()
    auth_token, user, unit = row
    if auth_token.revoked_at is not None or auth_token.expires_at <= now or not user.active:
        raise Unauthenticated()
    due = auth_token.id if now - auth_token.last_used_at >= _SLIDE_EVERY else None
    return actor_for(user, unit), due


def slide_token(session: Session, settings: Settings, token_id: str, now: datetime) -> None:
    """Move a token's expiry `token_days` past now: a token in use does not expire."""
    session.execute(
        update(AuthToken)
        .where(col(AuthToken.id) == token_id)
        .values(last_used_at=now, expires_at=now + timedelta(days=settings.token_days))
    )


def logout(session: Session, token: str, now: datetime) -> None:
    auth_token = session.scalars(select(AuthToken).where(AuthToken.token_hash == token_digest(token))).first()
    if auth_token is not None and auth_token.revoked_at is None:
        auth_token.revoked_at = now


def revoke_all(session: Session, user_id: str, now: datetime, *, keep: str | None = None) -> None:
    """Every token of a user (but `keep`, the device changing its own password), e.g. when their password
    changes or they are deactivated."""
    kept = token_digest(keep) if keep else None
    for auth_token in session.scalars(
        select(AuthToken).where(AuthToken.user_id == user_id, col(AuthToken.revoked_at).is_(None))  # type: ignore[union-attr]
    ):
        if auth_token.token_hash != kept:
            auth_token.revoked_at = now
