"""The domain's errors, and their one mapping to HTTP problem details (RFC 9457).

Services raise these in business words; nothing below the routes builds an HTTP response. The tree:

    FieldgoalError                      (500 server_error)
    ├── InvalidInput                    422 validation_failed; `errors` lists {field, code, message}
    │   ├── MalformedRequest            400 malformed_request: no receipt can be kept, nothing applied
    │   │   └── UndecodableBody         400 malformed_request, titled "not valid JSON": the body cannot be read
    │   └── OverAllocated               422 over_allocated
    ├── Unauthenticated                 401 unauthenticated / invalid_credentials
    ├── Forbidden                       403 forbidden (the caller can see it, but may not do this)
    ├── NotFound                        404 not_found (absent, or outside the caller's scope: the same)
    ├── Conflict                        409 (a state that forbids the change)
    ├── PayloadTooLarge                 413 payload_too_large, with `limit: {name, max}`
    ├── UnsupportedMediaType            415 unsupported_media_type (a body of a type the operation does not take)
    ├── UnsupportedProtocol             426 unsupported_protocol, with `supported: {min, max}`
    └── TooManyRequests                 429 too_many_attempts, with a Retry-After header

Messages are rendered in the caller's locale at the edge (`to_problem`), from the stable codes.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import msgspec

from backend.i18n import message


@dataclass(frozen=True)
class FieldError:
    """One broken rule: which field, which rule (a stable code), and the figures its message needs."""

    field: str
    code: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)

    def render(self, locale: str) -> dict[str, Any]:
        return {"field": self.field, "code": self.code, "message": message(self.code, locale, self.params)}


class FieldgoalError(Exception):
    status = 500
    code = "server_error"
    # The message that titles the problem, when it must say more than the code's (one code, several kinds).
    title_code: str | None = None

    def __init__(self, code: str | None = None, *, errors: list[FieldError] | None = None, **params: Any):
        self.code = code or type(self).code
        self.errors = list(errors or [])
        self.params = params
        super().__init__(self.code, self.errors)

    def extra(self) -> dict[str, Any]:
        """Members added to the problem document beyond the standard ones."""
        return {}

    def headers(self) -> dict[str, str]:
        return {}


class InvalidInput(FieldgoalError):
    status = 422
    code = "validation_failed"

    @classmethod
    def one(cls, field_name: str, code: str, **params: Any) -> InvalidInput:
        return cls(errors=[FieldError(field_name, code, params)])


class MalformedRequest(InvalidInput):
    status = 400
    code = "malformed_request"


class UndecodableBody(MalformedRequest):
    """The body is not JSON at all (not UTF-8, broken syntax, NaN, nested thousands deep): the one 400 whose
    title says so; valid JSON with a wrong value is an InvalidInput naming that value's field."""

    title_code = "body_not_json"

    def __init__(self) -> None:
        super().__init__(errors=[FieldError("body", "invalid_json")])


class OverAllocated(InvalidInput):
    code = "over_allocated"


class Unauthenticated(FieldgoalError):
    status = 401
    code = "unauthenticated"

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": "Bearer"}


class Forbidden(FieldgoalError):
    status = 403
    code = "forbidden"


class NotFound(FieldgoalError):
    status = 404
    code = "not_found"


class Conflict(FieldgoalError):
    status = 409
    code = "conflict"


class PayloadTooLarge(FieldgoalError):
    status = 413
    code = "payload_too_large"

    def __init__(self, name: str, maximum: int):
        super().__init__(name=name, max=maximum)

    def extra(self) -> dict[str, Any]:
        return {"limit": {"name": self.params["name"], "max": self.params["max"]}}


class UnsupportedMediaType(FieldgoalError):
    """A body whose Content-Type the operation does not take (a photo upload that is not image/*)."""

    status = 415
    code = "unsupported_media_type"

    def __init__(self, accepted: str):
        super().__init__(errors=[FieldError("Content-Type", "invalid_choice", {"choices": accepted})])


class UnsupportedProtocol(FieldgoalError):
    status = 426
    code = "unsupported_protocol"

    def __init__(self, minimum: int, maximum: int):
        super().__init__(min=minimum, max=maximum)

    def extra(self) -> dict[str, Any]:
        return {"supported": {"min": self.params["min"], "max": self.params["max"]}}


class TooManyRequests(FieldgoalError):
    status = 429
    code = "too_many_attempts"

    def __init__(self, retry_after: int):
        super().__init__(retry_after=retry_after)

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.params["retry_after"])}


class FieldProblem(msgspec.Struct, forbid_unknown_fields=True):
    """One entry of a problem's `errors`: `FieldError.render`."""

    field: str
    code: str
    message: str


class LimitExceeded(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    max: int


class SupportedProtocols(msgspec.Struct, forbid_unknown_fields=True):
    min: int
    max: int


class ProblemDetails(msgspec.Struct, forbid_unknown_fields=True):
    """What `to_problem` answers, for the OpenAPI document (backend/http.py documents it on every operation);
    tests/test_openapi.py holds every error's document to it."""

    type: str
    title: str
    status: int
    code: str
    errors: list[FieldProblem]
    # Present when `errors` is not empty: its messages in one line.
    detail: str | msgspec.UnsetType = msgspec.UNSET
    # 413 only: which limit, and its maximum.
    limit: LimitExceeded | msgspec.UnsetType = msgspec.UNSET
    # 426 only: the sync protocol versions the server speaks.
    supported: SupportedProtocols | msgspec.UnsetType = msgspec.UNSET


def to_problem(error: FieldgoalError, locale: str) -> dict[str, Any]:
    """The RFC 9457 document for an error, in the caller's language."""
    body: dict[str, Any] = {
        "type": f"urn:fieldgoal:problem:{error.code}",
        "title": message(error.title_code or error.code, locale, error.params),
        "status": error.status,
        "code": error.code,
        "errors": [e.render(locale) for e in error.errors],
    }
    if error.errors:
        body["detail"] = "; ".join(f"{e['field']}: {e['message']}" for e in body["errors"])
    body.update(error.extra())
    return body
