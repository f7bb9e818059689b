"""Email digest API: the caller's own choice."""

from __future__ import annotations

from typing import Any

from litestar import get, put
from litestar.params import JSONBody

from backend.digest import service
from backend.digest.schemas import DigestChoicePublic
from backend.http import DB, Config, CurrentActor, Now


@get("/me/email-digest", sync_to_thread=True)
def my_email_digest(db: DB, actor: CurrentActor, settings: Config) -> DigestChoicePublic:
    """{enabled, email, available}: whether the caller gets the morning digest by email (`available`: the
    server has SMTP configured)."""
    return service.choice_public(db, actor, settings)


@put("/me/email-digest", sync_to_thread=True)
def choose_email_digest(
    db: DB, actor: CurrentActor, settings: Config, now: Now, data: JSONBody[dict[str, Any]]
) -> DigestChoicePublic:
    """{enabled: bool}: opt in to (or out of) the morning digest by email."""
    return service.choose(db, actor, settings, data, now)


ROUTES = [my_email_digest, choose_email_digest]
