"""Sign-in endpoints: login, logout, me."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, get, patch, post
from litestar.params import JSONBody

from backend.auth import service
from backend.auth.schemas import AccountPublic, MePublic, SignedIn
from backend.http import DB, Config, CurrentActor, Now, also_answers, bearer_token
from backend.org.service import update_me as update_me_service
from backend.org.service import user_public
from backend.proxies import client_address
from backend.validation import Text, validate

LOGIN_FIELDS = {
    "email": Text(required=True, min_len=1, max_len=254, nullable=False),
    "password": Text(required=True, max_len=200, strip=False, nullable=False),
}


@post("/auth/login", status_code=200, sync_to_thread=True, opt=also_answers(401, 429))
def login(
    request: Request[Any, Any, Any],
    db: DB,
    settings: Config,
    now: Now,
    data: JSONBody[dict[str, Any]],
) -> SignedIn:
    """Sign in: a bearer token and the user."""
    values = validate(data, LOGIN_FIELDS, max_text=settings.max_text_chars)
    address = client_address(request, settings.trusted_proxies)
    token, user = service.login(db, settings, values["email"], values["password"], address, now)
    request.state.locale = user.locale
    return SignedIn(token, user_public(user), user.must_change_password)


@post("/auth/logout", status_code=204, sync_to_thread=True)
def logout(request: Request[Any, Any, Any], db: DB, actor: CurrentActor, now: Now) -> None:
    """Revoke the token this request carries."""
    token = bearer_token(request)
    if token:
        service.logout(db, token, now)


@get("/me", sync_to_thread=False)
def me(actor: CurrentActor) -> MePublic:
    """The signed-in user."""
    return service.me_public(actor)


@patch("/me", sync_to_thread=True, opt=also_answers(429))
def update_me(
    request: Request[Any, Any, Any],
    db: DB,
    actor: CurrentActor,
    settings: Config,
    now: Now,
    data: JSONBody[dict[str, Any]],
) -> AccountPublic:
    """Change one's own locale, or password with the current one: {locale, current_password, password}."""
    address = client_address(request, settings.trusted_proxies)
    user = update_me_service(db, settings, actor, data, now, address, bearer_token(request) or "")
    request.state.locale = user.locale
    return AccountPublic(
        **msgspec.structs.asdict(user_public(user)), must_change_password=user.must_change_password
    )
