"""Schemathesis over every operation of /schema/openapi.json, in-process, bounded in time.

The app is built exactly as every other test builds it (tests/conftest.py: `engine`, `settings`, `clock`,
`org`, `sign_in`), and schemathesis drives it over ASGI without a network. Each operation runs as a subtest,
once per caller: no token, admin, lead1 and rep1 (each caller gets a fresh database and org).

What every response must satisfy: every check schemathesis has. Never a 5xx; every status the operation
answers is one it documents, with the documented media type and schema (each 4xx is problem details,
backend/http.py); a schema-valid request is accepted or refused only for a reason a valid request may meet
(ACCEPTABLE: no caller, not theirs, a random id, a business rule such as a date that does not parse, a
throttle), and an invalid one is refused; an operation that names the bearer token refuses a request without
one (checked with the anonymous caller rather than schemathesis' `ignored_auth`, see CHECKS_CONFIG).

FIELDGOAL_SCHEMATHESIS_OPERATIONS (a regular expression searched in "METHOD /path") runs only the operations
it matches, e.g. `^POST /api/v1/sync$`.

Keeping the signed-in callers signed in: a 2xx `POST /auth/logout` revokes the caller's own token, so the
caller signs in again right after (a real login). Generated ids in paths are random strings, so a PATCH that
could deactivate the signed-in user (or change their password) only ever meets 404; if one did reach them,
the re-sign-in would fail loudly instead of turning every later example into a silent 401. Path ids are
also drawn from the org's real units and users, but never from a signed-in caller's own user id.

Why a loop of `@given` over `operation.as_strategy()` rather than `schemathesis.pytest.from_fixture` with
`@schema.parametrize()`: the app only exists inside per-test fixtures, and `from_fixture` (schemathesis 4.32)
fails on pytest 9.2 (`'Function' object has no attribute '_nodeid'`, schemathesis/pytest/lazy.py).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig
from schemathesis.python.asgi import ASGIClient

from tests.factories import Org

CALLERS = ["anonymous", "admin", "lead1", "rep1"]
MAX_EXAMPLES = 30
# What a schema-valid request may rightly get besides a 2xx: no caller (401), a caller who may not (403), a
# random id (404), a state that forbids it (409), a body over a limit (413), a business rule the schema does
# not say, such as a day that must parse or a free-form body's fields (422), an old sync protocol (426), a
# throttle (429). Request bodies are documented as free-form objects, so a sync body without its envelope
# (`protocol`, `client_id`) is schema-valid too, and the protocol refuses it as malformed (400).
ACCEPTABLE = ["2xx", "400", "401", "403", "404", "409", "413", "422", "426", "429"]
REFUSALS = ["400", "401", "403", "404", "405", "409", "413", "422", "426", "429"]
CHECKS_CONFIG = {
    # Each caller brings its own token (or none): generated Authorization headers would be replaced by it.
    "generation": {"with-security-parameters": False},
    "checks": {
        "positive_data_acceptance": {"expected-statuses": ACCEPTABLE},
        "negative_data_rejection": {"expected-statuses": REFUSALS},
        # Its probes go through schemathesis' own ASGI transport, which starts a second lifespan of the app
        # and leaks its streams; the anonymous caller makes the same check (`exercise`).
        "ignored_auth": {"enabled": False},
    },
}
SELECTED = re.compile(os.environ.get("FIELDGOAL_SCHEMATHESIS_OPERATIONS", ""))


@dataclass
class Caller:
    """Who sends the generated requests: a bearer token (or none), and how to get a fresh one."""

    name: str
    token: str | None
    sign_in: Callable[[], str | None]

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


@pytest.fixture(params=CALLERS)
def caller(request: pytest.FixtureRequest, org: Org, sign_in: Any) -> Caller:
    name: str = request.param
    if name == "anonymous":
        return Caller(name, None, lambda: None)

    def fresh_token() -> str | None:
        token: str | None = sign_in(org.email(name)).token
        return token

    return Caller(name, fresh_token(), fresh_token)


@pytest.fixture
def api_schema(app_client: TestClient[Any]) -> schemathesis.BaseSchema:
    """The app's own schema, bound to the app (the one `app_client` runs, lifespan included)."""
    response = app_client.get("/schema/openapi.json")
    assert response.status_code == 200, response.text
    schema = schemathesis.openapi.from_dict(response.json(), config=SchemathesisConfig.from_dict(CHECKS_CONFIG))
    # Requests then go over schemathesis' ASGI transport to this very app instance.
    schema.app = app_client.app
    return schema


@pytest.fixture
def asgi_session(app_client: TestClient[Any]) -> ASGIClient:
    """Schemathesis' in-process ASGI client for the app, *not* entered: `app_client` already ran the app's
    lifespan, and an entered client would start a second one that schemathesis keeps alive until exit."""
    return ASGIClient(app_client.app)


def assert_problem_details(case: schemathesis.Case, response: schemathesis.Response) -> None:
    content_type = response.headers.get("content-type", [""])[0]
    where = f"{case.method} {case.formatted_path} → {response.status_code}"
    assert content_type.startswith("application/problem+json"), f"{where}: content-type {content_type!r}"
    body = response.json()
    assert isinstance(body, dict), f"{where}: {body!r}"
    assert isinstance(body.get("errors"), list), f"{where}: no `errors` list in {body!r}"


def exercise(case: schemathesis.Case, caller: Caller, session: ASGIClient) -> None:
    """One generated request, and every check that applies to its answer."""
    response = case.call(session=session, headers=caller.headers())
    case.validate_response(response, headers=caller.headers())
    if caller.token is None and case.operation.definition.raw.get("security"):
        # An operation that names the bearer token must not answer without one.
        assert response.status_code >= 400, (
            f"{case.operation.label} answered {response.status_code} without a token"
        )
    if 400 <= response.status_code < 500:
        assert_problem_details(case, response)
    if case.operation.path == "/api/v1/auth/logout" and response.status_code < 300 and caller.token:
        caller.token = caller.sign_in()


def strategy_for(operation: schemathesis.APIOperation, real_ids: dict[str, list[str]]) -> st.SearchStrategy[Any]:
    """Schemathesis' positive and negative cases; where a path names a unit or a user, also positive cases
    aimed at one that exists (random ids only ever reach the 404)."""
    strategies = [operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)]
    names = [parameter.name for parameter in operation.path_parameters]
    if names and all(name in real_ids for name in names):
        ids = st.fixed_dictionaries({name: st.sampled_from(real_ids[name]) for name in names})
        strategies.append(ids.flatmap(lambda chosen: operation.as_strategy(path_parameters=chosen)))
    return st.one_of(strategies)


def test_no_server_errors(
    api_schema: schemathesis.BaseSchema,
    caller: Caller,
    org: Org,
    asgi_session: ASGIClient,
    subtests: pytest.Subtests,
) -> None:
    """Every operation, as a subtest: valid and invalid requests (schemathesis' positive and negative
    generation), MAX_EXAMPLES of them."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 20, [op.label for op in operations]
    operations = [op for op in operations if SELECTED.search(op.label)]
    real_ids = {
        "unit_id": [unit.id for unit in org.units.values()],
        # Never a signed-in caller: a generated PATCH could deactivate them or change their password.
        "user_id": [user.id for key, user in org.users.items() if key not in CALLERS],
    }
    for operation in operations:
        strategy = strategy_for(operation, real_ids)

        @given(case=strategy)
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            # Free-form JSON objects everywhere: hypothesis filters and builds big inputs, and that is fine.
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
        )
        def run(case: schemathesis.Case) -> None:
            exercise(case, caller, asgi_session)

        with subtests.test(msg=f"{caller.name}: {operation.label}"):
            run()
