"""create_app(deps) -> the Bolt App: one error handler, the workspace guard, then every listener."""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.middleware import Middleware
from slack_bolt.request import BoltRequest
from slack_sdk.errors import SlackApiError

from bot.deps import Deps
from bot.services.people import SLACK_DOWN
from bot.slack import dedupe, replies
from bot.slack.listeners import register_listeners
from bot.slack.notifier import TRANSIENT_ERRORS
from bot.slack.observability import ObservedApp, command_label
from bot.slack.response_urls import Responder, slack_response_url
from bot.slack.text import storable
from storage.db import write_refusal

log = logging.getLogger(__name__)


def create_app(deps: Deps) -> App:
    """The real Bolt app. Listeners ack before returning (process_before_response): slow work is queued
    in the outbox, so every answer is well inside Slack's 3 seconds."""
    settings = deps.settings
    app = ObservedApp(
        metrics=deps.metrics,
        activity=deps.activity,
        late_failure=_late_form_failure(deps),
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        client=deps.client,
        authorize=BotIdentity(deps).as_authorize(),
        process_before_response=True,
        request_verification_enabled=True,  # 401 for bad signatures and timestamps older than 5 minutes
        logger=logging.getLogger("slack_bolt"),
    )
    app.error(_error_handler(deps))
    app.use(Gate(app, deps))
    register_listeners(app, deps)
    return app


class Gate(Middleware):
    """Everything that runs before the listeners, in order, as one class-based middleware (Bolt calls a
    function middleware through argument injection, which costs more than what these checks do):

    1. the listener's client is one that counts and logs its Slack calls;
    2. the request's response URL is kept only when it is Slack's (`bot.slack.response_urls`), and
       ``respond()`` answers on it within the request's time;
    3. the workspace guard: with SLACK_TEAM_ID set, requests from any other workspace are refused;
    4. every listener reads the payload made storable (no NUL or lone surrogate reaches the database);
    5. a repeated delivery of an event is answered and dropped (`bot.slack.dedupe`).

    Bolt runs it after its own signature check: a request that reaches it was verified (or came over the
    Socket Mode connection, which is authenticated), and it marks the context so (``verified``).
    """

    def __init__(self, app: ObservedApp, deps: Deps):
        self.app = app
        self.deps = deps
        self.team_id = deps.settings.slack_team_id
        self.api_url = deps.settings.slack_api_url

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        context, body = req.context, req.body
        context["verified"] = True
        context["client"] = self.app.listener_client(context.client)
        url = slack_response_url(context.response_url, api_url=self.api_url)
        if url is None and context.response_url:
            log.warning("dropped a response_url that is not Slack's")
        context["response_url"] = url
        context["respond"] = Responder(url)
        if self.team_id:
            refused = _foreign_workspace(self.team_id, context, body)
            if refused is not None:
                return refused
        storable(body)
        repeated = dedupe.repeated_event(self.deps, req)
        if repeated is not None:
            return repeated
        next()
        return resp


class BotIdentity:
    """Bolt's default single-workspace authorization calls auth.test on the first request, so a Slack
    outage would fail every command. This answers from the configured token at once and learns the bot's
    own user id (used to ignore its own events) from auth.test when Slack answers, retrying at most once a
    minute."""

    RETRY_SECONDS = 60.0

    def __init__(self, deps: Deps):
        self.deps = deps
        self.token = deps.settings.slack_bot_token.get_secret_value()
        self.identity: dict[str, Any] | None = None
        self._next_try = 0.0
        self._lock = threading.Lock()

    def _learn(self) -> None:
        if self.identity is not None or time.monotonic() < self._next_try:
            return
        with self._lock:
            if self.identity is not None or time.monotonic() < self._next_try:
                return
            self._next_try = time.monotonic() + self.RETRY_SECONDS
            try:
                resp = self.deps.client.auth_test()
                self.identity = {k: resp.get(k) for k in ("user_id", "bot_id", "team_id", "enterprise_id")}
            except SLACK_DOWN as exc:
                log.warning("auth.test failed (%s); answering without the bot's own id for now", exc)

    def as_authorize(self) -> Any:
        """A plain function (Bolt passes arguments by their names)."""

        def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
            return self.authorize(enterprise_id, team_id)

        return authorize

    def authorize(self, enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
        if self.identity is None and time.monotonic() >= self._next_try:
            threading.Thread(target=self._learn, name="auth-test", daemon=True).start()
        ident = self.identity or {}
        return AuthorizeResult(
            enterprise_id=enterprise_id or ident.get("enterprise_id"),
            team_id=team_id or ident.get("team_id"),
            bot_token=self.token,
            bot_user_id=ident.get("user_id"),
            bot_id=ident.get("bot_id"),
        )


def _error_handler(deps: Deps) -> Any:
    def handle(error: Exception, body: dict[str, Any], request: BoltRequest) -> BoltResponse:
        ref = uuid.uuid4().hex[:8]
        if not request.context.get("verified"):
            # Bolt failed before its signature check passed (a malformed timestamp or signature): nothing
            # of the body is trusted, so nothing of it is answered, counted or logged.
            request.context["outcome"] = "unauthorized"
            log.warning("refused a request that could not be verified ref=%s: %s", ref, type(error).__name__)
            return BoltResponse(status=401, body="")
        kind = body.get("type") or body.get("command")
        unavailable = slack_unavailable(error)
        refusal = write_refusal(error)
        if refusal is not None:
            # A full disk or a read-only database: an outage of ours, said plainly, no traceback.
            request.context["outcome"] = "error"
            log.warning(
                "could not save (database not accepting writes) ref=%s type=%s: %s", ref, kind, refusal
            )
            message = (
                f":floppy_disk: Sorry, I could not save: the database is not accepting writes right now "
                f"(reference `{ref}`). Nothing was changed; try again in a few minutes."
            )
        elif unavailable is None:
            request.context["outcome"] = "error"
            log.error("unhandled error ref=%s type=%s", ref, kind, exc_info=error)
            message = (
                f":x: Something went wrong on our side (reference `{ref}`). Nothing was changed; try again."
            )
        elif unavailable in TRIGGER_ERRORS and body.get("type") == "block_actions":
            # The same press delivered again (its trigger was used) or answered too late: nothing to say.
            request.context["outcome"] = "duplicate"
            log.info("a form was not opened (%s) for %s ref=%s", unavailable, kind, ref)
            return BoltResponse(status=200, body="")
        elif unavailable == "exchanged_trigger_id" and body.get("command"):
            # A copy of a command whose form another replica opened already (see `bot.slack.dedupe`).
            request.context["outcome"] = "duplicate"
            log.info("a repeated slash command found its form opened already ref=%s", ref)
            message = dedupe.REPEATED_COMMAND
        else:
            # Slack's Web API is down, slow or limiting us (an outage, not a bug): say so, no traceback.
            request.context["outcome"] = "error"
            log.warning("slack unavailable ref=%s type=%s: %s", ref, kind, unavailable)
            message = slack_unavailable_message(unavailable, ref)
        if body.get("command"):
            deps.metrics.commands.labels(
                command=command_label(body["command"]), subcommand="?", outcome="error"
            ).inc()
            payload: dict[str, Any] = {"response_type": "ephemeral", "text": message}
            return BoltResponse(
                status=200, body=json.dumps(payload), headers={"content-type": "application/json"}
            )
        if body.get("type") == "view_submission":
            # Keep the modal open and say so next to its first input, so nothing typed is lost.
            blocks = (body.get("view") or {}).get("blocks") or []
            first_input = next((b.get("block_id") for b in blocks if b.get("type") == "input"), None)
            if first_input:
                payload = {
                    "response_action": "errors",
                    "errors": {first_input: message[:150]},
                }
                return BoltResponse(
                    status=200, body=json.dumps(payload), headers={"content-type": "application/json"}
                )
        # A button in a message: tell the presser alone (on the response URL only when it is Slack's).
        replies.tell(deps, body, message, post=False)
        # Events and actions: answer 200 so Slack does not retry into the same error.
        return BoltResponse(status=200, body="")

    return handle


def slack_unavailable_message(reason: str, ref: str) -> str:
    return (
        f":hourglass: Slack did not answer me in time (`{reason}`, reference `{ref}`), so that "
        "could not be finished. Try again in a minute."
    )


def _late_form_failure(deps: Deps) -> Any:
    """What happens when a form left to open after the request's answer (`bot.deps.FORM_WAIT`) fails:
    the person is told privately (`bot.slack.replies`)."""

    def failed(request: BoltRequest, method: str, error: BaseException) -> None:
        ref = uuid.uuid4().hex[:8]
        reason = slack_unavailable(error) or type(error).__name__
        log.warning("%s failed after the request was answered ref=%s: %s", method, ref, reason)
        if request.context.get("verified"):
            replies.tell(
                deps,
                request.body,
                f":hourglass: The form did not open: Slack was too slow (`{reason}`, reference `{ref}`). "
                "Try again in a minute.",
                post=False,
            )

    return failed


# Slack's answers that mean "not now" rather than "never": an outage, a rate limit, a slow answer.
TRANSIENT_HTTP = frozenset({408, 429, 500, 502, 503, 504})
TRIGGER_ERRORS = frozenset({"expired_trigger_id", "exchanged_trigger_id"})


def slack_unavailable(error: BaseException) -> str | None:
    """A short reason when `error` is Slack's Web API being unavailable (down, slow, rate limiting) or a
    trigger id that can no longer open a form; None for everything else (a bug, or a request Slack refuses
    for good), which the error handler reports as unhandled."""
    if isinstance(error, SlackApiError):
        response = error.response
        status = getattr(response, "status_code", 200)
        data = getattr(response, "data", None)
        code = str(data.get("error") or "") if isinstance(data, dict) else ""
        if code in TRANSIENT_ERRORS or code in TRIGGER_ERRORS:
            return code
        if status in TRANSIENT_HTTP:
            return f"HTTP {status}"
        return None
    if isinstance(error, OSError):  # timeouts, refused or reset connections (urllib's URLError too)
        return type(error).__name__
    return None


def _foreign_workspace(team_id: str, context: Any, body: dict[str, Any]) -> BoltResponse | None:
    """The refusal of a request from another workspace than `team_id`; None for one from it."""
    sender = context.team_id or (body.get("team") or {}).get("id") or body.get("team_id")
    if not sender or sender == team_id:
        return None
    log.warning("refused a request from workspace %s (installed for %s)", sender, team_id)
    context["outcome"] = "refused"
    if body.get("command"):
        text = "This bot is installed for another workspace; it does not take requests from this one."
        return BoltResponse(
            status=200,
            body=json.dumps({"response_type": "ephemeral", "text": text}),
            headers={"content-type": "application/json"},
        )
    return BoltResponse(status=200, body="")
