"""What a robot's answer means, the same words for the three platforms (each platform module reads its own
error codes into one of these). All three answer HTTP 200 with the outcome in the body, so the body decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

# sent          the group has the message
# rate_limited  over the platform's limit for this robot: try again after a minute, not a failure
# refused       this message will never be accepted as it is (bad signature, keyword missing, IP not allowed)
# revoked       the robot is gone (key or token unknown, robot stopped, group dissolved)
# retry         the platform is busy or unreachable: try again with a doubling wait
Verdict = Literal["sent", "rate_limited", "refused", "revoked", "retry"]


@dataclass(frozen=True)
class Reply:
    """What the robot's host answered: the HTTP status, the JSON body (None if it was not JSON) and the
    start of the raw text, for the record."""

    status: int
    body: dict[str, Any] | None
    text: str = ""


def read_reply(reply: Reply, code_field: str, codes: dict[int, Verdict]) -> tuple[Verdict, str]:
    """The verdict for a reply whose body carries its outcome in `code_field`, and a short explanation."""
    body = reply.body or {}
    code = body.get(code_field, body.get("StatusCode"))
    detail = f"{code_field}={code} {body.get('errmsg') or body.get('msg') or body.get('StatusMessage') or ''}"
    if isinstance(code, int) and not isinstance(code, bool):
        if code == 0 and 200 <= reply.status < 300:
            return "sent", detail.strip()
        return codes.get(code, "retry" if code < 0 else "refused"), detail.strip()[:300]
    if reply.status == 429:
        return "rate_limited", f"HTTP {reply.status}"
    if reply.status >= 500:
        return "retry", f"HTTP {reply.status}"
    if reply.status in (401, 403, 404, 410):
        return "revoked", f"HTTP {reply.status}"
    return "refused", f"HTTP {reply.status} {reply.text[:200]}"
