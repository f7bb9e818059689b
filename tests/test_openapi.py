"""The OpenAPI document describes what the app answers: a typed shape for each success, and problem details
(backend/errors.py's ProblemDetails, as backend/http.py documents them) for each error."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from litestar.testing import TestClient

from backend.errors import (
    Conflict,
    FieldgoalError,
    Forbidden,
    InvalidInput,
    MalformedRequest,
    NotFound,
    OverAllocated,
    PayloadTooLarge,
    ProblemDetails,
    TooManyRequests,
    Unauthenticated,
    UndecodableBody,
    UnsupportedMediaType,
    UnsupportedProtocol,
    to_problem,
)

METHODS = ("get", "put", "post", "patch", "delete")
PROBLEM = {"$ref": "#/components/schemas/ProblemDetails"}
# The share of operations whose every success answer has a shape.
TYPED_AT_LEAST = 0.9


def operations(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{method.upper()} {path}", operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def typed(schema: dict[str, Any]) -> bool:
    """A schema that says something: a component, an object with properties, or a list of such."""
    if "$ref" in schema:
        return True
    if schema.get("type") == "array":
        return typed(schema.get("items") or {})
    if "oneOf" in schema or "anyOf" in schema:
        return all(typed(option) for option in schema.get("oneOf") or schema.get("anyOf"))
    return bool(schema.get("properties"))


def answers_typed(operation: dict[str, Any]) -> bool:
    """Every 2xx either has no body (204) or a typed schema in each of its media types; a file (a report's
    CSV, XLSX or SVG) is a string of its own media type."""
    successes = [response for status, response in operation["responses"].items() if status.startswith("2")]
    return bool(successes) and all(
        typed(media.get("schema") or {})
        or (not kind.startswith("application/json") and (media.get("schema") or {}).get("type") == "string")
        for response in successes
        for kind, media in (response.get("content") or {}).items()
    )


def problems_documented(operation: dict[str, Any]) -> bool:
    """Every documented 4xx is problem details, and there is at least one."""
    errors = [response for status, response in operation["responses"].items() if status.startswith("4")]
    return bool(errors) and all(
        response.get("content") == {"application/problem+json": {"schema": PROBLEM}} for response in errors
    )


@pytest.fixture
def document(app_client: TestClient[Any]) -> dict[str, Any]:
    response = app_client.get("/schema/openapi.json")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def test_every_operation_documents_its_errors_as_problem_details(document: dict[str, Any]) -> None:
    found = operations(document)
    # An operation with neither a caller nor an input (the VAPID key) has no 4xx to document.
    takes_something = [
        (name, op)
        for name, op in found
        if op.get("parameters") or op.get("requestBody") or "401" in op["responses"]
    ]
    missing = [name for name, op in takes_something if not problems_documented(op)]
    print(f"problem details documented: {len(takes_something) - len(missing)} of {len(takes_something)}")
    assert not missing, missing
    # No other error shape anywhere (Litestar's own 400 {status_code, detail, extra} included).
    for name, op in found:
        for status, response in op["responses"].items():
            if status.startswith("4"):
                assert response["content"] == {"application/problem+json": {"schema": PROBLEM}}, (name, status)
    assert set(document["components"]["schemas"]["ProblemDetails"]["required"]) == {
        "type",
        "title",
        "status",
        "code",
        "errors",
    }


def test_bodies_path_ids_and_the_rarer_refusals_are_documented(document: dict[str, Any]) -> None:
    for name, op in operations(document):
        responses = op["responses"]
        if op.get("requestBody"):
            assert {"400", "413", "422"} <= responses.keys(), name
        if "{" in name:
            assert "404" in responses, name
    by_name = {name: op["responses"] for name, op in operations(document)}
    assert {"401", "429"} <= by_name["POST /api/v1/auth/login"].keys()  # wrong password; throttled
    assert "429" in by_name["PATCH /api/v1/me"]  # a password change is throttled like a sign-in
    assert "426" in by_name["POST /api/v1/sync"]
    assert "409" in by_name["POST /api/v1/push/subscriptions"]  # another user's endpoint with other keys
    # A photo: other bytes under its id, over its size limit, not an image.
    assert {"409", "413", "415", "422"} <= by_name["PUT /api/v1/attachments/{attachment_id}"].keys()


def test_nearly_every_operation_answers_a_typed_shape(document: dict[str, Any]) -> None:
    found = operations(document)
    untyped = [name for name, op in found if not answers_typed(op)]
    share = 1 - len(untyped) / len(found)
    print(f"typed 2xx: {len(found) - len(untyped)} of {len(found)} ({share:.0%}); untyped:")
    for name in untyped:
        print(f"  {name}")
    assert share >= TYPED_AT_LEAST, untyped


ERRORS = [
    FieldgoalError(),
    InvalidInput.one("limit", "out_of_range", min=1, max=500),
    MalformedRequest(),
    UndecodableBody(),
    OverAllocated(),
    Unauthenticated("invalid_credentials"),
    Forbidden(),
    NotFound(),
    Conflict("endpoint_taken"),
    PayloadTooLarge("mutations", 500),
    UnsupportedMediaType("image/*"),
    UnsupportedProtocol(1, 2),
    TooManyRequests(60),
]


@pytest.mark.parametrize("error", ERRORS, ids=lambda error: type(error).__name__)
@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_every_error_answers_the_documented_problem_details(error: FieldgoalError, locale: str) -> None:
    problem = to_problem(error, locale)
    # Strict: a member the document does not name, or of another type, fails.
    shaped = msgspec.convert(problem, ProblemDetails, strict=True)
    assert msgspec.to_builtins(shaped) == problem


def test_the_operations_that_take_the_caller_name_the_bearer_token(document: dict[str, Any]) -> None:
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "the token POST /api/v1/auth/login answers",
    }
    by_name = dict(operations(document))
    for name, op in by_name.items():
        if op.get("security"):
            assert op["security"] == [{"bearer": []}], name
            assert "401" in op["responses"], name
    assert by_name["GET /api/v1/me"].get("security")
    assert by_name["POST /api/v1/sync"].get("security")
    assert not by_name["POST /api/v1/auth/login"].get("security")
    assert not by_name["GET /api/v1/push/vapid-public-key"].get("security")
