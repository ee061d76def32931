"""HTTP mode: POST /slack/events through the front door to Bolt's WSGI adapter, plus /healthz and /metrics,
served by `bot.wsgi_server` (an asyncio HTTP/1.1 server that hands only complete requests to its workers).

Every request to /slack/events is verified here before Bolt reads it (`bot.slack.front_door`): a missing,
malformed, stale or wrong signature gets 401, a signed body Slack would never send gets 400, each with one
short log line and nothing else done (no listener, no metric, no Slack call). Bolt verifies the signature
again, as a second check.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.clock import Clock, system_clock
from bot.config import Settings
from bot.deps import Deps
from bot.hooks.inbound import HookRequest, HookSource, receive
from bot.logs import new_request_id
from bot.slack.front_door import Refusal, is_ssl_check, keep_request_bodies_at_debug, shape, verify
from bot.wsgi_server import HttpServer, Limits
from storage.db import ping, writes_accepted

__all__ = ["HttpServer", "Limits", "http_limits", "make_wsgi_app"]

log = logging.getLogger(__name__)

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_STATUS = {
    200: "200 OK",
    202: "202 Accepted",
    400: "400 Bad Request",
    401: "401 Unauthorized",
    404: "404 Not Found",
    405: "405 Method Not Allowed",
    413: "413 Content Too Large",
}
_HOOK_PATH = re.compile(r"/hooks/([a-z][a-z0-9-]{0,31})")


def http_limits(settings: Settings, *, largest_hook_body: int = 0) -> Limits:
    """The server's limits from the settings: the bot and the benchmark's floor serve with the same. A hook
    that takes larger bodies (a CI test report) raises the server's limit to its own; every route still
    holds its own limit (/slack/events keeps HTTP_MAX_BODY_BYTES)."""
    return Limits(
        max_body_bytes=max(settings.http_max_body_bytes, largest_hook_body),
        max_connections=settings.http_max_connections,
    )


def make_wsgi_app(
    app: App,
    deps: Deps,
    *,
    slack: bool = True,
    clock: Clock = system_clock,
    hooks: Mapping[str, HookSource] | None = None,
    pages: Mapping[str, WsgiApp] | None = None,
) -> WsgiApp:
    """The routes. With `slack=False` (the job runner) /slack/events answers 404: only /healthz and
    /metrics are served. `hooks`: the signed inbound web hooks, by source, at POST /hooks/<source>
    (`bot.hooks.inbound`). `pages`: other web applications by path prefix (the dashboard at /dashboard).

    `clock` is what a request's timestamp must be within five minutes of. Slack stamps its requests with
    the wall clock, so it is the wall clock, whatever clock the rules run on (a test's moved clock)."""
    handler = SlackRequestHandler(app, path="/slack/events")
    secret = deps.settings.slack_signing_secret.get_secret_value().encode("utf-8")
    max_body = deps.settings.http_max_body_bytes
    keep_request_bodies_at_debug()

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
            return _front_door(environ, start_response)
        hook = _HOOK_PATH.fullmatch(path)
        if hook is not None:
            return _hook(hook.group(1), method, environ, start_response)
        for prefix, page_app in (pages or {}).items():
            if path == prefix or path.startswith(prefix + "/"):
                return page_app(environ, start_response)
        if path == "/healthz" and "detail" in environ.get("QUERY_STRING", ""):
            return _json(start_response, _STATUS[200], _health_detail(deps))
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

    def _hook(
        name: str, method: str, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        source = (hooks or {}).get(name)
        if source is None:
            return _json(start_response, _STATUS[404], {"ok": False, "error": "no such hook"})
        if method != "POST":
            return _json(start_response, _STATUS[405], {"ok": False, "error": "POST only"})
        body = _body(environ, source.max_body)  # the size is decided before the body is read
        if body is None:
            log.info("refused a request to /hooks/%s: 413, body over the limit", name)
            return _json(start_response, _STATUS[413], {"ok": False, "error": "body over the limit"})
        headers = {
            k[5:].replace("_", "-").lower(): str(v) for k, v in environ.items() if k.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = str(environ["CONTENT_TYPE"])
        request = HookRequest(headers=headers, body=body, received_at=clock())
        answer = receive(source, request, uow=deps.uow)
        return _json(start_response, _STATUS.get(answer.status, f"{answer.status} Hook"), answer.body)

    def _front_door(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        body = _body(environ, max_body)
        if body is not None and is_ssl_check(environ.get("CONTENT_TYPE"), body):
            return _plain(start_response, "200 OK", b"")
        if body is None:
            refused: Refusal | None = Refusal(413, "body over the limit")
        else:
            refused = verify(
                environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP"),
                environ.get("HTTP_X_SLACK_SIGNATURE"),
                body,
                secret=secret,
                now=clock().timestamp(),
            )
        if refused is None:
            assert body is not None
            checked = shape(environ.get("CONTENT_TYPE"), body)
            if isinstance(checked, Refusal):
                refused = checked
            else:
                environ["CONTENT_TYPE"] = checked.content_type
                environ["CONTENT_LENGTH"] = str(len(body))
                environ["wsgi.input"] = io.BytesIO(body)
                return handler(environ, start_response)
        # One short line: the reason is ours, never a piece of the request.
        log.info("refused a request to /slack/events: %d, %s", refused.status, refused.why)
        return _plain(start_response, _STATUS[refused.status], refused.why.encode() + b"\n")

    return application


def _body(environ: dict[str, Any], limit: int) -> bytes | None:
    """The request body, or None when it is longer than `limit` (`bot.wsgi_server` refuses those before
    reading them; this holds behind any other server too)."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        return None
    stream = environ.get("wsgi.input")
    return stream.read(length) if stream is not None and length > 0 else b""


def _health_detail(deps: Deps) -> dict[str, Any]:
    """What /healthz?detail=1 shows: the database, and each destination's queue and last refusal for good."""
    now = deps.clock()
    try:
        depths = deps.delivery_depths()
    except Exception as exc:  # the database is down: say so in the detail, not as an error page
        depths = {}
        log.warning("health detail: could not read the delivery queue: %s", type(exc).__name__)
    failures = deps.metrics.last_permanent_failure
    destinations: dict[str, Any] = {}
    for dest in sorted({"slack", *depths, *failures}):
        pending, oldest = depths.get(dest, (0, None))
        entry: dict[str, Any] = {
            "pending": pending,
            "oldest_age_seconds": round((now - oldest).total_seconds(), 1) if oldest else 0.0,
        }
        if dest in failures:
            reason, at = failures[dest]
            entry["last_permanent_failure"] = {"reason": reason, "at": at.isoformat()}
        destinations[dest] = entry
    return {
        "database": "ok" if ping(deps.engine) else "unreachable",
        "writes": "ok" if writes_accepted(deps.engine) else "refused",
        "destinations": destinations,
    }


def _json(start_response: Callable[..., Any], status: str, payload: dict[str, Any]) -> list[bytes]:
    body = json.dumps(payload, default=str).encode("utf-8")
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def _plain(start_response: Callable[..., Any], status: str, body: bytes) -> list[bytes]:
    start_response(
        status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
    )
    return [body]
