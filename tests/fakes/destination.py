"""A fake destination for the delivery queue: a loopback HTTP receiver and the sender that posts to it.

The receiver answers like a real web API that can be down, rate limiting or refusing on demand
(``fail_with(status, times, retry_after)``), keeps every request it took, and refuses a repeated
idempotency key with 409 the way well-behaved APIs do, so a test sees exactly what arrived, once.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlmodel import Session

from bot.delivery.worker import Delivery, Permanent, Retry


class FakeReceiver:
    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.keys: set[str] = set()
        self._faults: list[tuple[int, float | None]] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, headers, answer = receiver._answer(dict(self.headers), body)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/events"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def fail_with(self, status: int, *, times: int = 1, retry_after: float | None = None) -> None:
        with self._lock:
            self._faults.extend([(status, retry_after)] * times)

    def down(self) -> None:
        """Every request fails with 503 until `up()`."""
        self.fail_with(503, times=10_000)

    def up(self) -> None:
        with self._lock:
            self._faults.clear()

    def _answer(self, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            if self._faults:
                status, retry_after = self._faults.pop(0)
                extra = {"Retry-After": str(retry_after)} if retry_after is not None else {}
                return status, extra, b'{"error": "injected"}'
            key = headers.get("Idempotency-Key", "")
            if key and key in self.keys:
                return 409, {}, b'{"error": "duplicate"}'
            self.keys.add(key)
            self.received.append(json.loads(body))
            return 201, {}, json.dumps({"id": len(self.received)}).encode()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class ReceiverSender:
    """The sender of the fake destination: one POST per delivery, with its idempotency key."""

    url: str
    destination: str = "receiver"
    min_interval: float = 0.0
    max_attempts: int | None = None

    def send(self, delivery: Delivery, now: datetime) -> dict[str, Any]:
        request = urllib.request.Request(
            self.url,
            data=json.dumps(delivery.payload).encode(),
            headers={"Content-Type": "application/json", "Idempotency-Key": delivery.key or str(delivery.id)},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as resp:
                return dict(json.loads(resp.read()))
        except urllib.error.HTTPError as exc:
            if exc.code == 409:
                return {"duplicate": True}  # it arrived before: the idempotency key kept it once
            if exc.code == 429 or exc.code >= 500:
                after = exc.headers.get("Retry-After")
                raise Retry(float(after) if after else None, f"HTTP {exc.code}") from exc
            raise Permanent(f"HTTP {exc.code}") from exc
        except OSError as exc:
            raise Retry(None, type(exc).__name__) from exc

    def sent(self, session: Session, delivery: Delivery, result: dict[str, Any], now: datetime) -> None:
        return

    def describe(self, delivery: Delivery) -> str:
        return json.dumps(delivery.payload)[:200]

    def hold(self, session: Session, deliveries: list[Delivery], now: datetime) -> dict[int, datetime]:
        return {}
