"""POST one message to a robot's webhook: the only module that imports the HTTP client (httpx).

httpx logs every request's whole URL at INFO, and a WeCom or DingTalk URL carries the robot's key: its
loggers (and httpcore's) are kept at WARNING here, and nothing below quotes a URL in an error.
"""

from __future__ import annotations

import functools
import json
import logging
from typing import Any

import httpx

from backend.channels.wire import Reply

for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).setLevel(logging.WARNING)


@functools.cache
def _client() -> httpx.Client:
    # One client for the process (httpx clients are thread-safe): it keeps connections to the platforms open,
    # and building one loads the CA bundle, which would cost more than the request itself.
    return httpx.Client(follow_redirects=False)


class RobotUnreachable(Exception):
    """The robot's host could not be reached (DNS, refused, timeout, TLS); the message may be retried."""


def post(url: str, body: dict[str, Any], *, timeout: float) -> Reply:
    """POST `body` as JSON; the host's answer as a Reply. Redirects are not followed: a robot never
    redirects, and following one would leave the allow list."""
    payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    try:
        response = _client().post(
            url,
            content=payload,
            headers={"Content-Type": "application/json; charset=utf-8"},
            timeout=timeout,
        )
    except httpx.HTTPError as exc:
        # The exception's text may name the URL: only its kind is kept.
        raise RobotUnreachable(type(exc).__name__) from None
    try:
        parsed = response.json()
    except ValueError:
        parsed = None
    return Reply(response.status_code, parsed if isinstance(parsed, dict) else None, response.text[:200])
