"""A local stand-in for Slack's Socket Mode WebSocket endpoint.

Attach it to a ``FakeSlack`` (``fake.socket_url = standin.url``) so ``apps.connections.open`` hands
its ws:// URL to the app. On each connection it sends Slack's ``hello``; ``send_envelope`` delivers
an envelope (``slash_commands``, ``interactive``, ``events_api``) to the newest connection and returns
the app's acknowledgement frame, matched by ``envelope_id``.

Not modelled: load-balancing across several connections, Slack's periodic ``disconnect`` warnings
(``send_disconnect`` sends one on demand) and redelivery of unacknowledged envelopes.
"""

from __future__ import annotations

import json
import secrets
import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

from tests.fakes.slack_api import APP_ID

ENVELOPE_TYPES = ("slash_commands", "interactive", "events_api")


class SocketModeStandIn:
    """Serves Socket Mode on ``ws://127.0.0.1:<port>/link/``; ``start()`` it or use it as a context
    manager."""

    def __init__(self, *, app_id: str = APP_ID) -> None:
        self.app_id = app_id
        self._lock = threading.Lock()
        self._connected = threading.Condition(self._lock)
        self._connections: list[ServerConnection] = []
        self._pending: dict[str, Future[dict[str, Any]]] = {}
        self._received: list[dict[str, Any]] = []
        self._accepted = 0
        self._retiring: list[ServerConnection] = []
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle -------------------------------------------------------------------------------

    def start(self) -> SocketModeStandIn:
        if self._server is None:
            self._server = serve(self._handle, "127.0.0.1", 0)
            self._thread = threading.Thread(
                target=self._server.serve_forever, name="socket-mode", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            connection.close()
        server.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        with self._lock:
            for future in self._pending.values():
                future.cancel()
            self._pending.clear()

    def __enter__(self) -> SocketModeStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The ws:// URL to hand out from apps.connections.open."""
        if self._server is None:
            raise RuntimeError("SocketModeStandIn is not started")
        port = self._server.socket.getsockname()[1]
        return f"ws://127.0.0.1:{port}/link/?ticket={secrets.token_hex(8)}&app_id={self.app_id}"

    # ---- inspection ------------------------------------------------------------------------------

    @property
    def connection_count(self) -> int:
        with self._lock:
            return len(self._connections)

    @property
    def connects(self) -> int:
        """How many connections have been accepted so far (reconnections included)."""
        with self._lock:
            return self._accepted

    @property
    def received(self) -> list[dict[str, Any]]:
        """Every JSON frame the clients sent, in order."""
        with self._lock:
            return list(self._received)

    def wait_connected(self, timeout: float = 5.0, *, count: int = 1) -> None:
        """Block until at least ``count`` clients are connected (and have been sent ``hello``)."""
        with self._connected:
            if not self._connected.wait_for(lambda: len(self._connections) >= count, timeout=timeout):
                raise AssertionError(
                    f"no Socket Mode client connected within {timeout}s ({len(self._connections)} connected)"
                )

    # ---- sending ---------------------------------------------------------------------------------

    def send_envelope(
        self,
        type: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool = True,
        timeout: float = 5.0,
        retry_attempt: int = 0,
        retry_reason: str = "",
    ) -> dict[str, Any]:
        """Deliver ``payload`` in an envelope of ``type`` and return the client's ack frame
        (``{"envelope_id": ..., "payload": ...}``; ``payload`` only when the app responded with one)."""
        if type not in ENVELOPE_TYPES:
            raise ValueError(f"envelope type must be one of {ENVELOPE_TYPES}, not {type!r}")
        envelope_id = (
            f"{secrets.token_hex(4)}-{secrets.token_hex(2)}-{secrets.token_hex(2)}-{secrets.token_hex(6)}"
        )
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": type,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        }
        if type == "events_api":
            envelope["retry_attempt"] = retry_attempt
            envelope["retry_reason"] = retry_reason
        future: Future[dict[str, Any]] = Future()
        with self._lock:
            if not self._connections:
                raise AssertionError("no Socket Mode client is connected")
            connection = self._connections[-1]
            self._pending[envelope_id] = future
        try:
            connection.send(json.dumps(envelope))
            return future.result(timeout=timeout)
        except FutureTimeout:
            raise AssertionError(
                f"the app did not acknowledge {type} envelope {envelope_id} within {timeout}s"
            ) from None
        finally:
            with self._lock:
                self._pending.pop(envelope_id, None)

    def send_disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask the newest client to reconnect, as Slack does before rotating a connection. The old
        connection is closed from this side as soon as the client has opened its new one."""
        with self._lock:
            if not self._connections:
                raise AssertionError("no Socket Mode client is connected")
            connection = self._connections[-1]
            self._retiring.append(connection)
        connection.send(
            json.dumps({"type": "disconnect", "reason": reason, "debug_info": {"host": "standin"}})
        )

    # ---- server side -----------------------------------------------------------------------------

    def _handle(self, connection: ServerConnection) -> None:
        with self._lock:
            count = len(self._connections) + 1
        hello = {
            "type": "hello",
            "num_connections": count,
            "debug_info": {"host": "standin", "build_number": 1, "approximate_connection_time": 18060},
            "connection_info": {"app_id": self.app_id},
        }
        try:
            connection.send(json.dumps(hello))
            with self._connected:
                self._accepted += 1
                self._connections.append(connection)
                retired, self._retiring = self._retiring, []
                self._connected.notify_all()
            for old in retired:
                old.close()
            for raw in connection:
                try:
                    frame = json.loads(raw)
                except ValueError:
                    continue
                if not isinstance(frame, dict):
                    continue
                with self._lock:
                    self._received.append(frame)
                    future = self._pending.get(str(frame.get("envelope_id")))
                if future is not None and not future.done():
                    future.set_result(frame)
        except ConnectionClosed:
            pass
        finally:
            with self._lock:
                if connection in self._connections:
                    self._connections.remove(connection)
