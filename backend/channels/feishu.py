"""Feishu (飞书) custom bot: `…/open-apis/bot/v2/hook/<id>`, with optional signing and keyword.

Signing (签名校验): `sign` = base64(HMAC-SHA256(key=f"{timestamp_s}\\n{secret}", msg=b"")), sent in the JSON body
with `timestamp` (seconds, as a string; refused more than an hour off). Messages go as an interactive card
whose one element is `lark_md`-style markdown. Answer `{"code": 0, "msg": "success"}` (older bots:
`{"StatusCode": 0}`). A bot takes 100 messages a minute and 5 a second.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime
from typing import Any

from backend.channels.wire import Reply, Verdict, read_reply

RATE_PER_MINUTE = 100
RATE_PER_SECOND = 5

CODES: dict[int, Verdict] = {
    9499: "rate_limited",  # too many request
    11232: "rate_limited",  # frequency limited
    19021: "refused",  # sign match fail or timestamp is not within one hour from current time
    19022: "refused",  # ip not allowed
    19024: "refused",  # key words not found
    19001: "revoked",  # param invalid: incoming webhook access token invalid
}


def signature(secret: str, timestamp_s: int) -> str:
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def request(
    url: str, secret: str | None, keyword: str | None, title: str, text: str, now: datetime
) -> tuple[str, dict[str, Any]]:
    if keyword and keyword not in title + text:
        text = f"{text}\n\n{keyword}"
    body: dict[str, Any] = {
        "msg_type": "interactive",
        "card": {
            "header": {"title": {"tag": "plain_text", "content": title[:100]}},
            "elements": [{"tag": "markdown", "content": text}],
        },
    }
    if secret:
        timestamp = int(now.timestamp())
        body = {"timestamp": str(timestamp), "sign": signature(secret, timestamp), **body}
    return url, body


def verdict(reply: Reply) -> tuple[Verdict, str]:
    return read_reply(reply, "code", CODES)
