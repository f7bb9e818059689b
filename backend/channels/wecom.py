"""WeCom (企业微信) group robot: a plain webhook, `…/cgi-bin/webhook/send?key=…`, no signature.

Body: `{"msgtype": "markdown", "markdown": {"content": …}}` (content at most 4096 bytes of UTF-8); answer
`{"errcode": 0, "errmsg": "ok"}`. A robot takes at most 20 messages a minute.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from backend.channels.wire import Reply, Verdict, read_reply

RATE_PER_MINUTE = 20
MAX_BYTES = 4096

CODES: dict[int, Verdict] = {
    45009: "rate_limited",  # api freq out of limit
    93000: "revoked",  # invalid webhook url: the key is unknown (robot removed)
    93004: "revoked",  # the robot was disabled
    -1: "retry",  # system busy
}


def request(
    url: str, secret: str | None, keyword: str | None, title: str, text: str, now: datetime
) -> tuple[str, dict[str, Any]]:
    """The URL to POST to and the JSON body for one markdown message (WeCom robots have no secret)."""
    content = _fit(f"**{title}**\n{text}", MAX_BYTES)
    return url, {"msgtype": "markdown", "markdown": {"content": content}}


def verdict(reply: Reply) -> tuple[Verdict, str]:
    return read_reply(reply, "errcode", CODES)


def _fit(text: str, limit: int) -> str:
    if len(text.encode("utf-8")) <= limit:
        return text
    while len((text + "…").encode("utf-8")) > limit:
        text = text[: max(len(text) - 64, 0)]
    return text + "…"
