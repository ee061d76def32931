"""HTTP mode: Bolt's WSGI adapter at POST /slack/events, plus /healthz and /metrics, served by cheroot.

cheroot is CherryPy's production WSGI server: a fixed pool of worker threads, HTTP/1.1 keep-alive, and a
graceful stop that lets in-flight requests finish.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

from cheroot import wsgi
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.deps import Deps
from bot.logs import new_request_id
from storage.db import ping, writes_accepted

log = logging.getLogger(__name__)

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def make_wsgi_app(app: App, deps: Deps, *, slack: bool = True) -> WsgiApp:
    """The routes. With `slack=False` (the job runner) /slack/events answers 404: only /healthz and
    /metrics are served."""
    handler = SlackRequestHandler(app, path="/slack/events")

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        rid = new_request_id()

        def start_response_with_id(status: str, headers: list[tuple[str, str]], *exc: Any) -> Any:
            # The id of this request's log lines and Slack calls, for whoever has to trace it.
            return start_response(status, [*headers, ("X-Request-Id", rid)], *exc)

        return _route(environ, start_response_with_id)

    def _route(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/slack/events":
            if not slack:
                return _plain(
                    start_response, "404 Not Found", b"this process runs jobs; it takes no Slack requests\n"
                )
            if method != "POST":
                return _plain(start_response, "405 Method Not Allowed", b"POST only\n")
            return handler(environ, start_response)
        if path == "/healthz":
            if not ping(deps.engine):
                return _plain(start_response, "503 Service Unavailable", b"database unreachable\n")
            if not writes_accepted(deps.engine):  # a full disk, a read-only database (`storage.db`)
                return _plain(start_response, "503 Service Unavailable", b"database not accepting writes\n")
            return _plain(start_response, "200 OK", b"ok\n")
        if path == "/metrics":
            body = deps.metrics.render()
            start_response(
                "200 OK", [("Content-Type", "text/plain; version=0.0.4"), ("Content-Length", str(len(body)))]
            )
            return [body]
        return _plain(start_response, "404 Not Found", b"not found\n")

    return application


def _plain(start_response: Callable[..., Any], status: str, body: bytes) -> list[bytes]:
    start_response(
        status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
    )
    return [body]


class HttpServer:
    """A cheroot server on (host, port); `port=0` picks a free one (see `.port` after start)."""

    def __init__(
        self, application: WsgiApp, host: str, port: int, *, threads: int = 32, shutdown_timeout: int = 10
    ):
        self.server = wsgi.Server(
            (host, port),
            application,
            numthreads=threads,
            shutdown_timeout=shutdown_timeout,
            # cheroot's default listen backlog is 5: a burst of new connections beyond it is dropped and
            # the client retries a second later. Slack opens many connections at once under load.
            request_queue_size=1024,
        )
        self.server.server_name = "remediate"
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self.server.bind_addr[1])

    def start(self) -> None:
        self.server.prepare()  # binds now, so the port is known and errors surface here
        self._thread = threading.Thread(target=self.server.serve, name="http", daemon=True)
        self._thread.start()
        log.info("HTTP server listening on %s:%s", self.server.bind_addr[0], self.port)

    def stop(self) -> None:
        """Stop accepting connections and wait (up to shutdown_timeout) for in-flight requests."""
        self.server.stop()
        if self._thread is not None:
            self._thread.join(timeout=15)
