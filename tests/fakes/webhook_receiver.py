"""A receiver of the bot's outbound web hooks on loopback, checking what a careful receiver checks.

For every request: the v0 signature and a fresh timestamp, checked the way the README tells receivers to
and with this module's own code (`verify`), not the bot's, so a change of the bot's scheme fails here; the
CloudEvents 1.0 structured-mode content type and attributes; and that the id was not seen before (a repeat
is answered 200 and not kept twice). It answers 401 / 400 to what fails, and what a test injected
(`fail_with(503)`, `down()` until `up()`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOLERANCE = 300  # seconds a timestamp may be off the receiver's clock, as the README suggests


def verify(secret: str, headers: dict[str, str], body: bytes, *, now: float | None = None) -> str | None:
    """The README's verification, written out: None when the request is genuine, else why not."""
    stamp = headers.get("x-remediate-timestamp", "")
    signature = headers.get("x-remediate-signature", "")
    if not stamp.isdigit():
        return "missing or malformed X-Remediate-Timestamp"
    if abs((time.time() if now is None else now) - int(stamp)) > TOLERANCE:
        return "stale timestamp"
    base = b"v0:" + stamp.encode("ascii") + b":" + body
    expected = "v0=" + hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        return "signature does not match"
    return None


class WebhookReceiver:
    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.events: list[dict[str, Any]] = []
        self.raw: list[tuple[dict[str, str], bytes]] = []  # the headers and body of each kept event
        self.ids: set[str] = set()
        self.repeats = 0
        self.refused: list[tuple[int, str]] = []
        self.attempts = 0
        self._faults: list[tuple[int, float | None]] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, headers, text = receiver._answer(dict(self.headers.items()), body)
                raw = text.encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/remediate-events"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def fail_with(self, status: int, *, times: int = 1, retry_after: float | None = None) -> None:
        with self._lock:
            self._faults.extend([(status, retry_after)] * times)

    def down(self) -> None:
        self.fail_with(503, times=1_000_000)

    def up(self) -> None:
        with self._lock:
            self._faults.clear()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        with self._lock:
            return [e for e in self.events if e["type"] == f"com.remediate.{kind}"]

    def _answer(self, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], str]:
        h = {k.lower(): v for k, v in headers.items()}
        with self._lock:
            self.attempts += 1
            if self._faults:
                status, retry_after = self._faults.pop(0)
                extra = {"Retry-After": str(retry_after)} if retry_after is not None else {}
                return status, extra, "injected"
            bad = verify(self.secret, h, body)
            if bad:
                self.refused.append((401, bad))
                return 401, {}, bad
            problem = _cloud_event_problem(h.get("content-type", ""), body)
            if problem:
                self.refused.append((400, problem))
                return 400, {}, problem
            event = json.loads(body)
            if event["id"] in self.ids:
                self.repeats += 1
                return 200, {}, "already had it"
            self.ids.add(event["id"])
            self.events.append(event)
            self.raw.append((h, body))
            return 204, {}, ""


def _cloud_event_problem(content_type: str, body: bytes) -> str | None:
    if not content_type.startswith("application/cloudevents+json"):
        return f"content type {content_type!r} is not structured-mode CloudEvents"
    try:
        event = json.loads(body)
    except ValueError:
        return "body is not JSON"
    if not isinstance(event, dict):
        return "not an object"
    if event.get("specversion") != "1.0":
        return "specversion must be 1.0"
    for attr in ("id", "source", "type"):
        if not isinstance(event.get(attr), str) or not event[attr]:
            return f"{attr} is required and must be a non-empty string"
    if not event["type"].startswith("com.remediate."):
        return f"unexpected type {event['type']}"
    try:
        datetime.fromisoformat(str(event.get("time")).replace("Z", "+00:00"))
    except ValueError:
        return "time is not RFC 3339"
    if event.get("datacontenttype") != "application/json" or not isinstance(event.get("data"), dict):
        return "data must be a JSON object with datacontenttype application/json"
    return None
