"""The one mechanism every signed inbound web hook goes through (``POST /hooks/<source>``).

In order, and nothing is acted on before each step passes:
1. the body's size is checked against the source's limit before it is read (413);
2. the source verifies its signature and freshness (401 with a short reason, one log line, nothing else);
3. the source parses the verified body into its typed event (400 when it is not what it should be);
4. in one unit of work: the delivery id is claimed once (``hook:<source>:<id>``; a repeat answers 200
   ``duplicate`` and changes nothing) and the event is handed to the source's one service, so the claim and
   the change commit together or not at all. The change runs with the source as its origin
   (`bot.services.events.origin`), so the source's own subscriber does not send it back (no echo).
The answer is small JSON: 202 with the service's summary (200 when the source took the event but it is about
nothing of ours, its summary naming why it was ``ignored``), or the refusal.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlmodel import Session

from bot.hooks.signatures import BadSignature
from bot.services import events
from storage import queries

log = logging.getLogger(__name__)

DEFAULT_MAX_BODY = 1024 * 1024


@dataclass(frozen=True)
class HookRequest:
    """A received hook: lower-cased header names, the raw body, and when it arrived."""

    headers: Mapping[str, str]
    body: bytes
    received_at: datetime

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class Refused(Exception):
    """A request the source will not take: an HTTP status and a short reason, safe to show and log."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class HookAnswer:
    status: int
    body: dict[str, Any] = field(default_factory=dict)


class HookSource(Protocol):
    """One sender of web hooks (GitHub, Jira, PagerDuty, CI). `handle` is the one service the event goes to;
    it runs in the unit of work that claimed the delivery and returns a short JSON-able summary."""

    name: str
    max_body: int

    def verify(self, request: HookRequest) -> None: ...

    def delivery_id(self, request: HookRequest) -> str: ...

    def parse(self, request: HookRequest) -> Any: ...

    def handle(self, session: Session, event: Any, now: datetime) -> dict[str, Any]: ...


class UnitOfWork(Protocol):
    def __call__(self) -> Any: ...


def receive(source: HookSource, request: HookRequest, *, uow: UnitOfWork) -> HookAnswer:
    """Verify, parse, claim once and handle one hook (steps 2 to 4; the size was checked before reading)."""
    try:
        source.verify(request)
    except (BadSignature, Refused) as exc:
        reason = exc.reason if isinstance(exc, Refused) else str(exc)
        log.warning("hook %s refused: %s", source.name, reason)
        return HookAnswer(401, {"ok": False, "error": reason})
    try:
        event = source.parse(request)
        delivery = source.delivery_id(request)
    except Refused as exc:
        log.warning("hook %s: bad request: %s", source.name, exc.reason)
        return HookAnswer(exc.status, {"ok": False, "error": exc.reason})
    with uow() as session:
        if not queries.try_claim(
            session, key=f"hook:{source.name}:{delivery}"[:200], now=request.received_at
        ):
            log.info("hook %s delivery %s: a repeat, ignored", source.name, delivery)
            return HookAnswer(200, {"ok": True, "duplicate": True})
        with events.origin(session, source.name):  # what it changes is not echoed back to the source
            summary = source.handle(session, event, request.received_at)
    log.info("hook %s delivery %s handled: %s", source.name, delivery, summary)
    return HookAnswer(200 if "ignored" in summary else 202, {"ok": True, **summary})
