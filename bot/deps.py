"""Everything a service, listener or job needs, built once by the composition root."""

from __future__ import annotations

import contextvars
import logging
import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler
from slack_sdk.web import SlackResponse
from sqlalchemy import Engine
from sqlmodel import Session

from bot.activity import Activity
from bot.clock import Clock
from bot.config import Settings
from bot.metrics import Metrics
from bot.services import events
from bot.services.events import Subscriber
from bot.services.rendering import Renderer
from storage import queries
from storage.db import unit_of_work

log = logging.getLogger(__name__)


# Slack waits 3 s for the answer to a request. Web API calls made while a request is being answered end
# within ACK_BUDGET of its start (each gets what is left, at least MIN_CALL_TIMEOUT); the rest of the 3 s
# is for rendering the answer and the network. Background calls (the outbox sender, jobs) keep the client's
# own timeout.
ACK_BUDGET = 2.5
MIN_CALL_TIMEOUT = 0.5
# A form (views.open, views.push) Slack has not answered FORM_WAIT after the request started is left to
# finish after the answer: its trigger id was used in time (Slack checks it when the call arrives), and the
# form appears when Slack gets round to it. One that fails quickly still fails in the request itself, so
# the answer can say so.
FORM_WAIT = 2.0
TRIGGER_METHODS = frozenset({"views.open", "views.push"})


@dataclass(frozen=True)
class AnswerWindow:
    """A Slack request being answered (see `answering`): when it started, and what to do when a form
    left to finish after the answer then fails (`late_failure(method, error)`)."""

    started: float = field(default_factory=time.monotonic)
    late_failure: Callable[[str, BaseException], None] | None = None

    def left(self, budget: float) -> float:
        return self.started + budget - time.monotonic()


_window: contextvars.ContextVar[AnswerWindow | None] = contextvars.ContextVar("answer_window", default=None)


@contextmanager
def answering(window: AnswerWindow) -> Iterator[None]:
    """Slack calls made inside are made while a request waits for its answer."""
    token = _window.set(window)
    try:
        yield
    finally:
        _window.reset(token)


def call_timeout(default: float) -> float:
    """The timeout of a call to Slack made now: `default` in the background; within a request being
    answered, what is left of its budget (at least MIN_CALL_TIMEOUT), if that is less."""
    window = _window.get()
    if window is None:
        return default
    return min(default, max(window.left(ACK_BUDGET), MIN_CALL_TIMEOUT))


# Label values of the Slack call counters: the Web API methods slack_sdk knows (``chat_postMessage`` ->
# ``chat.postMessage``), and Slack's error codes (snake_case words) or an exception's class name.
KNOWN_METHODS = frozenset(
    name.replace("_", ".")
    for name in dir(WebClient)
    if "_" in name and not name.startswith("_") and callable(getattr(WebClient, name))
)
_ERROR_LABEL = re.compile(r"^[a-z][a-z0-9_]{0,62}$|^[A-Z][A-Za-z0-9]{0,62}$")


def method_label(method: str) -> str:
    return method if method in KNOWN_METHODS else "other"


def error_label(error: object) -> str:
    text = str(error)
    return text if _ERROR_LABEL.match(text) else "other"


class InstrumentedWebClient(WebClient):
    """A WebClient that counts calls and errors by method (for /metrics), keeps its calls inside the
    answer window of the request they are made for (`call_timeout`), and lets a slow form finish after
    the answer (`TRIGGER_METHODS`, `FORM_WAIT`)."""

    def __init__(self, *args: Any, metrics: Metrics | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._metrics = metrics

    @property  # type: ignore[override]
    def timeout(self) -> float:
        """Read by slack_sdk for each HTTP request it makes (retries included)."""
        return call_timeout(self._timeout)

    @timeout.setter
    def timeout(self, value: float) -> None:
        self._timeout = value

    @property
    def background_timeout(self) -> float:
        """The timeout of calls made outside a request being answered."""
        return self._timeout

    def api_call(self, api_method: str, *args: Any, **kwargs: Any) -> Any:
        window = _window.get()
        if window is not None and api_method in TRIGGER_METHODS:
            return self._open_form(window, api_method, *args, **kwargs)
        return self._counted_call(api_method, *args, **kwargs)

    def _counted_call(self, api_method: str, *args: Any, **kwargs: Any) -> Any:
        if self._metrics is not None:
            self._metrics.slack_calls.labels(method=method_label(api_method)).inc()
        started = time.perf_counter()
        try:
            response = super().api_call(api_method, *args, **kwargs)
        except Exception as exc:
            error = (
                getattr(getattr(exc, "response", None), "get", lambda _k: None)("error") or type(exc).__name__
            )
            if self._metrics is not None:
                self._metrics.slack_errors.labels(
                    method=method_label(api_method), error=error_label(error)
                ).inc()
            log.info("slack %s failed (%s) in %.0f ms", api_method, error, _ms(started))
            raise
        log.debug("slack %s ok in %.0f ms", api_method, _ms(started))
        return response

    def _request_for_pagination(self, api_url: str, req_args: dict[str, dict[str, Any]]) -> dict[str, Any]:
        """The pages after the first of a paginated call (`for page in client.users_list(...)`): counted
        like every other call, under the method the URL names."""
        method = api_url.rstrip("/").rsplit("/", 1)[-1]
        if self._metrics is not None:
            self._metrics.slack_calls.labels(method=method_label(method)).inc()
        try:
            return super()._request_for_pagination(api_url, req_args)
        except Exception as exc:
            if self._metrics is not None:
                self._metrics.slack_errors.labels(
                    method=method_label(method), error=error_label(type(exc).__name__)
                ).inc()
            raise

    def _open_form(self, window: AnswerWindow, api_method: str, *args: Any, **kwargs: Any) -> Any:
        """Start the call now, on a thread of its own with the background timeout; wait for it until
        FORM_WAIT after the request started. Its answer, or its error, when it came by then; otherwise a
        stand-in answer (``ok``, ``pending``, no view) and the request is answered without waiting more."""
        outcome: Future[Any] = Future()
        context = contextvars.copy_context()  # the request id of the log lines, not the answer window

        def call() -> None:
            _window.set(None)
            try:
                outcome.set_result(self._counted_call(api_method, *args, **kwargs))
            except BaseException as exc:
                outcome.set_exception(exc)

        threading.Thread(target=context.run, args=(call,), name="slack-form", daemon=True).start()
        try:
            return outcome.result(timeout=max(window.left(FORM_WAIT), 0.0))
        except TimeoutError:
            if outcome.done():  # the call's own timeout (socket.timeout is a TimeoutError)
                raise
        log.info("slack %s still waiting for Slack; the request is answered first", api_method)

        def when_done(done: Future[Any]) -> None:
            error = done.exception()
            if error is None:
                log.info("slack %s answered after the request's answer", api_method)
            elif window.late_failure is not None:
                window.late_failure(api_method, error)
            else:
                log.warning("slack %s failed after the request's answer: %s", api_method, error)

        outcome.add_done_callback(when_done)  # runs on the call's thread, in the request's log context
        return SlackResponse(
            client=self,
            http_verb="POST",
            api_url=self.base_url + api_method,
            req_args={},
            data={"ok": True, "pending": True},
            headers={},
            status_code=202,
        )


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


SLACK_TIMEOUT = 10  # seconds, for calls made in the background


def make_web_client(settings: Settings, *, metrics: Metrics | None = None, retries: bool = True) -> WebClient:
    """A WebClient on SLACK_API_URL. `retries` adds slack_sdk's connection-error retry handler."""
    handlers = [ConnectionErrorRetryHandler(max_retry_count=1)] if retries else []
    return InstrumentedWebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        timeout=SLACK_TIMEOUT,
        retry_handlers=handlers,
        metrics=metrics,
    )


def new_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


@dataclass
class Deps:
    settings: Settings
    engine: Engine
    clock: Clock
    client: WebClient
    render: Renderer  # what services queue, drawn by the Slack layer (wired by the composition root)
    metrics: Metrics = field(default_factory=Metrics)
    worker_id: str = field(default_factory=new_worker_id)
    wake_sender: threading.Event = field(default_factory=threading.Event)
    activity: Activity = field(default_factory=Activity)  # Slack requests being answered right now
    # Small per-process caches (e.g. people's time zones); entries carry their own age.
    memo: dict[Any, Any] = field(default_factory=dict)
    # The wake-ups of the other destinations' workers (the Slack sender's is `wake_sender`).
    wake_workers: list[threading.Event] = field(default_factory=list)
    # Who hears of every item and incident event before its unit of work commits (`bot.services.events`;
    # wired by the composition root from the integrations that are configured).
    subscribers: tuple[Subscriber, ...] = ()

    def now(self) -> datetime:
        return self.clock()

    def uow(self, *, readonly: bool = False) -> AbstractContextManager[Session]:
        """One unit of work; after a successful commit the delivery workers are woken."""
        return unit_of_work(
            self.engine, readonly=readonly, after_commit=self._wake, before_commit=self._dispatch
        )

    def _dispatch(self, session: Session) -> None:
        events.dispatch(session, self.subscribers)

    def _wake(self) -> None:
        self.wake_sender.set()
        for event in self.wake_workers:
            event.set()

    def outbox_depth(self) -> tuple[int, datetime | None]:
        with self.uow(readonly=True) as session:
            return queries.outbox_depth(session)

    def delivery_depths(self) -> dict[str, tuple[int, datetime | None]]:
        """Pending deliveries and the oldest one's creation time, by destination."""
        with self.uow(readonly=True) as session:
            return queries.outbox_depths(session)
