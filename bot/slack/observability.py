"""What every Slack request leaves behind, whatever its transport (HTTP or Socket Mode): a request id for
its log lines and Slack calls, one log line saying what it was and how it ended, the action counter, and a
listener client whose Slack calls are counted and logged like the bot's own.

Outcomes: ``ok``; ``refused`` (a listener or the workspace guard said no: set ``context["outcome"] =
"refused"`` in a listener to report it); ``duplicate`` (a repeated delivery, see `bot.slack.dedupe`);
``error`` (the app's error handler ran); ``unauthorized`` (bad signature or stale timestamp); ``unhandled``
(no listener matched). Slash commands are counted by sub-command where they are routed
(`bot.slack.listeners.commands.base`); a listener may count its own request with an outcome only it knows
(``deps.metrics.actions.labels(...)``), and then it is not counted here again; this counts the rest.

Every label value comes from a closed set, whatever a payload says (`command_label`, `kind_label`,
`id_label`): the registered commands and the ids of `bot.slack.ids`; ``unknown`` for any other id, and for
every id of a request that was not verified or that no listener took; ``other`` for a payload type that
is not one of Slack's.

Each request is answered inside an answer window (`bot.deps.answering`): its Slack calls time out within
Slack's 3 s, and a slow form is left to open after the answer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient

from bot.activity import Activity
from bot.deps import AnswerWindow, InstrumentedWebClient, answering
from bot.logs import new_request_id
from bot.metrics import Metrics, begin_request, counted_by_listener
from bot.slack import ids

log = logging.getLogger("bot.slack.requests")

UNKNOWN = "unknown"
OTHER = "other"
KINDS = frozenset(
    {
        "block_action",
        "block_suggestion",
        "interactive_message",
        "view_submission",
        "view_closed",
        "shortcut",
        "message_action",
        "event",
        "command",
        "url_verification",
        "unknown",
    }
)
_INPUTS = {
    str(v) for enum in (ids.ItemInput, ids.IncidentInput, ids.ExtractInput, ids.AlertInput) for v in enum
}
_IDS: dict[str, frozenset[str]] = {
    "command": frozenset(str(v) for v in ids.Command),
    "block_action": frozenset({*(str(v) for v in ids.Action), *_INPUTS}),
    "block_suggestion": frozenset(_INPUTS),
    "view_submission": frozenset(str(v) for v in ids.View),
    "view_closed": frozenset(str(v) for v in ids.View),
    "shortcut": frozenset(str(v) for v in ids.Shortcut),
    "message_action": frozenset(str(v) for v in ids.Shortcut),
    "event": frozenset(str(v) for v in ids.Event),
}


def command_label(command: object) -> str:
    """A registered slash command, or ``unknown``."""
    return str(command) if str(command) in _IDS["command"] else UNKNOWN


def kind_label(kind: str) -> str:
    return kind if kind in KINDS else OTHER


def id_label(kind: str, ident: str) -> str:
    """One of the bot's own ids for a payload of `kind` (a keyed action id such as ``alert_ack:42`` counts
    under its action), or ``unknown``."""
    base = ident.split(":", 1)[0]
    return base if base in _IDS.get(kind, ()) else UNKNOWN


def describe(body: dict[str, Any]) -> tuple[str, str]:
    """(kind, id) of a Slack payload: ``("block_action", action_id)``, ``("view_submission",
    callback_id)``, ``("event", event type)``, ``("command", "/remediate")``, ..."""
    kind = str(body.get("type") or ("command" if body.get("command") else "unknown"))
    if kind == "command":
        return kind, str(body.get("command"))
    if kind in ("block_actions", "block_suggestion", "interactive_message"):
        actions = body.get("actions") or [{}]
        ident = str((actions[0] or {}).get("action_id") or body.get("action_id") or "-")
        return ("block_action" if kind == "block_actions" else kind), ident
    if kind in ("view_submission", "view_closed"):
        return kind, str((body.get("view") or {}).get("callback_id") or "-")
    if kind in ("shortcut", "message_action"):
        return kind, str(body.get("callback_id") or "-")
    if kind == "event_callback":
        return "event", str((body.get("event") or {}).get("type") or "-")
    return kind, "-"


def outcome_of(req: BoltRequest, resp: BoltResponse) -> str:
    if resp.status == 401:
        return "unauthorized"
    if resp.status >= 500:
        return "error"
    marked = req.context.get("outcome")
    if marked:
        return str(marked)
    if resp.status == 404:
        return "unhandled"
    return "ok"


def _user_of(body: dict[str, Any]) -> str:
    user = body.get("user")
    if isinstance(user, dict):
        return str(user.get("id") or "-")
    event = body.get("event")
    return str(body.get("user_id") or (event.get("user") if isinstance(event, dict) else None) or "-")


class ObservedApp(App):
    """Bolt's App, plus the request id, the request log line and the action counter."""

    def __init__(
        self,
        *args: Any,
        metrics: Metrics,
        activity: Activity,
        late_failure: Callable[[BoltRequest, str, BaseException], None] | None = None,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.metrics = metrics
        self.activity = activity
        self.late_failure = late_failure  # a form left to open after the answer failed
        self._clients: dict[tuple[Any, ...], InstrumentedWebClient] = {}

    def listener_client(self, plain: WebClient) -> WebClient:
        """Bolt hands each listener a fresh plain WebClient; this is one that counts and logs its calls,
        with the same token and settings (authorization has set the token by now). One per token and team,
        made once: a WebClient keeps no state between calls, and building one costs more than a command."""
        key = (plain.token, plain.base_url, plain.default_params.get("team_id"))
        client = self._clients.get(key)
        if client is None:
            # Bolt copied the app client's timeout while this request was being answered (the shorter
            # one); the listener client keeps the background one, shortened per call (`call_timeout`).
            app_client = self.client
            client = InstrumentedWebClient(
                token=plain.token,
                base_url=plain.base_url,
                timeout=(
                    app_client.background_timeout
                    if isinstance(app_client, InstrumentedWebClient)
                    else plain.timeout
                ),
                ssl=plain.ssl,
                proxy=plain.proxy,
                headers=plain.headers,
                team_id=plain.default_params.get("team_id"),
                logger=plain.logger,
                retry_handlers=list(plain.retry_handlers),
                metrics=self.metrics,
            )
            self._clients = {**self._clients, key: client}  # replaced whole: readers need no lock
        return client

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        if req.mode == "socket_mode":
            new_request_id()  # HTTP requests got theirs in the WSGI app, which also returns it as a header
        begin_request()
        started = time.perf_counter()
        late = self.late_failure
        window = AnswerWindow(
            late_failure=(lambda method, error: late(req, method, error)) if late is not None else None
        )
        self.activity.begin()
        try:
            with answering(window):
                resp = super().dispatch(req)
        finally:
            self.activity.end()
        body = req.body if isinstance(req.body, dict) else {}
        kind, ident = describe(body)
        outcome = outcome_of(req, resp)
        trusted = outcome not in ("unhandled", "unauthorized")  # verified, and a listener took it
        if kind == "command" and outcome in ("refused", "unauthorized"):
            # Turned away before routing (workspace guard, signature); routed commands count themselves.
            command = command_label(ident) if trusted else UNKNOWN
            self.metrics.commands.labels(command=command, subcommand="-", outcome=outcome).inc()
        elif kind not in ("command", "url_verification", "unknown") and not counted_by_listener():
            label = id_label(kind, ident) if trusted else UNKNOWN
            self.metrics.actions.labels(kind=kind_label(kind), id=label, outcome=outcome).inc()
        log.info(
            "slack %s %s -> %s (%s) in %.0f ms from %s in %s",
            kind_label(kind),
            ident[:100] if trusted else id_label(kind, ident),
            resp.status,
            outcome,
            (time.perf_counter() - started) * 1000,
            _user_of(body),
            req.mode,
        )
        return resp
