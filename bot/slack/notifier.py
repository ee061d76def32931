"""The only code that sends queued messages to Slack: the Slack destination of the delivery queue.

`SlackSender` makes the Web API call a queued row names; `bot.delivery.worker.DeliveryWorker` leases the
rows, paces them and records what became of them (`Notifier` is that worker with this sender). Failures:
- HTTP 429: retried after the ``Retry-After`` Slack gave (the row waits; the worker does not sleep);
- HTTP 5xx, timeouts, connection errors, Slack's transient errors: retried with capped exponential backoff,
  for as long as it takes (an outage delays messages, it never loses them);
- permanent errors (``channel_not_found``, ``not_in_channel``, ``invalid_blocks``, …): the row is kept as
  ``failed`` with the error and logged at ERROR, never retried.
Messages to one channel are paced to ``SLACK_CHANNEL_RATE`` per second (Slack allows about one).
Quiet hours (`core.timing.quiet_hours`) are applied here, to every DM queued as a notice, just before it
would go out: during its recipient's quiet hours it is put back to wait for their end (no attempt is
counted; it stays pending, so it can still be revised), whatever code queued it and however late it came due.

The background worker keeps out of the way of people waiting on an answer: while Slack requests are being
answered it waits (at most MAX_YIELD seconds at a time) and then sends small batches, so a burst of commands
is acknowledged first and its DMs follow within a second or two.
"""

from __future__ import annotations

import base64
import logging
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.activity import Activity
from bot.clock import Clock, system_clock
from bot.config import Settings
from bot.core.timing.quiet_hours import QuietHours
from bot.delivery.worker import (
    BATCH,
    BUSY_BATCH,
    LEASE,
    MAX_BACKOFF,
    MAX_YIELD,
    QUIET,
    Defer,
    Delivery,
    DeliveryStats,
    DeliveryWorker,
    Permanent,
    Retry,
    Settled,
)
from bot.services.outbox import NOTICE_KEY
from storage import queries
from storage.db import unit_of_work
from storage.models import OutboxMessage

log = logging.getLogger(__name__)

__all__ = [
    "BATCH",
    "BUSY_BATCH",
    "LEASE",
    "MAX_BACKOFF",
    "MAX_YIELD",
    "QUIET",
    "TRANSIENT_ERRORS",
    "DeliveryStats",
    "Notifier",
    "Settled",
    "SlackSender",
    "quiet_hours_of",
]

TRANSIENT_ERRORS = frozenset(
    {
        "ratelimited",
        "internal_error",
        "fatal_error",
        "service_unavailable",
        "request_timeout",
        "team_added_to_org",
    }
)
# How long an update/thread reply waits for the message it refers to before giving up on the reference.
REF_WAIT = timedelta(hours=1)


def quiet_hours_of(settings: Settings) -> QuietHours:
    """QUIET_HOURS and QUIET_WEEKENDS, with TIMEZONE for people whose own zone is not known yet."""
    return QuietHours(settings.quiet_window, weekends=settings.quiet_weekends, zone=settings.tz)


class SlackSender:
    """Sends one queued Slack Web API call through `client` (a WebClient on SLACK_API_URL)."""

    destination = "slack"
    max_attempts: int | None = None  # an outage delays messages, it never loses them

    def __init__(
        self,
        *,
        engine: Engine,
        client: WebClient,
        channel_rate: float = 1.0,
        quiet_hours: QuietHours | None = None,
    ):
        self.engine = engine
        self.client = client
        self.min_interval = 1.0 / channel_rate
        self.quiet_hours = quiet_hours if quiet_hours is not None and quiet_hours.active else None

    def describe(self, delivery: Delivery) -> str:
        return str(delivery.payload.get("text", ""))

    def hold(self, session: Session, deliveries: list[Delivery], now: datetime) -> dict[int, datetime]:
        """Notices whose recipients are in their quiet hours at `now`, with when those end."""
        rule = self.quiet_hours
        if rule is None:
            return {}
        notices = [d for d in deliveries if d.method == "chat.postMessage" and d.payload.get(NOTICE_KEY)]
        if not notices:
            return {}
        # Zones from the cache the bot keeps of people (no Slack call here); unknown people get TIMEZONE.
        people = queries.cached_users(
            session, user_ids=sorted({str(d.payload.get("channel")) for d in notices})
        )
        held: dict[int, datetime] = {}
        for d in notices:
            person = people.get(str(d.payload.get("channel")))
            until = rule.hold_until(now, person.tz if person is not None else None)
            if until is not None:
                held[d.id] = until
        return held

    def send(self, delivery: Delivery, now: datetime) -> dict[str, Any]:
        payload = dict(delivery.payload)
        payload.pop(NOTICE_KEY, None)
        return self._call(delivery.method, payload, delivery.created_at, now)

    def sent(self, session: Session, delivery: Delivery, result: dict[str, Any], now: datetime) -> None:
        if delivery.ref and result.get("channel") and result.get("ts"):
            queries.put_message_ref(
                session, ref=delivery.ref, channel=result["channel"], ts=result["ts"], now=now
            )

    def _resolve_ref(self, ref: str, created_at: datetime, now: datetime) -> tuple[str, str] | None:
        with unit_of_work(self.engine, readonly=True) as session:
            found = queries.get_message_ref(session, ref=ref)
            if found is not None:
                return found.channel, found.ts
            waiting = session.scalars(
                select(OutboxMessage.id).where(OutboxMessage.ref == ref, OutboxMessage.status == "pending")
            ).first()
        if waiting is not None and now - created_at < REF_WAIT:
            raise Defer(ref)
        return None

    def _call(
        self, method: str, payload: dict[str, Any], created_at: datetime, now: datetime
    ) -> dict[str, Any]:
        args = dict(payload)
        try:
            if method == "chat.update":
                target = self._resolve_ref(args.pop("ref"), created_at, now)
                if target is None:
                    raise Permanent("message_not_found: the message to update was never posted")
                args["channel"], args["ts"] = target
            thread_ref = args.pop("thread_ref", None)
            if thread_ref:
                target = self._resolve_ref(thread_ref, created_at, now)
                if target is not None:
                    args["thread_ts"] = target[1]
                    if method == "chat.postMessage":
                        args["channel"] = target[0]
            if method == "files.upload_v2":
                content = base64.b64decode(args.pop("content_b64"))
                resp = self.client.files_upload_v2(
                    content=content,
                    filename=args["filename"],
                    title=args.get("title"),
                    channel=args["channel"],
                    initial_comment=args.get("initial_comment"),
                    thread_ts=args.get("thread_ts"),
                )
                return {"channel": args["channel"], "file": (resp.get("file") or {}).get("id")}
            resp = self.client.api_call(method, json=args)
            data = resp.data if isinstance(resp.data, dict) else {}
            return {k: data[k] for k in ("channel", "ts") if k in data}
        except SlackApiError as exc:
            response = exc.response
            status = getattr(response, "status_code", 200)
            error = response.get("error") if hasattr(response, "get") else None
            if status == 429:
                retry_after = float(
                    response.headers.get("Retry-After", response.headers.get("retry-after", 1))
                )
                raise Retry(retry_after, "ratelimited (429)") from exc
            if status >= 500:
                raise Retry(None, f"HTTP {status}") from exc
            if error in TRANSIENT_ERRORS:
                raise Retry(None, str(error)) from exc
            detail = response.get("errors") if hasattr(response, "get") else None
            raise Permanent(f"{error}{': ' + str(detail) if detail else ''}") from exc
        except (Defer, Permanent, Retry):
            raise
        except (KeyError, TypeError) as exc:  # a payload this code cannot send: a bug, never retried
            raise Permanent(f"malformed payload: {type(exc).__name__}: {exc}") from exc
        except (SlackClientError, OSError, ValueError) as exc:  # network errors, timeouts, bad bodies
            raise Retry(None, f"{type(exc).__name__}: {exc}") from exc


class Notifier(DeliveryWorker):
    """The Slack destination's worker: drains Slack's deliveries through a `SlackSender` on `client`."""

    def __init__(
        self,
        *,
        engine: Engine,
        client: WebClient,
        clock: Clock,
        worker_id: str,
        channel_rate: float = 1.0,
        metrics: Any | None = None,
        lease: timedelta = LEASE,
        wall_clock: Clock = system_clock,
        activity: Activity | None = None,
        quiet_hours: QuietHours | None = None,
    ):
        """`clock` says what is due (a test's or a `jobs run --at` clock); leases run on `wall_clock`, which
        every replica shares. `lease` must outlast one Slack call, or a slow call could be sent twice.
        `quiet_hours`: when notices may reach people (None: at any time)."""
        self.client = client
        super().__init__(
            engine=engine,
            sender=SlackSender(
                engine=engine, client=client, channel_rate=channel_rate, quiet_hours=quiet_hours
            ),
            clock=clock,
            worker_id=worker_id,
            metrics=metrics,
            lease=lease,
            wall_clock=wall_clock,
            activity=activity,
        )

    @property
    def quiet_hours(self) -> QuietHours | None:
        return self.sender.quiet_hours  # type: ignore[attr-defined, no-any-return]
