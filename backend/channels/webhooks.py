"""Which robot webhooks a channel may post to, and how a webhook is shown once stored (its key masked).

A webhook is a URL the server will POST to, so an unchecked one would let a manager aim the server at any
host (server-side request forgery): the host must be in `FIELDGOAL_CHANNEL_ALLOWED_HOSTS` (the same entry
syntax and https rule as the push allow list, backend/push/endpoints.py), and the URL must have the shape the
platform gives out, with its key in it. The key inside the URL is what lets anyone post to the group: it is
stored encrypted (backend/channels/crypto.py) and only the masked form is ever shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import parse_qs, urlsplit

from backend.endpoints import endpoint_allowed

KINDS = ("wecom", "dingtalk", "feishu")

# The platforms' official webhook hosts.

# The codes `webhook_problem` answers, for the API's `errors[].code` (the first three are the push list's).
WEBHOOK_KEY_MISSING = "webhook_key_missing"  # not the platform's webhook shape, or no key in it

_FEISHU_PREFIX = "/open-apis/bot/v2/hook/"
# WeCom and DingTalk: the webhook's path, and the query parameter that carries its key.
_QUERY_KEYS = {"wecom": ("/cgi-bin/webhook/send", "key"), "dingtalk": ("/robot/send", "access_token")}


def webhook_key(kind: str, url: str) -> str | None:
    """The secret part of a webhook of this kind (WeCom `key`, DingTalk `access_token`, Feishu's hook id);
    None when the URL is not that platform's webhook shape."""
    parts = urlsplit(url)
    if kind == "feishu":
        if not parts.path.startswith(_FEISHU_PREFIX) or parts.query:
            return None
        token = parts.path[len(_FEISHU_PREFIX) :]
        return token if token and "/" not in token else None
    path, param = _QUERY_KEYS[kind]
    values = parse_qs(parts.query).get(param, [])
    if parts.path != path or len(values) != 1 or not values[0].strip():
        return None
    return values[0]


def webhook_problem(kind: str, url: str, allowed_hosts: Sequence[str]) -> str | None:
    """None if a channel of `kind` may post to `url`; otherwise the code of the rule it breaks."""
    problem = endpoint_allowed(url, allowed_hosts)
    if problem is not None:
        return problem
    if urlsplit(url).fragment or webhook_key(kind, url) is None:
        return WEBHOOK_KEY_MISSING
    return None


def masked(kind: str, url: str) -> str:
    """The webhook rebuilt with its key replaced by `****` and, for a long key, its last four characters (so
    that two robots of one unit can be told apart); nothing else of the URL is kept, so nothing leaks."""
    parts = urlsplit(url)
    key = webhook_key(kind, url) or ""
    shown = "****" + (key[-4:] if len(key) >= 16 else "")
    base = f"{parts.scheme}://{parts.netloc}"
    if kind == "feishu":
        return f"{base}{_FEISHU_PREFIX}{shown}"
    path, param = _QUERY_KEYS[kind]
    return f"{base}{path}?{param}={shown}"
