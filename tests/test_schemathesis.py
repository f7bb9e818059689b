"""Schemathesis over every operation of /schema/openapi.json, in-process, bounded in time.

The app is built exactly as every other test builds it (tests/conftest.py: `engine`, `settings`, `clock`,
`org`, `sign_in`), and schemathesis drives it over ASGI without a network. Each operation runs as a subtest,
once per caller: no token, admin, lead1 and rep1 (each caller gets a fresh database and org).

What every response must satisfy:
- never a 5xx (schemathesis' `not_a_server_error`);
- every 4xx is `application/problem+json` with an `errors` list (the app's one error shape);
- a 2xx conforms to what the schema says (`response_schema_conformance`, `content_type_conformance`).

Not checked, on purpose: the schema's documented 4xx. Litestar documents every operation's 400 as its own
`application/json` ValidationException ({status_code, detail, extra}), while the app answers every error as
problem details (backend/http.py), and the schema lists none of the 401/403/404/409/422/429 the app gives.
So `status_code_conformance`, and the schema/content-type checks on 4xx, would only report that
documentation gap; the problem+json check above stands in for them.

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

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python.asgi import ASGIClient
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from tests.factories import Org

CALLERS = ["anonymous", "admin", "lead1", "rep1"]
MAX_EXAMPLES = 30


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
    schema = schemathesis.openapi.from_dict(response.json())
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
    checks: list[Any] = [not_a_server_error]
    if response.status_code < 400:
        checks += [response_schema_conformance, content_type_conformance]
    case.validate_response(response, checks=checks, headers=caller.headers())
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
