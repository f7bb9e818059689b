"""Web plumbing shared by every feature's routes: the request transaction, the caller, the clock, and
the one mapping from errors to problem details.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

from litestar import Litestar, Request, Response
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.exceptions import (
    HTTPException,
    InternalServerException,
    NotAuthorizedException,
    SerializationException,
    ValidationException,
)
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import Components, SecurityScheme
from litestar.routes import HTTPRoute
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from backend.auth.service import authenticate, slide_token
from backend.db import CLOCK, read_only_scope, session_scope
from backend.errors import (
    FieldError,
    FieldgoalError,
    InvalidInput,
    MalformedRequest,
    NotFound,
    PayloadTooLarge,
    ProblemDetails,
    Unauthenticated,
    UndecodableBody,
    to_problem,
)
from backend.i18n import negotiate
from backend.policy import Actor
from backend.settings import SESSION_KEY, Settings
from backend.storage import Storage

log = logging.getLogger("fieldgoal")

Clock = Callable[[], datetime]


# Explicit handler inputs (Litestar's NamedDependency): what each handler takes reads in its signature.
DB = NamedDependency[Session]
# A read-only transaction of its own, for what only reads while the request's `db` may write (a pull).
ReadOnlyDB = NamedDependency[Session]
CurrentActor = NamedDependency[Actor]
Now = NamedDependency[datetime]
Config = NamedDependency[Settings]
# Where files outside the database live (backend/storage.py), as the settings chose it.
Store = NamedDependency[Storage]

# A handler's `opt` key that keeps its answers uncompressed (a JPEG gains nothing from gzip).
UNCOMPRESSED = "uncompressed"


async def provide_session(state: State) -> AsyncIterator[Session]:
    """The request's transaction: committed when the handler returns, rolled back when it raises.

    An error raised after writes that must stay (a failed sign-in is counted even though the request
    fails) is committed first when the service set `session.info["commit_despite_error"]`.

    It is an async generator on purpose: Litestar runs a sync generator's cleanup in a worker thread, and
    a request holding a lock (SQLite's write lock, PostgreSQL's row locks) must never wait for a thread
    that may itself be waiting for that lock. The commit runs on the event loop, and is short.
    """
    engine: Engine = state.engine
    # The settings ride along for the rules the services apply (milestone thresholds, badge streaks).
    session = Session(engine, expire_on_commit=False, info={CLOCK: state.clock, SESSION_KEY: state.settings})
    try:
        yield session
        session.commit()
    except FieldgoalError:
        if session.info.pop("commit_despite_error", False):
            session.commit()
        else:
            session.rollback()
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def provide_settings(state: State) -> Settings:
    settings: Settings = state.settings
    return settings


def provide_storage(state: State) -> Storage:
    storage: Storage = state.storage
    return storage


def provide_now(state: State) -> datetime:
    clock: Clock = state.clock
    return clock()


def bearer_token(request: Request[Any, Any, Any]) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


async def provide_reader(state: State) -> AsyncIterator[Session]:
    """A read-only transaction (no write lock on SQLite), rolled back when the request ends."""
    with read_only_scope(state.engine) as session:
        yield session


def provide_actor(request: Request[Any, Any, Any], state: State, settings: Config, now: Now) -> Actor:
    """The caller, from a short read-only transaction of its own (a write only when the token's expiry is
    due to slide, once an hour).

    Authentication must not open the request's transaction: the handler runs in another worker thread,
    and a transaction held across that hop (SQLite's write lock, a PostgreSQL row lock) would wait for a
    free thread while every thread waits for the lock.
    """
    with read_only_scope(state.engine) as session:
        actor, due = authenticate(session, bearer_token(request), now)
    if due is not None:
        with session_scope(state.engine, state.clock) as session:
            slide_token(session, settings, due, now)
    request.state.locale = actor.locale
    return actor


DEPENDENCIES = {
    "db": Provide(provide_session),
    "reader": Provide(provide_reader),
    "settings": Provide(provide_settings, sync_to_thread=False),
    "storage": Provide(provide_storage, sync_to_thread=False),
    "now": Provide(provide_now, sync_to_thread=False),
    # Database work never runs on the event loop: a wait for a lock there would stall every request,
    # including the one holding the lock (its commit runs on the loop).
    "actor": Provide(provide_actor, sync_to_thread=True),
}


async def read_body(request: Request[Any, Any, Any], limit: int) -> bytes:
    """The body of a handler that takes raw bytes (its `request_max_body_size` None): refused as too large
    by its Content-Length before any is read, and by the bytes counted as they stream (a sender may lie or
    send no length). A sender that goes away halfway leaves nothing: the handler never sees half a body."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge("body_bytes", limit)
    chunks, received = [], 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit:
                raise PayloadTooLarge("body_bytes", limit)
            chunks.append(chunk)
    except InternalServerException as exc:  # Litestar's "client disconnected prematurely"
        raise MalformedRequest() from exc
    return b"".join(chunks)


def request_locale(request: Request[Any, Any, Any]) -> str:
    locale = request.state.get("locale") if hasattr(request, "state") else None
    return locale or negotiate(request.headers.get("accept-language"))


def problem_response(
    request: Request[Any, Any, Any], error: FieldgoalError, headers: dict[str, str] | None = None
) -> Response[Any]:
    return Response(
        content=to_problem(error, request_locale(request)),
        status_code=error.status,
        media_type="application/problem+json",
        headers={**error.headers(), **(headers or {})},
    )


def _on_domain_error(request: Request[Any, Any, Any], exc: FieldgoalError) -> Response[Any]:
    return problem_response(request, exc)


# msgspec's names for the types a handler declares, as the `expected` of a wrong_type error.
_EXPECTED = {
    "int": "integer",
    "float": "number",
    "bool": "boolean",
    "str": "string",
    "object": "object",
    "array": "list",
    "uuid": "uuid",
    "date": "date",
    "datetime": "datetime",
}


def _expected(text: object) -> str | None:
    """`integer` from msgspec's "Expected `int | null`, got `str`"; None for any other message."""
    found = re.match(r"Expected `(\w+)", str(text))
    return _EXPECTED.get(found.group(1)) if found else None


def _sent_name(request: Request[Any, Any, Any], key: str) -> str:
    """The name the client sent a parameter under: `from`, not the handler's `from_day`."""
    parameter = request.route_handler.parsed_fn_signature.parameters.get(key)
    alias = getattr(parameter.kwarg_definition, "name", None) if parameter is not None else None
    return alias or key


def _declared_input_error(request: Request[Any, Any, Any], exc: ValidationException) -> FieldgoalError:
    """Litestar's checks of a handler's declared inputs (query parameters, the body's shape) as field
    errors naming what the client sent: `?limit=abc` is `limit` that must be an integer, not the body."""
    if isinstance(exc.__cause__, KeyError):  # a required parameter the client left out
        return InvalidInput.one(str(exc.__cause__.args[0]), "required")
    if not isinstance(exc.extra, list) or not exc.extra:
        return MalformedRequest()
    errors = []
    for problem in exc.extra:
        details: dict[str, Any] = problem if isinstance(problem, dict) else {}
        key = str(details.get("key") or "data")
        expected = _expected(details.get("message"))
        if key == "data":  # the body as a whole: absent, or JSON of another shape than the handler's
            name, absent = "body", "required"
        else:  # a query parameter, or a field of a typed body (Litestar drops the "data." in front)
            name, absent = _sent_name(request, key), "invalid"
        errors.append(
            FieldError(name, "wrong_type", {"expected": expected}) if expected else FieldError(name, absent)
        )
    return InvalidInput(errors=errors)


def _on_http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """Litestar's own errors (bad JSON, a query parameter of the wrong type, unknown route, body too large)
    as problem details too, each titled by its kind."""
    error: FieldgoalError
    if isinstance(exc, NotAuthorizedException):
        error = Unauthenticated()
    elif isinstance(exc, ValidationException):
        error = _declared_input_error(request, exc)
    elif isinstance(exc.__cause__, SerializationException):
        # Litestar's decoder gave up on the body: the one case that is "not valid JSON".
        error = UndecodableBody()
    elif exc.status_code == 404:
        error = NotFound()
    elif exc.status_code == 413:
        error = PayloadTooLarge("body_bytes", request.app.state.settings.sync_max_body_bytes)
    elif exc.status_code == 405:
        error = FieldgoalError("method_not_allowed")
        error.status = 405
        # RFC 9110: a 405 names the methods the resource does answer (Litestar's `Allow`).
        return problem_response(request, error, dict(exc.headers or {}))
    elif 400 <= exc.status_code < 500:
        error = MalformedRequest()
        error.status = exc.status_code
    else:
        return _on_unexpected(request, exc)
    return problem_response(request, error)


def _on_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return Response(
        content=to_problem(FieldgoalError(), request_locale(request)),
        status_code=HTTP_500_INTERNAL_SERVER_ERROR,
        media_type="application/problem+json",
    )


def _on_undecodable_body(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """The JSON decoder gives up on bodies nested thousands deep (RecursionError) or not UTF-8
    (UnicodeDecodeError) with exceptions of its own: those are the client's malformed body, not a 500."""
    log.info("undecodable body on %s %s: %s", request.method, request.url.path, type(exc).__name__)
    return problem_response(request, UndecodableBody())


# What each documented 4xx means, as the OpenAPI document says it.
PROBLEM_MEANINGS = {
    400: "Malformed request: the body is not JSON, or cannot be read as this request",
    401: "Unauthenticated: no valid bearer token (or wrong credentials)",
    403: "Forbidden: the caller may not do this",
    404: "Not found: absent, or outside the caller's scope",
    409: "Conflict: the record's state forbids the change",
    413: "Payload too large: the body (or the batch) is over its limit",
    415: "Unsupported media type: the body is not of a type the operation takes",
    422: "Validation failed: `errors` names each field and the rule it broke",
    426: "Unsupported protocol: `supported` gives the versions the server speaks",
    429: "Too many attempts: try again after Retry-After seconds",
}
PROBLEMS = "problems"
# Who may call: the bearer token POST /auth/login answers, on every operation that takes the caller.
BEARER = "bearer"
SECURITY = Components(
    security_schemes={
        BEARER: SecurityScheme(
            type="http", scheme="bearer", description="the token POST /api/v1/auth/login answers"
        )
    }
)


def also_answers(*statuses: int) -> dict[str, Any]:
    """A handler's `opt` naming the 4xx its service gives beyond what its inputs tell (409, 426, 429)."""
    return {PROBLEMS: statuses}


def problem_statuses(handler: HTTPRouteHandler) -> list[int]:
    """The 4xx an operation can answer, read from what it takes: a caller (401, 403), a body (400, 413),
    any input (422; 404 for an id in the path or one the input names), and what its `opt` adds."""
    parameters = handler.parsed_fn_signature.parameters
    guarded = "actor" in parameters
    body = "data" in parameters
    # Query and path parameters: what is neither a dependency nor the request, state or body.
    dependencies = set(handler.resolve_dependencies())
    named = {name for name in parameters if name not in dependencies and name not in ("request", "state", "data")}
    statuses = set(handler.opt.get(PROBLEMS, ()))
    if guarded:
        statuses |= {401, 403}
    if body:
        statuses |= {400, 413}
    if body or named:
        statuses |= {400, 422}
        if guarded or any("{" in path for path in handler.paths):
            statuses.add(404)
    return sorted(statuses)


def document_operations(app: Litestar) -> None:
    """What the OpenAPI document cannot read from a handler's return type: who may call it (the bearer token,
    where it takes the caller), and each 4xx as the problem details the app answers (replacing Litestar's own
    400, whose shape the app never sends). Run once the app is built, before the document is."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if "actor" in handler.parsed_fn_signature.parameters:
                handler.security = [{BEARER: []}]
            problems = {
                status: ResponseSpec(
                    data_container=ProblemDetails,
                    generate_examples=False,
                    description=PROBLEM_MEANINGS[status],
                    media_type="application/problem+json",
                )
                for status in problem_statuses(handler)
            }
            handler.responses = {**problems, **(handler.responses or {})}


EXCEPTION_HANDLERS: dict[Any, Any] = {
    FieldgoalError: _on_domain_error,
    HTTPException: _on_http_error,
    RecursionError: _on_undecodable_body,
    UnicodeDecodeError: _on_undecodable_body,
    Exception: _on_unexpected,
}
