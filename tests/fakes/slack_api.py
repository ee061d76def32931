"""A fake Slack Web API on loopback, for end-to-end tests of the real Bolt app.

``FakeSlack`` answers ``POST /api/<method>`` the way slack.com does: HTTP 200 with ``{"ok": true, ...}``
or ``{"ok": false, "error": "..."}``, HTTP 429 with ``Retry-After`` when rate limited. It accepts
form-encoded and JSON bodies (slack_sdk sends both), reads the token from ``Authorization: Bearer`` or
a ``token`` form/query parameter (never from a JSON body, as on Slack), keeps workspace state
(messages, views, users, channels, files) and records every call.

Point a client at it with ``WebClient(base_url=fake.url, token=fake.token)`` or ``SLACK_API_URL``.

Besides the Web API it serves:

* ``POST /response/<anything>`` -- response URLs for Bolt's ``respond()``; a URL from
  ``new_response_url(channel=..., message_ts=...)`` also honours ``replace_original``,
  ``delete_original`` and ``response_type="in_channel"`` against the stored message/channel.
* ``POST /upload/<file_id>`` -- the upload URL of the v2 file upload flow (raw bytes or multipart).
* ``GET /files/<file_id>`` -- ``url_private`` downloads; needs ``Authorization: Bearer <bot token>``.

Deliberately stricter than Slack (the project requires these everywhere):

* a message (or response URL payload) with ``blocks`` but no non-empty ``text`` is rejected with
  ``missing_fallback_text``; Slack accepts it and only warns;
* see ``tests.fakes.blockkit_limits`` for the Block Kit rules, which reject ``input`` blocks in messages
  and duplicate ``action_id``s anywhere in one message or view.

Every ``blocks`` array and ``view`` the fake receives is also checked by slack_sdk's own models
(``tests.fakes.sdk_models``), independently of those rules; what they refuse is answered like any invalid
Block Kit (``invalid_blocks`` / ``invalid_arguments``, the SDK's messages after the rules' own) and kept
in ``fake.sdk_rejections``.

The workspace starts with two users: the bot (``UBOT``, bot id ``BBOT``) and ``UALICE`` ("alice"),
the default actor of ``SlackDriver``. Channel ids starting with ``C``/``G`` exist implicitly unless listed
in ``fake.missing_channels``; the bot is a member unless listed in ``fake.not_in_channels``. User ids
must be registered with ``add_user`` to be DM'd, invited or looked up.
"""

from __future__ import annotations

import base64
import copy
import email.parser
import email.policy
import itertools
import json
import mimetypes
import re
import secrets
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote
from zoneinfo import ZoneInfo

from tests.fakes.blockkit_limits import validate_blocks, validate_view
from tests.fakes.sdk_models import sdk_message_errors, sdk_view_errors

BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
APP_ID = "A0REMEDIATE"
TEAM_DOMAIN = "remediate-test"

TRIGGER_LIFETIME = 3.0  # seconds, as documented for trigger_id
MAX_VIEW_STACK = 3
RESPONSE_URL_USES = 5
MAX_MESSAGE_TEXT = 40_000
CHANNEL_NAME_MAX = 80
_CHANNEL_NAME = re.compile(r"^[a-z0-9_\-]+$")
_JSON_PARAM_ERRORS = {
    "blocks": "invalid_blocks_format",
    "attachments": "invalid_attachments",
    "view": "invalid_arguments",
    "files": "invalid_arguments",
    "metadata": "invalid_metadata_format",
}
_TZ_LABELS = {
    "UTC": "Coordinated Universal Time",
    "GMT": "Greenwich Mean Time",
    "BST": "British Summer Time",
    "CET": "Central European Time",
    "CEST": "Central European Summer Time",
    "EET": "Eastern European Time",
    "EEST": "Eastern European Summer Time",
    "EST": "Eastern Standard Time",
    "EDT": "Eastern Daylight Time",
    "CST": "Central Standard Time",
    "CDT": "Central Daylight Time",
    "MST": "Mountain Standard Time",
    "MDT": "Mountain Daylight Time",
    "PST": "Pacific Standard Time",
    "PDT": "Pacific Daylight Time",
    "IST": "India Standard Time",
    "JST": "Japan Standard Time",
    "AEST": "Australian Eastern Standard Time",
    "AEDT": "Australian Eastern Daylight Time",
}
_FILETYPES = {"md": "markdown", "txt": "text", "csv": "csv", "json": "json", "png": "png", "pdf": "pdf"}

SUPPORTED_METHODS = (
    "auth.test",
    "chat.postMessage",
    "chat.postEphemeral",
    "chat.update",
    "chat.delete",
    "chat.getPermalink",
    "views.open",
    "views.update",
    "views.push",
    "views.publish",
    "users.info",
    "users.list",
    "usergroups.users.list",
    "conversations.open",
    "conversations.create",
    "conversations.invite",
    "conversations.info",
    "conversations.join",
    "conversations.replies",
    "files.getUploadURLExternal",
    "files.completeUploadExternal",
    "files.info",
    "apps.connections.open",
)


@dataclass(frozen=True)
class Call:
    """One request the fake answered. ``method`` is the Web API method, or ``response_url``,
    ``upload`` or ``file_download`` for the other endpoints."""

    method: str
    args: dict[str, Any]
    http_status: int
    response: dict[str, Any]
    at: float
    token: str | None = None


@dataclass(frozen=True)
class SdkRejection:
    """A ``blocks`` array or ``view`` that slack_sdk's models refused (``tests.fakes.sdk_models``), whatever
    the fake's own Block Kit rules made of it. ``method`` is the Web API method, ``response_url`` or
    ``view_submission_ack``."""

    method: str
    errors: tuple[str, ...]
    payload: Any


@dataclass
class StoredFile:
    """A file known to the fake: uploaded through the v2 flow or added with ``add_file``."""

    id: str
    filename: str
    content: bytes
    title: str
    mimetype: str
    filetype: str
    user: str
    created: int
    channel: str | None = None
    initial_comment: str | None = None
    thread_ts: str | None = None


@dataclass
class _User:
    id: str
    name: str
    real_name: str
    tz: str
    is_admin: bool
    email: str | None
    deleted: bool
    is_bot: bool = False


@dataclass
class _Channel:
    id: str
    name: str
    is_private: bool = False
    is_im: bool = False
    is_mpim: bool = False
    user: str | None = None  # the other side of a DM
    members: set[str] = field(default_factory=set)
    created: int = field(default_factory=lambda: int(time.time()))
    creator: str = BOT_USER_ID
    is_archived: bool = False


@dataclass
class _Trigger:
    issued: float
    user: str | None
    view_id: str | None
    used: bool = False


@dataclass
class _Fault:
    status: int | None
    retry_after: int
    error: str | None
    delay: float


@dataclass
class _Reply:
    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


class _SlackError(Exception):
    """An ``ok: false`` answer; ``extra`` goes into the body next to ``error``."""

    def __init__(self, error: str, *, status: int = 200, headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(error)
        self.error = error
        self.status = status
        self.headers = headers or {}
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"ok": False, "error": self.error, **self.extra}


def _invalid_blocks(errors: list[str]) -> _SlackError:
    return _SlackError(
        "invalid_blocks",
        errors=errors,
        response_metadata={"messages": [f"[ERROR] {e}" for e in errors]},
    )


def _invalid_view(errors: list[str]) -> _SlackError:
    return _SlackError("invalid_arguments", response_metadata={"messages": [f"[ERROR] {e}" for e in errors]})


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes")
    return bool(value)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    fake: FakeSlack


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive for clients that want it
    server: _Server

    def do_POST(self) -> None:
        self.server.fake._serve(self)

    def do_GET(self) -> None:
        self.server.fake._serve(self)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class FakeSlack:
    """A fake Slack workspace served over HTTP on 127.0.0.1. See the module docstring."""

    def __init__(
        self,
        token: str = "xoxb-test-token",
        app_token: str = "xapp-1-test",
        team_id: str = "T0001",
        burst: int | None = 10,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``burst`` is the per-channel chat.postMessage bucket, refilled one per second (None disables
        it). ``clock`` measures trigger id age and bucket refill; pass a fake one to test expiry without
        sleeping."""
        self.token = token
        self.app_token = app_token
        self.team_id = team_id
        self.team_domain = TEAM_DOMAIN
        self.burst = burst
        self.socket_url: str | None = None
        self.missing_channels: set[str] = set()
        self.not_in_channels: set[str] = set()
        self._clock = clock
        self._lock = threading.RLock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._ids = itertools.count(1)
        self._users: dict[str, _User] = {}
        self._usergroups: dict[str, dict[str, Any]] = {}
        self.add_user(BOT_USER_ID, "remediate", real_name="Remediate")
        self._users[BOT_USER_ID].is_bot = True
        self.add_user("UALICE", "alice", real_name="Alice Archer")
        self._methods: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            name: getattr(self, "_api_" + name.replace(".", "_")) for name in SUPPORTED_METHODS
        }
        self._clear_state()

    def _clear_state(self) -> None:
        self._calls: list[Call] = []
        self._sdk_rejections: list[SdkRejection] = []
        self._faults: dict[str, deque[_Fault]] = {}
        self._messages: dict[str, list[dict[str, Any]]] = {}
        self._history: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._ephemerals: list[dict[str, Any]] = []
        self._responses: list[dict[str, Any]] = []
        self._response_urls: dict[str, dict[str, Any]] = {}
        self._channels: dict[str, _Channel] = {}
        self._dms: dict[frozenset[str], str] = {}
        self._buckets: dict[str, tuple[float, float]] = {}
        self._triggers: dict[str, _Trigger] = {}
        self._arrival = threading.local()  # when the call being handled on this thread arrived
        self._views: dict[str, dict[str, Any]] = {}
        self._homes: dict[str, dict[str, Any]] = {}
        self._pending_uploads: dict[str, dict[str, Any]] = {}
        self._files: dict[str, StoredFile] = {}
        self._last_ts = 0

    # ---- lifecycle -------------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        """Bind 127.0.0.1 on a free port and serve on a daemon thread."""
        if self._server is not None:
            return self
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-slack", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeSlack is not started")
        return int(self._server.server_address[1])

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """The Web API base URL, as ``WebClient(base_url=...)`` and ``SLACK_API_URL`` expect it."""
        return f"{self.base}/api/"

    # ---- test set-up -----------------------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        name: str,
        real_name: str | None = None,
        tz: str = "UTC",
        is_admin: bool = False,
        email: str | None = None,
        deleted: bool = False,
    ) -> None:
        """Register (or replace) a workspace member. ``tz`` must be an IANA zone name."""
        ZoneInfo(tz)  # fail here, not in the middle of a users.info call
        with self._lock:
            self._users[user_id] = _User(user_id, name, real_name or name, tz, is_admin, email, deleted)

    def add_usergroup(self, group_id: str, handle: str, users: Iterable[str]) -> None:
        with self._lock:
            self._usergroups[group_id] = {"id": group_id, "handle": handle, "users": list(users)}

    def add_channel(
        self,
        channel_id: str,
        name: str,
        *,
        is_private: bool = False,
        members: Iterable[str] = (),
        bot_is_member: bool = True,
        archived: bool = False,
    ) -> None:
        """Register a named channel (implicit channels are named after their lowercased id)."""
        with self._lock:
            self._channels[channel_id] = _Channel(
                channel_id, name, is_private=is_private, members=set(members), is_archived=archived
            )
            if bot_is_member:
                self.not_in_channels.discard(channel_id)
            else:
                self.not_in_channels.add(channel_id)

    def add_message(
        self,
        channel: str,
        text: str,
        *,
        user: str = "UALICE",
        thread_ts: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
    ) -> str:
        """Store a message written by a person (e.g. the target of a message shortcut); returns its ts."""
        with self._lock:
            ch = self._conversation(channel, allow_user=True)
            message = self._store_message(
                ch.id, text=text, blocks=blocks or [], thread_ts=thread_ts, user=user
            )
            return str(message["ts"])

    def add_file(
        self, name: str, content: bytes, mimetype: str = "text/markdown", user: str = "UALICE"
    ) -> str:
        """Store a file as if a person had uploaded it; returns its id for files.info."""
        with self._lock:
            file_id = self._new_id("F")
            self._files[file_id] = StoredFile(
                id=file_id,
                filename=name,
                content=bytes(content),
                title=name,
                mimetype=mimetype,
                filetype=_filetype(name),
                user=user,
                created=int(time.time()),
            )
            return file_id

    def new_trigger_id(self, *, user: str | None = None, view_id: str | None = None) -> str:
        """Issue a trigger id, valid once for TRIGGER_LIFETIME seconds. ``view_id`` ties it to an open
        modal, as for interactions inside that modal (views.push then stacks on it)."""
        with self._lock:
            n = next(self._ids)
            trigger_id = f"{n}.{int(time.time())}.{secrets.token_hex(16)}"
            self._triggers[trigger_id] = _Trigger(self._clock(), user, view_id)
            return trigger_id

    def new_response_url(
        self, *, channel: str | None = None, message_ts: str | None = None, user: str | None = None
    ) -> str:
        """A fresh response URL. With ``channel`` (and ``message_ts``) it can post in the channel and
        replace or delete the original message."""
        with self._lock:
            path = f"/response/{self.team_id}/{next(self._ids)}/{secrets.token_hex(12)}"
            self._response_urls[path] = {
                "channel": channel,
                "message_ts": message_ts,
                "user": user,
                "uses": 0,
            }
            return self.base + path

    def fail(
        self,
        method: str,
        *,
        status: int | None = None,
        retry_after: int = 1,
        error: str | None = None,
        delay: float = 0.0,
        times: int = 1,
    ) -> None:
        """Queue ``times`` faults for ``method``; each call consumes one, in order.

        ``error="x"`` answers HTTP 200 ``{"ok": false, "error": "x"}``; ``status=429`` (the default) answers
        429 with ``Retry-After``; any other status answers that status with a text body. ``delay`` sleeps
        first; a fault with only a delay then answers normally (for client timeouts).
        """
        if status is None and error is None and delay == 0:
            status = 429
        with self._lock:
            queue = self._faults.setdefault(method, deque())
            for _ in range(times):
                queue.append(_Fault(status, retry_after, error, delay))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def reset(self) -> None:
        """Forget recordings and workspace state (messages, views, files, channels, faults, the channel
        sets); users and user groups stay."""
        with self._lock:
            self._clear_state()
            self.missing_channels.clear()
            self.not_in_channels.clear()

    # ---- inspection ------------------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    @property
    def sdk_rejections(self) -> list[SdkRejection]:
        """Payloads slack_sdk's own models refused, oldest first (each was also answered as invalid)."""
        with self._lock:
            return list(self._sdk_rejections)

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def ok_calls(self, method: str) -> list[Call]:
        return [c for c in self.calls_to(method) if c.response.get("ok") is True]

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Current messages (edits applied, deletions gone), oldest first. ``channel`` may be a user id
        for the bot's DM with that user. Each is a dict with channel, ts, text, blocks, thread_ts, user."""
        with self._lock:
            if channel is None:
                found = [m for msgs in self._messages.values() for m in msgs]
                found.sort(key=lambda m: float(m["ts"]))
            else:
                found = list(self._messages.get(self._dm_for(channel) or channel, []))
            return copy.deepcopy(found)

    def edit_history(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """Earlier versions of a message, oldest first (empty if never edited)."""
        with self._lock:
            return copy.deepcopy(self._history.get((self._dm_for(channel) or channel, ts), []))

    def posts(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Arguments of successful chat.postMessage calls (matching the channel as sent or as resolved)."""
        return [
            c.args
            for c in self.ok_calls("chat.postMessage")
            if channel is None or channel in (c.args.get("channel"), c.response.get("channel"))
        ]

    def ephemerals(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Ephemeral messages sent with chat.postEphemeral."""
        with self._lock:
            return copy.deepcopy([e for e in self._ephemerals if channel is None or e["channel"] == channel])

    @property
    def responses(self) -> list[dict[str, Any]]:
        """Payloads accepted on response URLs, in order."""
        with self._lock:
            return copy.deepcopy(self._responses)

    @property
    def views(self) -> dict[str, dict[str, Any]]:
        """Open modals by view id (current version)."""
        with self._lock:
            return copy.deepcopy(self._views)

    def home(self, user_id: str) -> dict[str, Any] | None:
        """The Home tab last published for ``user_id``."""
        with self._lock:
            view = self._homes.get(user_id)
            return copy.deepcopy(view)

    @property
    def files(self) -> dict[str, StoredFile]:
        with self._lock:
            return {k: replace(v) for k, v in self._files.items()}

    def close_view(self, view_id: str, *, clear: bool = False) -> None:
        """Close a modal as the user would (or all of its stack with ``clear``)."""
        with self._lock:
            view = self._views.get(view_id)
            if view is None:
                return
            doomed = [view_id]
            if clear:
                doomed = [k for k, v in self._views.items() if v["root_view_id"] == view["root_view_id"]]
            for key in doomed:
                self._views.pop(key, None)

    def user_info(self, user_id: str) -> dict[str, Any] | None:
        """The users.info ``user`` object for a registered user, else None."""
        with self._lock:
            user = self._users.get(user_id)
            return self._user_json(user) if user is not None else None

    def channel_info(self, channel_id: str) -> dict[str, Any] | None:
        """The conversations.info ``channel`` object, or None where Slack would say channel_not_found."""
        with self._lock:
            try:
                return self._channel_json(self._conversation(channel_id, allow_user=True))
            except _SlackError:
                return None

    def apply_view_ack(self, view_id: str, ack: dict[str, Any] | None) -> list[str]:
        """Do to the modal ``view_id`` what Slack does with the app's ack of its view_submission: an empty
        ack closes it, ``clear`` closes its stack, ``update`` replaces it, ``push`` stacks a new view,
        ``errors`` leaves it open. Returns Slack's validation errors for an update/push view (then nothing
        changes, and the user would see an error in the modal)."""
        action = (ack or {}).get("response_action")
        with self._lock:
            current = self._views.get(view_id)
            if current is None or action == "errors":
                return []
            if action in (None, "clear"):
                self.close_view(view_id, clear=action == "clear")
                return []
            view = (ack or {}).get("view")
            errors = validate_view(view, "modal") + self._sdk_check("view_submission_ack", view)
            if errors:
                return errors
            assert isinstance(view, dict)
            if action == "update":
                view = {"external_id": current["external_id"], **view}
                self._views[view_id] = self._build_view(
                    view, view_id=view_id, root=current["root_view_id"], previous=current["previous_view_id"]
                )
            elif action == "push":
                root = current["root_view_id"]
                if sum(1 for v in self._views.values() if v["root_view_id"] == root) >= MAX_VIEW_STACK:
                    return ["push_limit_reached"]
                new_id = self._new_id("V")
                self._views[new_id] = self._build_view(view, view_id=new_id, root=root, previous=view_id)
            else:
                return [f"unknown response_action {action!r}"]
            return []

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0, *, message: str = "") -> Any:
        """Poll ``predicate()`` until it returns something truthy and return that, or fail the test."""
        deadline = time.monotonic() + timeout
        value: Any = None
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() >= deadline:
                break
            time.sleep(0.01)
        recent = ", ".join(
            f"{c.method}->{c.http_status}/{c.response.get('error', 'ok')}" for c in self.calls[-10:]
        )
        what = message or getattr(predicate, "__name__", repr(predicate))
        raise AssertionError(
            f"timed out after {timeout}s waiting for {what}; last value {value!r}; last calls: [{recent}]"
        )

    # ---- HTTP plumbing ---------------------------------------------------------------------------

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        path, _, query = h.path.partition("?")
        try:
            if path.startswith("/api/"):
                reply = self._api(path[len("/api/") :], query, h.headers, body)
            elif path.startswith("/response/") and h.command == "POST":
                reply = self._response_url(path, h.headers, body)
            elif path.startswith("/upload/") and h.command == "POST":
                reply = self._upload(path[len("/upload/") :], h.headers, body)
            elif path.startswith("/files/") and h.command == "GET":
                reply = self._download(path[len("/files/") :], h.headers)
            else:
                reply = _Reply(404, b"not found", "text/plain")
        except Exception:
            # A bug in the fake: make it loud rather than a confusing client-side error.
            reply = _Reply(500, traceback.format_exc().encode(), "text/plain")
        try:
            h.send_response(reply.status)
            h.send_header("Content-Type", reply.content_type)
            h.send_header("Content-Length", str(len(reply.body)))
            for key, value in reply.headers.items():
                h.send_header(key, value)
            h.end_headers()
            h.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (e.g. timed out on a delay fault)

    def _record(
        self, method: str, args: dict[str, Any], status: int, response: dict[str, Any], token: Any
    ) -> None:
        with self._lock:
            self._calls.append(Call(method, args, status, response, time.time(), token))

    def _json_reply(
        self,
        method: str,
        args: dict[str, Any],
        token: str | None,
        status: int,
        body: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> _Reply:
        self._record(method, args, status, body, token)
        return _Reply(status, json.dumps(body).encode(), headers=headers or {})

    def _api(self, method: str, query: str, headers: Any, body: bytes) -> _Reply:
        # Slack checks a trigger id's age when the call arrives, not when it answers (an injected delay).
        self._arrival.at = self._clock()
        token: str | None = None
        auth = headers.get("Authorization") or ""
        if auth.startswith("Bearer "):
            token = auth[len("Bearer ") :].strip()
        args: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
        ctype = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
        try:
            if ctype == "application/json":
                try:
                    payload = json.loads(body or b"{}")
                except ValueError as e:
                    raise _SlackError("invalid_json") from e
                if not isinstance(payload, dict):
                    raise _SlackError("invalid_json")
                payload.pop("token", None)  # Slack ignores a token inside a JSON body
                args.update(payload)
            elif body:
                args.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
            if token is None:
                token = args.pop("token", None) or None
            args.pop("token", None)
            for key, error in _JSON_PARAM_ERRORS.items():
                if isinstance(args.get(key), str) and args[key] != "":
                    try:
                        args[key] = json.loads(args[key])
                    except ValueError as e:
                        raise _SlackError(error) from e
        except _SlackError as e:
            return self._json_reply(method, args, token, e.status, e.body(), e.headers)

        with self._lock:
            queue = self._faults.get(method)
            fault = queue.popleft() if queue else None
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.error is not None:
                return self._json_reply(method, args, token, 200, {"ok": False, "error": fault.error})
            if fault.status == 429:
                return self._json_reply(
                    method,
                    args,
                    token,
                    429,
                    {"ok": False, "error": "ratelimited"},
                    {"Retry-After": str(fault.retry_after)},
                )
            if fault.status is not None and fault.status != 200:
                text = f"{fault.status} injected failure"
                self._record(method, args, fault.status, {"raw": text}, token)
                return _Reply(fault.status, text.encode(), "text/plain")

        try:
            handler = self._methods.get(method)
            if handler is None:
                raise _SlackError("unknown_method")
            self._authenticate(method, token)
            with self._lock:
                result = handler(args)
        except _SlackError as e:
            return self._json_reply(method, args, token, e.status, e.body(), e.headers)
        return self._json_reply(method, args, token, 200, {"ok": True, **result})

    def _authenticate(self, method: str, token: str | None) -> None:
        if not token:
            raise _SlackError("not_authed")
        if token not in (self.token, self.app_token):
            raise _SlackError("invalid_auth")
        wants_app_token = method == "apps.connections.open"
        if (token == self.app_token) != wants_app_token:
            raise _SlackError("not_allowed_token_type")

    # ---- ids and lookups ------------------------------------------------------------------------

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08d}"

    def _next_ts(self) -> str:
        micros = max(int(time.time() * 1_000_000), self._last_ts + 1)
        self._last_ts = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _user(self, user_id: Any, error: str = "user_not_found") -> _User:
        user = self._users.get(user_id) if isinstance(user_id, str) else None
        if user is None:
            raise _SlackError(error)
        return user

    def _dm_for(self, user_id: str) -> str | None:
        return self._dms.get(frozenset({user_id})) if user_id[:1] in ("U", "W") else None

    def _open_dm(self, user_ids: list[str]) -> tuple[_Channel, bool]:
        key = frozenset(user_ids)
        existing = self._dms.get(key)
        if existing is not None:
            return self._channels[existing], True
        if len(user_ids) == 1:
            channel = _Channel(self._new_id("D"), "", is_im=True, user=user_ids[0], members={user_ids[0]})
        else:
            channel_id = self._new_id("G")
            name = "mpdm-" + "--".join(sorted(self._users[u].name for u in user_ids)) + "-1"
            channel = _Channel(channel_id, name, is_private=True, is_mpim=True, members=set(user_ids))
        self._channels[channel.id] = channel
        self._dms[key] = channel.id
        return channel, False

    def _conversation(self, ref: Any, *, allow_user: bool = False) -> _Channel:
        """Resolve a channel argument as Slack does, or raise channel_not_found."""
        if not isinstance(ref, str) or not ref or ref in self.missing_channels:
            raise _SlackError("channel_not_found")
        if ref.startswith("#"):
            for channel in self._channels.values():
                if channel.name == ref[1:] and not channel.is_im:
                    return channel
            raise _SlackError("channel_not_found")
        if ref[0] in ("U", "W"):
            user = self._users.get(ref)
            if not allow_user or user is None or user.deleted or user.is_bot:
                raise _SlackError("channel_not_found")
            return self._open_dm([ref])[0]
        known = self._channels.get(ref)
        if known is not None:
            return known
        if ref[0] not in ("C", "G"):
            raise _SlackError("channel_not_found")
        implicit = _Channel(ref, ref.lower(), is_private=ref[0] == "G")
        self._channels[ref] = implicit
        return implicit

    def _writable(self, channel: _Channel) -> None:
        if channel.id in self.not_in_channels:
            raise _SlackError("not_in_channel")
        if channel.is_archived:
            raise _SlackError("is_archived")

    def _channel_json(self, channel: _Channel) -> dict[str, Any]:
        if channel.is_im:
            return {
                "id": channel.id,
                "created": channel.created,
                "is_im": True,
                "is_org_shared": False,
                "user": channel.user,
                "is_user_deleted": False,
                "priority": 0,
            }
        empty = {"value": "", "creator": "", "last_set": 0}
        return {
            "id": channel.id,
            "name": channel.name,
            "is_channel": not channel.is_mpim,
            "is_group": channel.id.startswith("G") and not channel.is_mpim,
            "is_im": False,
            "is_mpim": channel.is_mpim,
            "is_private": channel.is_private,
            "created": channel.created,
            "creator": channel.creator,
            "is_archived": channel.is_archived,
            "is_general": False,
            "name_normalized": channel.name,
            "is_member": channel.id not in self.not_in_channels,
            "topic": dict(empty),
            "purpose": dict(empty),
            "num_members": len(
                channel.members | ({BOT_USER_ID} if channel.id not in self.not_in_channels else set())
            ),
        }

    def _user_json(self, user: _User) -> dict[str, Any]:
        zone = ZoneInfo(user.tz)
        now = datetime.now(UTC).astimezone(zone)
        offset = now.utcoffset()
        abbreviation = now.tzname() or user.tz
        profile: dict[str, Any] = {
            "real_name": user.real_name,
            "real_name_normalized": user.real_name,
            "display_name": user.name,
            "display_name_normalized": user.name,
            "team": self.team_id,
        }
        if user.email is not None:
            profile["email"] = user.email
        if user.is_bot:
            profile["bot_id"] = BOT_ID
        return {
            "id": user.id,
            "team_id": self.team_id,
            "name": user.name,
            "deleted": user.deleted,
            "real_name": user.real_name,
            "tz": user.tz,
            "tz_label": _TZ_LABELS.get(abbreviation, abbreviation),
            "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
            "profile": profile,
            "is_admin": user.is_admin,
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": user.is_bot,
            "is_app_user": False,
            "updated": int(time.time()),
        }

    # ---- messages --------------------------------------------------------------------------------

    def _rate_limit(self, channel_id: str) -> None:
        if self.burst is None:
            return
        now = self._clock()
        tokens, last = self._buckets.get(channel_id, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last))
        if tokens < 1:
            self._buckets[channel_id] = (tokens, now)
            raise _SlackError("ratelimited", status=429, headers={"Retry-After": "1"})
        self._buckets[channel_id] = (tokens - 1, now)

    def _sdk_check(self, method: str, payload: Any, *, message: bool = False) -> list[str]:
        """slack_sdk's models on a message's ``blocks`` (``message=True``) or on a view; a refusal is
        recorded in ``sdk_rejections`` and returned for the answer."""
        errors = sdk_message_errors(payload) if message else sdk_view_errors(payload)
        if errors:
            with self._lock:
                self._sdk_rejections.append(SdkRejection(method, tuple(errors), copy.deepcopy(payload)))
        return errors

    def _check_content(self, method: str, text: Any, blocks: Any, attachments: Any) -> None:
        """Slack's content rules for a message, plus the project's fallback-text rule."""
        if blocks is not None and not isinstance(blocks, list):
            raise _SlackError("invalid_blocks_format")
        if text is not None and not isinstance(text, str):
            raise _SlackError("invalid_arguments")
        has_text = bool(text and text.strip())
        if not has_text and not blocks and not attachments:
            raise _SlackError("no_text")
        if isinstance(text, str) and len(text) > MAX_MESSAGE_TEXT:
            raise _SlackError("msg_too_long")
        if blocks:
            errors = validate_blocks(blocks, "message") + self._sdk_check(method, blocks, message=True)
            if errors:
                raise _invalid_blocks(errors)
        if (blocks or attachments) and not has_text:
            raise _SlackError("missing_fallback_text")

    def _store_message(
        self,
        channel_id: str,
        *,
        text: str,
        blocks: list[Any],
        thread_ts: str | None,
        user: str = BOT_USER_ID,
        **extra: Any,
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "channel": channel_id,
            "ts": self._next_ts(),
            "text": text,
            "blocks": copy.deepcopy(blocks),
            "thread_ts": thread_ts,
            "user": user,
            **extra,
        }
        if user == BOT_USER_ID:
            message["bot_id"] = BOT_ID
        self._messages.setdefault(channel_id, []).append(message)
        return message

    def _find_message(self, channel_id: str, ts: Any) -> dict[str, Any]:
        for message in self._messages.get(channel_id, []):
            if message["ts"] == ts:
                return message
        raise _SlackError("message_not_found")

    @staticmethod
    def _message_json(message: dict[str, Any]) -> dict[str, Any]:
        out = {"type": "message", **{k: v for k, v in message.items() if k != "channel" and v is not None}}
        if message.get("user") == BOT_USER_ID:
            out["app_id"] = APP_ID
        return out

    def _edit(self, message: dict[str, Any], changes: dict[str, Any]) -> None:
        key = (message["channel"], message["ts"])
        self._history.setdefault(key, []).append(dict(message))
        message.update(changes)
        message["edited"] = {"user": BOT_USER_ID, "ts": self._next_ts()}

    def _api_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._conversation(args.get("channel"), allow_user=True)
        self._writable(channel)
        self._rate_limit(channel.id)
        text, blocks, attachments = args.get("text"), args.get("blocks"), args.get("attachments")
        self._check_content("chat.postMessage", text, blocks, attachments)
        extra = {
            k: args[k] for k in ("attachments", "metadata", "reply_broadcast") if args.get(k) is not None
        }
        message = self._store_message(
            channel.id, text=text or "", blocks=blocks or [], thread_ts=args.get("thread_ts") or None, **extra
        )
        return {"channel": channel.id, "ts": message["ts"], "message": self._message_json(message)}

    def _api_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._conversation(args.get("channel"), allow_user=True)
        user = self._user(args.get("user"))
        if user.deleted:
            raise _SlackError("user_not_found")
        self._writable(channel)
        text, blocks = args.get("text"), args.get("blocks")
        self._check_content("chat.postEphemeral", text, blocks, args.get("attachments"))
        ts = self._next_ts()
        self._ephemerals.append(
            {
                "channel": channel.id,
                "user": user.id,
                "ts": ts,
                "text": text or "",
                "blocks": blocks or [],
                "thread_ts": args.get("thread_ts") or None,
            }
        )
        return {"message_ts": ts}

    def _api_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._conversation(args.get("channel"))
        message = self._find_message(channel.id, args.get("ts"))
        if message.get("user") != BOT_USER_ID:
            raise _SlackError("cant_update_message")
        # Slack keeps the fields an update leaves out.
        text = args["text"] if "text" in args else message["text"]
        blocks = args["blocks"] if "blocks" in args else message["blocks"]
        attachments = args["attachments"] if "attachments" in args else message.get("attachments")
        self._check_content("chat.update", text, blocks, attachments)
        changes: dict[str, Any] = {"text": text or "", "blocks": blocks or []}
        if attachments is not None:
            changes["attachments"] = attachments
        self._edit(message, changes)
        return {
            "channel": channel.id,
            "ts": message["ts"],
            "text": message["text"],
            "message": self._message_json(message),
        }

    def _api_chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._conversation(args.get("channel"))
        message = self._find_message(channel.id, args.get("ts"))
        if message.get("user") != BOT_USER_ID:
            raise _SlackError("cant_delete_message")
        self._messages[channel.id].remove(message)
        return {"channel": channel.id, "ts": message["ts"]}

    def _api_chat_getPermalink(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._conversation(args.get("channel"))
        message = self._find_message(channel.id, args.get("message_ts"))
        link = f"https://{self.team_domain}.slack.com/archives/{channel.id}/p{message['ts'].replace('.', '')}"
        thread = message.get("thread_ts")
        if thread and thread != message["ts"]:
            link += f"?thread_ts={thread}&cid={channel.id}"
        return {"channel": channel.id, "permalink": link}

    # ---- response URLs ---------------------------------------------------------------------------

    def _response_url(self, path: str, headers: Any, body: bytes) -> _Reply:
        try:
            payload = json.loads(body or b"{}")
            if not isinstance(payload, dict):
                raise ValueError("not an object")
        except ValueError:
            return self._json_reply(
                "response_url",
                {"raw": body.decode("utf-8", "replace")},
                None,
                400,
                {"ok": False, "error": "invalid_payload"},
            )
        try:
            with self._lock:
                self._apply_response(path, payload)
        except _SlackError as e:
            return self._json_reply(
                "response_url", payload, None, 400 if e.status == 200 else e.status, e.body()
            )
        return self._json_reply("response_url", payload, None, 200, {"ok": True})

    def _apply_response(self, path: str, payload: dict[str, Any]) -> None:
        context = self._response_urls.setdefault(
            path, {"channel": None, "message_ts": None, "user": None, "uses": 0}
        )
        if context["uses"] >= RESPONSE_URL_USES:
            raise _SlackError("used_url", status=404)
        channel_id, message_ts = context["channel"], context["message_ts"]
        original = None
        if channel_id and message_ts:
            original = next((m for m in self._messages.get(channel_id, []) if m["ts"] == message_ts), None)
        if _flag(payload.get("delete_original")):
            if original is None and message_ts:
                raise _SlackError("message_not_found")
            if original is not None:
                self._messages[channel_id].remove(original)
        else:
            text, blocks = payload.get("text"), payload.get("blocks")
            if isinstance(blocks, str):
                try:
                    blocks = json.loads(blocks)
                except ValueError as e:
                    raise _SlackError("invalid_blocks_format") from e
            self._check_content("response_url", text, blocks, payload.get("attachments"))
            if _flag(payload.get("replace_original")):
                if original is not None:
                    self._edit(original, {"text": text or "", "blocks": blocks or []})
            elif payload.get("response_type") == "in_channel" and channel_id:
                self._store_message(
                    channel_id, text=text or "", blocks=blocks or [], thread_ts=payload.get("thread_ts")
                )
        context["uses"] += 1
        self._responses.append(payload)

    # ---- views -----------------------------------------------------------------------------------

    def _take_trigger(self, trigger_id: Any) -> _Trigger:
        trigger = self._triggers.get(trigger_id) if isinstance(trigger_id, str) else None
        if trigger is None:
            raise _SlackError("invalid_trigger_id")
        if trigger.used:
            raise _SlackError("exchanged_trigger_id")
        arrived = getattr(self._arrival, "at", None)
        if (arrived if arrived is not None else self._clock()) - trigger.issued >= TRIGGER_LIFETIME:
            raise _SlackError("expired_trigger_id")
        return trigger

    def _view_arg(self, method: str, args: dict[str, Any], surface: str) -> dict[str, Any]:
        view = args.get("view")
        if view is None:
            raise _invalid_view(["is required [json-pointer:/view]"])
        errors = validate_view(view, surface) + self._sdk_check(method, view)
        if errors:
            raise _invalid_view(errors)
        return dict(view)

    def _build_view(
        self, view: dict[str, Any], *, view_id: str, root: str, previous: str | None
    ) -> dict[str, Any]:
        return {
            "id": view_id,
            "team_id": self.team_id,
            "type": view["type"],
            "blocks": view.get("blocks", []),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
            "title": view.get("title"),
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "close": view.get("close"),
            "submit": view.get("submit"),
            "previous_view_id": previous,
            "root_view_id": root,
            "app_id": APP_ID,
            "external_id": view.get("external_id", ""),
            "app_installed_team_id": self.team_id,
            "bot_id": BOT_ID,
        }

    def _check_external_id(self, view: dict[str, Any], *, except_id: str | None = None) -> None:
        external = view.get("external_id")
        if external and any(v["external_id"] == external and k != except_id for k, v in self._views.items()):
            raise _SlackError("duplicate_external_id")

    def _api_views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        trigger = self._take_trigger(args.get("trigger_id"))
        view = self._view_arg("views.open", args, "modal")
        self._check_external_id(view)
        trigger.used = True
        view_id = self._new_id("V")
        built = self._build_view(view, view_id=view_id, root=view_id, previous=None)
        self._views[view_id] = built
        return {"view": built}

    def _api_views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        trigger = self._take_trigger(args.get("trigger_id"))
        view = self._view_arg("views.push", args, "modal")
        self._check_external_id(view)
        below = self._views.get(trigger.view_id) if trigger.view_id else None
        view_id = self._new_id("V")
        if below is not None:
            root = below["root_view_id"]
            if sum(1 for v in self._views.values() if v["root_view_id"] == root) >= MAX_VIEW_STACK:
                raise _SlackError("push_limit_reached")
        else:  # not tied to an open modal: Slack would need one; treat as a new stack
            root = view_id
        trigger.used = True
        built = self._build_view(view, view_id=view_id, root=root, previous=below["id"] if below else None)
        self._views[view_id] = built
        return {"view": built}

    def _api_views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id, external = args.get("view_id"), args.get("external_id")
        if not view_id and not external:
            raise _invalid_view(["view_id or external_id is required [json-pointer:/view_id]"])
        current = None
        if view_id:
            current = self._views.get(view_id) or next(
                (v for v in self._homes.values() if v["id"] == view_id), None
            )
        else:
            current = next((v for v in self._views.values() if v["external_id"] == external), None)
        if current is None:
            raise _SlackError("not_found")
        view = self._view_arg("views.update", args, current["type"])
        if args.get("hash") and args["hash"] != current["hash"]:
            raise _SlackError("hash_conflict")
        if current["type"] == "modal":
            self._check_external_id(view, except_id=current["id"])
        view.setdefault("external_id", current["external_id"])
        built = self._build_view(
            view, view_id=current["id"], root=current["root_view_id"], previous=current["previous_view_id"]
        )
        if current["type"] == "modal":
            self._views[current["id"]] = built
        else:
            for user_id, home in self._homes.items():
                if home["id"] == current["id"]:
                    self._homes[user_id] = built
        return {"view": built}

    def _api_views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self._user(args.get("user_id"))
        view = self._view_arg("views.publish", args, "home")
        current = self._homes.get(user.id)
        if current is not None and args.get("hash") and args["hash"] != current["hash"]:
            raise _SlackError("hash_conflict")
        view_id = current["id"] if current is not None else self._new_id("V")
        built = self._build_view(view, view_id=view_id, root=view_id, previous=None)
        self._homes[user.id] = built
        return {"view": built}

    # ---- people and conversations ----------------------------------------------------------------

    def _api_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": f"https://{self.team_domain}.slack.com/",
            "team": "Remediate Test",
            "user": self._users[BOT_USER_ID].name,
            "team_id": self.team_id,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _api_apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if self.socket_url is None:
            # Not something Slack says: the test forgot to attach a SocketModeStandIn.
            raise _SlackError("no_socket_mode_stand_in_attached")
        return {"url": self.socket_url}

    def _api_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"user": self._user_json(self._user(args.get("user")))}

    def _api_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        users = list(self._users.values())
        start = 0
        cursor = args.get("cursor")
        if cursor:
            try:
                last = base64.b64decode(cursor, validate=True).decode()
                start = [u.id for u in users].index(last.removeprefix("user:"))
            except ValueError as e:
                raise _SlackError("invalid_cursor") from e
        try:
            limit = int(args.get("limit") or 0)
        except ValueError as e:
            raise _SlackError("invalid_limit") from e
        page = users[start : start + limit] if limit > 0 else users[start:]
        rest = users[start + len(page) :]
        next_cursor = base64.b64encode(f"user:{rest[0].id}".encode()).decode() if rest else ""
        return {
            "members": [self._user_json(u) for u in page],
            "cache_ts": int(time.time()),
            "response_metadata": {"next_cursor": next_cursor},
        }

    def _api_usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        group = self._usergroups.get(args.get("usergroup") or "")
        if group is None:
            raise _SlackError("no_such_subteam")
        return {"users": list(group["users"])}

    def _api_conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("channel"):
            channel = self._conversation(args["channel"])
            if not (channel.is_im or channel.is_mpim):
                raise _SlackError("channel_not_found")
            return {"no_op": True, "already_open": True, "channel": {"id": channel.id}}
        raw = args.get("users")
        ids = [u.strip() for u in (raw if isinstance(raw, list) else str(raw or "").split(",")) if u.strip()]
        if not ids:
            raise _SlackError("users_list_not_supplied")
        if len(ids) > 8:
            raise _SlackError("too_many_users")
        for user_id in ids:
            user = self._user(user_id)
            if user.deleted:
                raise _SlackError("user_disabled")
            if user.is_bot:
                raise _SlackError("cannot_dm_bot")
        channel, existed = self._open_dm(ids)
        out = self._channel_json(channel) if _flag(args.get("return_im")) else {"id": channel.id}
        return {"no_op": existed, "already_open": existed, "channel": out}

    def _api_conversations_create(self, args: dict[str, Any]) -> dict[str, Any]:
        name = args.get("name")
        if not isinstance(name, str) or not name:
            raise _SlackError("invalid_name_required")
        if len(name) > CHANNEL_NAME_MAX:
            raise _SlackError("invalid_name_maxlength")
        if not _CHANNEL_NAME.match(name):
            raise _SlackError("invalid_name_specials")
        if not re.search(r"[a-z0-9]", name):
            raise _SlackError("invalid_name_punctuation")
        if any(c.name == name for c in self._channels.values() if not c.is_im):
            raise _SlackError("name_taken")
        channel = _Channel(self._new_id("C"), name, is_private=_flag(args.get("is_private")))
        self._channels[channel.id] = channel
        return {"channel": self._channel_json(channel)}

    def _api_conversations_invite(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._conversation(args.get("channel"))
        if channel.is_im:
            raise _SlackError("method_not_supported_for_channel_type")
        self._writable(channel)
        raw = args.get("users")
        ids = [u.strip() for u in (raw if isinstance(raw, list) else str(raw or "").split(",")) if u.strip()]
        if not ids:
            raise _SlackError("no_user")
        if len(ids) > 1000:
            raise _SlackError("too_many_users")
        for user_id in ids:
            if user_id == BOT_USER_ID:
                raise _SlackError("cant_invite_self")
            user = self._user(user_id)
            if user.deleted:
                raise _SlackError("cant_invite")
            if user_id in channel.members:
                raise _SlackError("already_in_channel")
        channel.members.update(ids)
        return {"channel": self._channel_json(channel)}

    def _api_conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"channel": self._channel_json(self._conversation(args.get("channel")))}

    def _api_conversations_join(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._conversation(args.get("channel"))
        if channel.is_im or channel.is_mpim or channel.is_private:
            raise _SlackError("method_not_supported_for_channel_type")
        if channel.is_archived:
            raise _SlackError("is_archived")
        result: dict[str, Any] = {}
        if channel.id not in self.not_in_channels:
            result["warning"] = "already_in_channel"
        self.not_in_channels.discard(channel.id)
        result["channel"] = self._channel_json(channel)
        return result

    def _api_conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        """A thread's parent and replies, oldest first, in pages of ``limit`` (default 100, at most 1000)
        with an opaque ``cursor``. A channel the bot is not in: not_in_channel (public) or
        channel_not_found (private); a DM or group DM needs im:history/mpim:history, which the bot lacks."""
        channel = self._conversation(args.get("channel"))
        if channel.is_im or channel.is_mpim:
            raise _SlackError("missing_scope", needed="im:history,mpim:history")
        if channel.id in self.not_in_channels:
            raise _SlackError("channel_not_found" if channel.is_private else "not_in_channel")
        ts = args.get("ts")
        messages = self._messages.get(channel.id, [])
        parent = next((m for m in messages if m["ts"] == ts), None)
        if parent is None:
            raise _SlackError("thread_not_found")
        thread = [parent, *(m for m in messages if m.get("thread_ts") == ts and m["ts"] != ts)]
        try:
            limit = min(max(int(args.get("limit") or 100), 1), 1000)
            cursor = str(args.get("cursor") or "")
            start = int(base64.b64decode(cursor.encode()).decode()[len("offset:") :]) if cursor else 0
        except ValueError as exc:
            raise _SlackError("invalid_cursor") from exc
        more = start + limit < len(thread)
        if len(thread) > 1:  # Slack marks a parent with replies as the thread's start
            thread[0] = {**parent, "thread_ts": ts, "reply_count": len(thread) - 1}
        shown = [self._message_json(m) for m in thread[start : start + limit]]
        next_cursor = base64.b64encode(f"offset:{start + limit}".encode()).decode() if more else ""
        return {"messages": shown, "has_more": more, "response_metadata": {"next_cursor": next_cursor}}

    # ---- files -----------------------------------------------------------------------------------

    def _file_json(self, f: StoredFile) -> dict[str, Any]:
        url = f"{self.base}/files/{f.id}/{quote(f.filename)}"  # Slack's URLs are encoded
        return {
            "id": f.id,
            "created": f.created,
            "timestamp": f.created,
            "name": f.filename,
            "title": f.title,
            "mimetype": f.mimetype,
            "filetype": f.filetype,
            "pretty_type": f.filetype.capitalize(),
            "user": f.user,
            "mode": "hosted",
            "is_external": False,
            "is_public": f.channel is not None and f.channel.startswith("C"),
            "size": len(f.content),
            "url_private": url,
            "url_private_download": url + "?download=1",
            "permalink": f"https://{self.team_domain}.slack.com/files/{f.user}/{f.id}/{f.filename}",
            "channels": [f.channel] if f.channel else [],
        }

    def _api_files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        filename = args.get("filename")
        try:
            length = int(args.get("length"))  # type: ignore[arg-type]
        except (TypeError, ValueError) as e:
            raise _SlackError("invalid_arguments") from e
        if not filename or length < 1:
            raise _SlackError("invalid_arguments")
        file_id = self._new_id("F")
        self._pending_uploads[file_id] = {"filename": filename, "length": length, "content": None}
        return {"upload_url": f"{self.base}/upload/{file_id}", "file_id": file_id}

    def _upload(self, file_id: str, headers: Any, body: bytes) -> _Reply:
        ctype = headers.get("Content-Type") or ""
        content = body
        if ctype.lower().startswith("multipart/form-data"):
            message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                f"Content-Type: {ctype}\r\n\r\n".encode() + body
            )
            parts = [p for p in message.iter_parts()]
            chosen = next((p for p in parts if p.get_filename()), parts[0] if parts else None)
            decoded = chosen.get_payload(decode=True) if chosen is not None else None
            content = decoded if isinstance(decoded, bytes) else b""
        with self._lock:
            pending = self._pending_uploads.get(file_id)
            if pending is not None:
                pending["content"] = content
        args = {"file_id": file_id, "size": len(content)}
        if pending is None:
            self._record("upload", args, 404, {"ok": False, "error": "file_not_found"}, None)
            return _Reply(404, b"file_not_found", "text/plain")
        self._record("upload", args, 200, {"ok": True}, None)
        return _Reply(200, f"OK - {len(content)}".encode(), "text/plain")

    def _api_files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        entries = args.get("files")
        if not isinstance(entries, list) or not entries:
            raise _SlackError("invalid_arguments")
        channel_ref = args.get("channel_id") or (str(args.get("channels") or "").split(",")[0] or None)
        channel = self._conversation(channel_ref, allow_user=True) if channel_ref else None
        if channel is not None:
            self._writable(channel)
        pending: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
        for entry in entries:
            file_id = entry.get("id") if isinstance(entry, dict) else None
            upload = self._pending_uploads.get(file_id) if isinstance(file_id, str) else None
            if upload is None or upload["content"] is None:
                raise _SlackError("file_not_found")
            pending.append((str(file_id), entry, upload))
        stored = []
        for file_id, entry, upload in pending:
            del self._pending_uploads[file_id]
            filename = upload["filename"]
            f = StoredFile(
                id=file_id,
                filename=filename,
                content=upload["content"],
                title=entry.get("title") or filename,
                mimetype=_mimetype(filename),
                filetype=_filetype(filename),
                user=BOT_USER_ID,
                created=int(time.time()),
                channel=channel.id if channel else None,
                initial_comment=args.get("initial_comment"),
                thread_ts=args.get("thread_ts") or None,
            )
            self._files[file_id] = f
            stored.append(f)
        if channel is not None:
            # Sharing posts a message carrying the files (its text is the initial comment).
            self._store_message(
                channel.id,
                text=args.get("initial_comment") or "",
                blocks=[],
                thread_ts=args.get("thread_ts") or None,
                files=[f.id for f in stored],
            )
        return {"files": [self._file_json(f) for f in stored]}

    def _api_files_info(self, args: dict[str, Any]) -> dict[str, Any]:
        f = self._files.get(str(args.get("file") or ""))
        if f is None:
            raise _SlackError("file_not_found")
        return {"file": self._file_json(f), "comments": [], "response_metadata": {"next_cursor": ""}}

    def _download(self, rest: str, headers: Any) -> _Reply:
        file_id = rest.split("/")[0]
        auth = headers.get("Authorization") or ""
        with self._lock:
            f = self._files.get(file_id)
        args = {"file": file_id}
        if auth != f"Bearer {self.token}":
            self._record("file_download", args, 401, {"ok": False, "error": "not_authed"}, None)
            return _Reply(401, b"not authorized", "text/plain")
        if f is None:
            self._record("file_download", args, 404, {"ok": False, "error": "file_not_found"}, self.token)
            return _Reply(404, b"file not found", "text/plain")
        self._record("file_download", args, 200, {"ok": True}, self.token)
        return _Reply(200, f.content, f.mimetype)


def _filetype(filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return _FILETYPES.get(ext, ext or "binary")


def _mimetype(filename: str) -> str:
    if filename.lower().endswith(".md"):
        return "text/markdown"
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"
