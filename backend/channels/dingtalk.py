"""DingTalk (钉钉) custom robot: `…/robot/send?access_token=…`, with optional signing and keyword.

Signing (加签): `sign` = base64(HMAC-SHA256(key=secret, msg=f"{timestamp_ms}\\n{secret}")), URL-quoted, added
to the query with `timestamp` (milliseconds; the platform refuses one more than an hour off). A robot with a
keyword (自定义关键词) refuses messages that do not contain it, so it is added when the text lacks it. Body:
`{"msgtype": "markdown", "markdown": {"title": …, "text": …}}`; answer `{"errcode": 0, "errmsg": "ok"}`.
A robot takes at most 20 messages a minute (over it, 10 minutes of refusals).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime
from typing import Any
from urllib.parse import quote_plus

from backend.channels.wire import Reply, Verdict, read_reply

RATE_PER_MINUTE = 20

CODES: dict[int, Verdict] = {
    130101: "rate_limited",  # send too fast, exceed 20 times per minute
    410100: "rate_limited",  # 发送速度太快而限流
    310000: "refused",  # keywords not in content / sign not match / ip not in whitelist
    300001: "revoked",  # token is not exist
    400101: "revoked",  # access_token 不存在
    400102: "revoked",  # 机器人已停用
    400013: "revoked",  # 群已被解散
    -1: "retry",  # system busy
}


def signature(secret: str, timestamp_ms: int) -> str:
    """The `sign` query value (already URL-quoted)."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest))


def request(
    url: str, secret: str | None, keyword: str | None, title: str, text: str, now: datetime
) -> tuple[str, dict[str, Any]]:
    if keyword and keyword not in title + text:
        text = f"{text}\n\n{keyword}"
    if secret:
        timestamp = int(now.timestamp() * 1000)
        url = f"{url}&timestamp={timestamp}&sign={signature(secret, timestamp)}"
    return url, {"msgtype": "markdown", "markdown": {"title": title[:100], "text": f"### {title}\n{text}"}}


def verdict(reply: Reply) -> tuple[Verdict, str]:
    return read_reply(reply, "errcode", CODES)
