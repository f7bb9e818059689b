"""The email digest's shapes on the wire."""

from __future__ import annotations

import msgspec


class DigestChoicePublic(msgspec.Struct):
    """The caller's choice, as GET and PUT /me/email-digest answer it."""

    enabled: bool
    # Where the digest goes: the caller's sign-in address.
    email: str
    # Whether the server can send email at all (FIELDGOAL_SMTP_HOST is set).
    available: bool
