"""Local group robots: one threaded HTTP server on 127.0.0.1 that plays WeCom, DingTalk and Feishu.

It checks each request the way the platforms document it, with its own code (never the server's sender):

- WeCom (企业微信群机器人): `POST /cgi-bin/webhook/send?key=K`, a JSON body `{"msgtype": "markdown",
  "markdown": {"content": …}}` of at most 4096 bytes of content; unknown key → `errcode` 93000.
- DingTalk (钉钉自定义机器人): `POST /robot/send?access_token=T`; with 加签, `timestamp` (ms, within an hour)
  and `sign` = base64(HMAC-SHA256(key=secret, msg="{timestamp}\\n{secret}")) in the query, else 310000
  "sign not match"; with a keyword, the text must contain it, else 310000; unknown token → 300001.
- Feishu (飞书自定义机器人): `POST /open-apis/bot/v2/hook/H`; with 签名校验, `timestamp` (s, within an hour)
  and `sign` = base64(HMAC-SHA256(key="{timestamp}\\n{secret}", msg="")) in the JSON body, else `code` 19021;
  unknown hook → 19001.

All answer HTTP 200 with the code in the body, like the platforms. Each robot can also be told the codes to
answer to its next requests (`answer_next`), e.g. 45009 (WeCom rate limited) or 130101 (DingTalk), and can
enforce a per-minute limit of its own, measured by the test's clock.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Robot:
    kind: str
    key: str
    secret: str | None = None
    keyword: str | None = None
    per_minute: int | None = None
    scripted: list[int] = field(default_factory=list)
    accepted_at: list[datetime] = field(default_factory=list)


@dataclass(frozen=True)
class Received:
    """A message a robot accepted and posted to its group."""

    kind: str
    key: str
    body: dict[str, Any]

    @property
    def text(self) -> str:
        """Everything the group sees, as one string."""
        if self.kind == "wecom":
            return str(self.body["markdown"]["content"])
        if self.kind == "dingtalk":
            return f"{self.body['markdown']['title']}\n{self.body['markdown']['text']}"
        card = self.body["card"]
        return card["header"]["title"]["content"] + "\n" + "\n".join(e["content"] for e in card["elements"])


class LocalRobots:
    """The three platforms' robots; use as a context manager."""

    def __init__(self, clock: Callable[[], datetime]):
        self.clock = clock
        self.robots: dict[tuple[str, str], Robot] = {}
        self.received: list[Received] = []
        # (kind, key, code) of every refused request
        self.refused: list[tuple[str, str, int]] = []
        self.raw_requests: list[str] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self._server.server_port}"

    def __enter__(self) -> LocalRobots:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- robots ------------------------------------------------------------------------------------------

    def wecom(self, key: str, per_minute: int | None = None) -> str:
        self.robots["wecom", key] = Robot("wecom", key, per_minute=per_minute)
        return f"{self.base}/cgi-bin/webhook/send?key={key}"

    def dingtalk(self, token: str, secret: str | None = None, keyword: str | None = None) -> str:
        self.robots["dingtalk", token] = Robot("dingtalk", token, secret, keyword)
        return f"{self.base}/robot/send?access_token={token}"

    def feishu(self, hook: str, secret: str | None = None, keyword: str | None = None) -> str:
        self.robots["feishu", hook] = Robot("feishu", hook, secret, keyword)
        return f"{self.base}/open-apis/bot/v2/hook/{hook}"

    def answer_next(self, kind: str, key: str, *codes: int) -> None:
        self.robots[kind, key].scripted.extend(codes)

    def messages(self, kind: str, key: str) -> list[Received]:
        return [r for r in self.received if (r.kind, r.key) == (kind, key)]

    # --- checking ------------------------------------------------------------------------------------------

    def handle(self, path: str, body: bytes) -> dict[str, Any]:
        url = urlsplit(path)
        query = parse_qs(url.query)
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if url.path == "/cgi-bin/webhook/send":
            return self._wecom(query.get("key", [""])[0], data)
        if url.path == "/robot/send":
            return self._dingtalk(query, data)
        if url.path.startswith("/open-apis/bot/v2/hook/"):
            return self._feishu(url.path.rsplit("/", 1)[1], data)
        return {"errcode": 404, "errmsg": "not found"}

    def _limited(self, robot: Robot) -> bool:
        now = self.clock()
        if robot.per_minute is None:
            return False
        recent = [t for t in robot.accepted_at if now - t < timedelta(minutes=1)]
        return len(recent) >= robot.per_minute

    def _wecom(self, key: str, data: Any) -> dict[str, Any]:
        robot = self.robots.get(("wecom", key))
        if robot is None:
            return self._refuse("wecom", key, "errcode", 93000, "invalid webhook url")
        if robot.scripted:
            return self._refuse("wecom", key, "errcode", robot.scripted.pop(0), "scripted")
        if self._limited(robot):
            return self._refuse("wecom", key, "errcode", 45009, "api freq out of limit")
        if not isinstance(data, dict) or data.get("msgtype") != "markdown":
            return self._refuse("wecom", key, "errcode", 40008, "invalid message type")
        content = data.get("markdown", {}).get("content")
        if not isinstance(content, str) or not content or len(content.encode()) > 4096:
            return self._refuse("wecom", key, "errcode", 40058, "markdown.content exceed max length 4096")
        return self._accept(robot, data, "errcode", "errmsg", "ok")

    def _dingtalk(self, query: dict[str, list[str]], data: Any) -> dict[str, Any]:
        token = query.get("access_token", [""])[0]
        robot = self.robots.get(("dingtalk", token))
        if robot is None:
            return self._refuse("dingtalk", token, "errcode", 300001, "token is not exist")
        if robot.scripted:
            return self._refuse("dingtalk", token, "errcode", robot.scripted.pop(0), "scripted")
        if robot.secret is not None:
            timestamp, sign = query.get("timestamp", [""])[0], query.get("sign", [""])[0]
            # parse_qs has already undone the URL quoting of `sign`.
            expected = base64.b64encode(
                hmac.new(robot.secret.encode(), f"{timestamp}\n{robot.secret}".encode(), hashlib.sha256).digest()
            ).decode()
            fresh = timestamp.isdigit() and abs(self.clock().timestamp() * 1000 - int(timestamp)) < 3600 * 1000
            if not fresh or not hmac.compare_digest(sign, expected):
                return self._refuse("dingtalk", token, "errcode", 310000, "sign not match")
        if not isinstance(data, dict) or data.get("msgtype") != "markdown":
            return self._refuse("dingtalk", token, "errcode", 40035, "缺少参数 msgtype")
        markdown = data.get("markdown", {})
        if not isinstance(markdown.get("title"), str) or not isinstance(markdown.get("text"), str):
            return self._refuse("dingtalk", token, "errcode", 40035, "缺少参数 markdown")
        if robot.keyword and robot.keyword not in markdown["title"] + markdown["text"]:
            return self._refuse("dingtalk", token, "errcode", 310000, "keywords not in content")
        return self._accept(robot, data, "errcode", "errmsg", "ok")

    def _feishu(self, hook: str, data: Any) -> dict[str, Any]:
        robot = self.robots.get(("feishu", hook))
        if robot is None:
            return self._refuse(
                "feishu", hook, "code", 19001, "param invalid: incoming webhook access token invalid"
            )
        if robot.scripted:
            return self._refuse("feishu", hook, "code", robot.scripted.pop(0), "scripted")
        if not isinstance(data, dict):
            return self._refuse("feishu", hook, "code", 9499, "Bad Request")
        if robot.secret is not None:
            timestamp, sign = str(data.get("timestamp", "")), str(data.get("sign", ""))
            expected = base64.b64encode(
                hmac.new(f"{timestamp}\n{robot.secret}".encode(), b"", hashlib.sha256).digest()
            ).decode()
            fresh = timestamp.isdigit() and abs(self.clock().timestamp() - int(timestamp)) < 3600
            if not fresh or not hmac.compare_digest(sign, expected):
                return self._refuse(
                    "feishu", hook, "code", 19021, "sign match fail or timestamp is not within one hour"
                )
        if data.get("msg_type") != "interactive" or not isinstance(data.get("card"), dict):
            return self._refuse("feishu", hook, "code", 19002, "params error, msg_type need")
        received = Received("feishu", hook, data)
        if robot.keyword and robot.keyword not in received.text:
            return self._refuse("feishu", hook, "code", 19024, "Key Words Not Found")
        return self._accept(robot, data, "code", "msg", "success")

    def _accept(self, robot: Robot, data: dict[str, Any], code: str, text: str, ok: str) -> dict[str, Any]:
        robot.accepted_at.append(self.clock())
        self.received.append(Received(robot.kind, robot.key, data))
        return {code: 0, text: ok}

    def _refuse(self, kind: str, key: str, code_field: str, code: int, why: str) -> dict[str, Any]:
        self.refused.append((kind, key, code))
        return {code_field: code, "errmsg" if code_field == "errcode" else "msg": why}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        robots = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with robots._lock:
                    robots.raw_requests.append(self.path)
                    answer = robots.handle(self.path, body)
                out = json.dumps(answer, ensure_ascii=False).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
