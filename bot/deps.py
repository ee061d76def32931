"""Everything a service, listener or job needs, built once by the composition root."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler
from sqlalchemy import Engine
from sqlmodel import Session

from bot.activity import Activity
from bot.clock import Clock
from bot.config import Settings
from bot.metrics import Metrics
from storage import queries
from storage.db import unit_of_work

log = logging.getLogger(__name__)


class InstrumentedWebClient(WebClient):
    """A WebClient that counts calls and errors by method (for /metrics)."""

    def __init__(self, *args: Any, metrics: Metrics | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._metrics = metrics

    def api_call(self, api_method: str, *args: Any, **kwargs: Any) -> Any:
        if self._metrics is not None:
            self._metrics.slack_calls.labels(method=api_method).inc()
        started = time.perf_counter()
        try:
            response = super().api_call(api_method, *args, **kwargs)
        except Exception as exc:
            error = (
                getattr(getattr(exc, "response", None), "get", lambda _k: None)("error") or type(exc).__name__
            )
            if self._metrics is not None:
                self._metrics.slack_errors.labels(method=api_method, error=str(error)).inc()
            log.info("slack %s failed (%s) in %.0f ms", api_method, error, _ms(started))
            raise
        log.debug("slack %s ok in %.0f ms", api_method, _ms(started))
        return response


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def make_web_client(settings: Settings, *, metrics: Metrics | None = None, retries: bool = True) -> WebClient:
    """A WebClient on SLACK_API_URL. `retries` adds slack_sdk's connection-error retry handler."""
    handlers = [ConnectionErrorRetryHandler(max_retry_count=1)] if retries else []
    return InstrumentedWebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        timeout=10,
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
    metrics: Metrics = field(default_factory=Metrics)
    worker_id: str = field(default_factory=new_worker_id)
    wake_sender: threading.Event = field(default_factory=threading.Event)
    activity: Activity = field(default_factory=Activity)  # Slack requests being answered right now
    # Small per-process caches (e.g. people's time zones); entries carry their own age.
    memo: dict[Any, Any] = field(default_factory=dict)

    def now(self) -> datetime:
        return self.clock()

    def uow(self, *, readonly: bool = False) -> AbstractContextManager[Session]:
        """One unit of work; after a successful commit the outbox sender is woken."""
        return unit_of_work(self.engine, readonly=readonly, after_commit=self.wake_sender.set)

    def outbox_depth(self) -> tuple[int, datetime | None]:
        with self.uow(readonly=True) as session:
            return queries.outbox_depth(session)
