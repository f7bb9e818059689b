"""Signing in's shapes on the wire."""

from __future__ import annotations

import msgspec

from backend.org.schemas import UserPublic


class AccountPublic(UserPublic):
    """The signed-in user's own record, and whether they must choose a new password before anything else."""

    must_change_password: bool


class SignedIn(msgspec.Struct):
    """A bearer token, and whom it signs in."""

    token: str
    user: UserPublic
    must_change_password: bool


class MePublic(msgspec.Struct):
    """The signed-in user, as the token says (GET /me)."""

    id: str
    email: str
    name: str
    role: str
    unit_id: str
    locale: str
    timezone: str
    must_change_password: bool
