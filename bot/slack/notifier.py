"""The only code that sends queued messages to Slack: it drains the outbox.

Delivery is at-least-once against Slack and exactly-once in practice: a row is leased (``FOR UPDATE SKIP
LOCKED`` on PostgreSQL) before it is sent and marked sent right after, so two workers never send the same
row. Failures:
- HTTP 429: retried after the ``Retry-After`` Slack gave (the row waits; the worker does not sleep);
- HTTP 5xx, timeouts, connection errors, Slack's transient errors: retried with capped exponential backoff,
  for as long as it takes (an outage delays messages, it never loses them);
- permanent errors (``channel_not_found``, ``not_in_channel``, ``invalid_blocks``, …): the row is kept as
  ``failed`` with the error and logged at ERROR, never retried.
Messages to one channel are paced to ``SLACK_CHANNEL_RATE`` per second (Slack allows about one).
Quiet hours (`core.timing.quiet_hours`) are applied here, to every DM queued as a notice, just before it would
go out: during its recipient's quiet hours it is put back to wait for their end (no attempt is counted; it
stays pending, so it can still be revised), whatever code queued it and however late it came due.

The background sender keeps out of the way of people waiting on an answer: while Slack requests are being
answered it waits (at most MAX_YIELD seconds at a time) and then sends small batches, so a burst of commands
is acknowledged first and its DMs follow within a second or two.
"""

from __future__ import annotations

import base64
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine
from sqlmodel import select

from bot.activity import Activity
from bot.clock import Clock, system_clock
from bot.config import Settings
from bot.core.timing.quiet_hours import QuietHours
from bot.logs import request_id
from bot.services.outbox import NOTICE_KEY, REQUEST_ID_KEY
from storage import queries
from storage.db import unit_of_work
from storage.models import OutboxMessage

log = logging.getLogger(__name__)

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
LEASE = timedelta(seconds=60)
MAX_BACKOFF = timedelta(minutes=5)
# How long an update/thread reply waits for the message it refers to before giving up on the reference.
REF_WAIT = timedelta(hours=1)
BATCH = 50  # messages leased at a time
BUSY_BATCH = 10  # ... while Slack requests keep coming
QUIET = 0.02  # seconds with no request being answered before the sender goes on
MAX_YIELD = 1.0  # the longest the sender waits for that before sending anyway


class _Deferred(Exception):
    """The message refers to another that has not landed yet; try again shortly."""


class _RetryAfter(Exception):
    def __init__(self, seconds: float | None, reason: str):
        super().__init__(reason)
        self.seconds = seconds
        self.reason = reason


class _Permanent(Exception):
    pass


@dataclass
class DeliveryStats:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    deferred: int = 0
    held: int = 0  # notices put back to wait for the end of their recipient's quiet hours
    errors_by_method: dict[str, int] = field(default_factory=dict)

    @property
    def attempted(self) -> int:
        return self.sent + self.retried + self.failed + self.deferred


@dataclass
class Settled:
    """Where a set of queued messages stands: sent, failed for good, held for later, or still pending."""

    sent: int = 0
    failed: int = 0
    held: int = 0
    pending: int = 0
    held_until: datetime | None = None


def quiet_hours_of(settings: Settings) -> QuietHours:
    """QUIET_HOURS and QUIET_WEEKENDS, with TIMEZONE for people whose own zone is not known yet."""
    return QuietHours(settings.quiet_window, weekends=settings.quiet_weekends, zone=settings.tz)


class Notifier:
    """Drains the outbox through `client` (a WebClient whose base_url honours SLACK_API_URL)."""

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
        self.engine = engine
        self.client = client
        self.clock = clock
        self.wall_clock = wall_clock
        self.lease = lease
        self.worker_id = worker_id
        self.min_interval = 1.0 / channel_rate
        self.metrics = metrics
        self.activity = activity
        self.quiet_hours = quiet_hours if quiet_hours is not None and quiet_hours.active else None
        self._next_slot: dict[str, float] = {}
        self._lock = threading.Lock()

    # ---------------------------------------------------------------------------------------------
    def deliver_due(self, *, limit: int = BATCH) -> DeliveryStats:
        """Send what is due now (one batch). Returns what happened."""
        stats = DeliveryStats()
        with self._lock:  # one batch at a time per process; replicas coordinate through leases
            now, leased_at = self.clock(), self.wall_clock()
            with unit_of_work(self.engine) as session:
                rows = queries.lease_outbox(
                    session,
                    now=now,
                    lease_now=leased_at,
                    worker=self.worker_id,
                    limit=limit,
                    lease=self.lease,
                )
                batch = [
                    (r.id, r.method, dict(r.payload), r.ref, r.channel_key, r.attempts, r.created_at)
                    for r in rows
                ]
                batch = self._hold_notices(session, batch, now, stats)
            busy_channels: set[str] = set()
            for msg_id, method, payload, ref, channel_key, attempts, created_at in batch:
                assert msg_id is not None
                if channel_key in busy_channels or not self._take_slot(channel_key):
                    # Keep per-channel order: once one message waits, the rest of that channel waits too.
                    busy_channels.add(channel_key)
                    self._release(msg_id)
                    stats.deferred += 1
                    continue
                if not self._still_held(msg_id, leased_at):
                    continue  # the batch outlived its lease and another worker took this message
                # Log lines and Slack calls for this message carry the id of the request that queued it.
                token = request_id.set(payload.pop(REQUEST_ID_KEY, None) or f"outbox-{msg_id}")
                payload.pop(NOTICE_KEY, None)
                try:
                    outcome = self._deliver_one(msg_id, method, payload, ref, attempts, created_at, stats)
                finally:
                    request_id.reset(token)
                if outcome == "retry":
                    busy_channels.add(channel_key)  # the rest of this channel waits behind it, in order
        if self.metrics is not None:
            self.metrics.observe_delivery(stats)
        return stats

    def drain(self, *, max_batches: int = 100) -> DeliveryStats:
        """Deliver until nothing more is due now (respecting pacing by waiting for slots)."""
        total = DeliveryStats()
        for _ in range(max_batches):
            stats = self.deliver_due()
            for name in ("sent", "retried", "failed", "deferred"):
                setattr(total, name, getattr(total, name) + getattr(stats, name))
            if stats.attempted == 0 and stats.held == 0:
                break
            if stats.sent == 0 and stats.failed == 0 and stats.retried == 0 and stats.held == 0:
                time.sleep(min(self.min_interval, 1.0))
        return total

    def wait_sent(self, message_ids: Iterable[int], *, timeout: float = 60.0) -> bool:
        """Deliver (or wait for another worker to deliver) these messages; True when none is pending."""
        return self.settle(message_ids, timeout=timeout, wait_for_held=True).pending == 0

    def settle(
        self, message_ids: Iterable[int], *, timeout: float = 60.0, wait_for_held: bool = False
    ) -> Settled:
        """Deliver what is due (these messages first among them, in queue order), or wait while another
        worker does, until none of `message_ids` is pending and due, or `timeout` seconds pass.

        Messages held for later (a DM waiting for the end of quiet hours) are counted as `held` and not
        waited for unless `wait_for_held`: whoever sends next (a running bot, the next cron run) sends them.
        """
        ids = list(message_ids)
        deadline = time.monotonic() + timeout
        while True:
            settled = self._settled(ids, wait_for_held=wait_for_held)
            if settled.pending == 0 or time.monotonic() > deadline:
                return settled
            stats = self.deliver_due()
            if stats.sent == 0:
                time.sleep(0.05)

    def _settled(self, ids: list[int], *, wait_for_held: bool) -> Settled:
        now = self.clock()
        out = Settled()
        with unit_of_work(self.engine, readonly=True) as session:
            rows = session.execute(
                select(OutboxMessage.status, OutboxMessage.not_before, OutboxMessage.attempts).where(
                    OutboxMessage.id.in_(ids)  # type: ignore[union-attr]
                )
            ).all()
        for status, not_before, attempts in rows:
            if status == "sent":
                out.sent += 1
            elif status == "failed":
                out.failed += 1
            elif not_before > now and attempts == 0 and not wait_for_held:
                out.held += 1
                out.held_until = max(out.held_until or not_before, not_before)
            else:
                out.pending += 1
        return out

    def run_forever(self, stop: threading.Event, wake: threading.Event, *, poll: float = 1.0) -> None:
        """The background sender: wakes on `wake` (set after commits that queue messages) or each `poll` s.

        It runs at background priority: before each batch it waits while Slack requests are being answered
        (see `wait_for_quiet`), and while they keep coming it sends small batches."""
        while not stop.is_set():
            quiet = self.wait_for_quiet(stop)
            try:
                stats = self.deliver_due(limit=BATCH if quiet else BUSY_BATCH)
            except Exception:
                log.exception("outbox delivery failed; will retry")
                stats = DeliveryStats()
            if stats.sent or stats.failed or stats.held:
                continue
            wake.wait(timeout=poll if not stats.deferred else min(poll, self.min_interval))
            wake.clear()

    def wait_for_quiet(
        self, stop: threading.Event, *, pause: Callable[[float], object] | None = None
    ) -> bool:
        """Wait until no Slack request has been answered for QUIET seconds, at most MAX_YIELD seconds.
        True when it became quiet; False when requests kept coming (or nothing tracks them). `pause`
        (default: `stop.wait`) waits that many seconds on the activity's clock."""
        activity = self.activity
        if activity is None:
            return True
        pause = pause or stop.wait
        give_up = activity.clock() + MAX_YIELD
        while not stop.is_set():
            idle = activity.idle_for()
            if idle >= QUIET:
                return True
            left = give_up - activity.clock()
            if left <= 0:
                return False
            pause(min(max(QUIET - idle, 0.001), left))  # never a sliver: rounding must not spin
        return False

    # ---------------------------------------------------------------------------------------------
    def _hold_notices(self, session: Any, batch: list[Any], now: datetime, stats: DeliveryStats) -> list[Any]:
        """The leased `batch` without the notices whose recipients are in their quiet hours at `now`; those
        are put back, in the lease's own unit of work, to wait for the end of the quiet hours."""
        rule = self.quiet_hours
        if rule is None:
            return batch
        notices = [b for b in batch if b[1] == "chat.postMessage" and b[2].get(NOTICE_KEY)]
        if not notices:
            return batch
        # Zones from the cache the bot keeps of people (no Slack call here); unknown people get TIMEZONE.
        people = queries.cached_users(session, user_ids=sorted({str(b[2].get("channel")) for b in notices}))
        until_by_id: dict[int, datetime] = {}
        for msg_id, _method, payload, *_rest in notices:
            person = people.get(str(payload.get("channel")))
            until = rule.hold_until(now, person.tz if person is not None else None)
            if until is not None:
                until_by_id[msg_id] = until
        if not until_by_id:
            return batch
        by_until: dict[datetime, list[int]] = {}
        for msg_id, until in until_by_id.items():
            by_until.setdefault(until, []).append(msg_id)
        for until, ids in by_until.items():
            queries.hold_outbox(session, message_ids=ids, worker=self.worker_id, until=until)
        stats.held += len(until_by_id)
        log.info("outbox: %d notice(s) held for the recipients' quiet hours", len(until_by_id))
        return [b for b in batch if b[0] not in until_by_id]

    def _take_slot(self, channel_key: str) -> bool:
        if not channel_key:
            return True
        now = time.monotonic()
        if self._next_slot.get(channel_key, 0.0) > now:
            return False
        self._next_slot[channel_key] = now + self.min_interval
        return True

    def _still_held(self, msg_id: int, leased_at: datetime) -> bool:
        """True when this worker may send the message: its lease is young, or renewed now. A slow batch
        (Slack answering slowly) renews each message before sending it instead of letting the rest lapse."""
        if self.wall_clock() - leased_at < self.lease / 2:
            return True
        with unit_of_work(self.engine) as session:
            held = queries.renew_lease(
                session, message_id=msg_id, worker=self.worker_id, until=self.wall_clock() + self.lease
            )
        if not held:
            log.info("outbox message %s: lease lost to another worker; not sending it here", msg_id)
        return held

    def _release(self, msg_id: int) -> None:
        with unit_of_work(self.engine) as session:
            queries.release_lease(session, message_id=msg_id, worker=self.worker_id)

    def _deliver_one(
        self,
        msg_id: int,
        method: str,
        payload: dict[str, Any],
        ref: str | None,
        attempts: int,
        created_at: datetime,
        stats: DeliveryStats,
    ) -> str:
        """Send one message; returns what became of it: sent, retry, failed or deferred."""
        now = self.clock()
        try:
            result = self._call(method, payload, created_at, now)
        except _Deferred:
            # Only released, not pushed back: the next batch tries again, whatever the clock says (a test's
            # clock may stand still), and the message it waits for is usually sent by then.
            self._release(msg_id)
            stats.deferred += 1
            return "deferred"
        except _RetryAfter as exc:
            self._retry(msg_id, attempts, exc.seconds, exc.reason, method, stats)
            return "retry"
        except _Permanent as exc:
            self._fail(msg_id, str(exc), method, payload, stats)
            return "failed"
        with unit_of_work(self.engine) as session:
            queries.mark_sent(
                session, message_id=msg_id, at=self.clock(), attempts=attempts + 1, result=result
            )
            if ref and result.get("channel") and result.get("ts"):
                queries.put_message_ref(session, ref=ref, channel=result["channel"], ts=result["ts"], now=now)
        log.info("outbox %s: %s sent (attempt %d)", msg_id, method, attempts + 1)
        stats.sent += 1
        return "sent"

    def _retry(
        self,
        msg_id: int,
        attempts: int,
        seconds: float | None,
        reason: str,
        method: str,
        stats: DeliveryStats,
    ) -> None:
        if seconds is None:
            backoff = min(MAX_BACKOFF.total_seconds(), 2 ** min(attempts, 10))
            seconds = backoff * (0.75 + random.random() / 2)  # jitter so replicas do not retry in step
        log.warning(
            "slack %s failed (%s); retrying in %.1fs (attempt %d)", method, reason, seconds, attempts + 1
        )
        with unit_of_work(self.engine) as session:
            row = session.get(OutboxMessage, msg_id)
            if row is None:
                return
            row.attempts = attempts + 1
            row.last_error = reason
            row.not_before = self.clock() + timedelta(seconds=seconds)
            row.lease_until = None
            row.leased_by = None
        stats.retried += 1
        stats.errors_by_method[method] = stats.errors_by_method.get(method, 0) + 1

    def _fail(
        self, msg_id: int, reason: str, method: str, payload: dict[str, Any], stats: DeliveryStats
    ) -> None:
        log.error(
            "slack %s permanently failed (%s); message %s kept in the outbox as failed: %.500s",
            method,
            reason,
            msg_id,
            payload.get("text", ""),
        )
        with unit_of_work(self.engine) as session:
            row = session.get(OutboxMessage, msg_id)
            if row is None:
                return
            row.status = "failed"
            row.last_error = reason
            row.attempts += 1
            row.lease_until = None
        stats.failed += 1
        stats.errors_by_method[method] = stats.errors_by_method.get(method, 0) + 1

    # ---------------------------------------------------------------------------------------------
    def _resolve_ref(self, ref: str, created_at: datetime, now: datetime) -> tuple[str, str] | None:
        with unit_of_work(self.engine, readonly=True) as session:
            found = queries.get_message_ref(session, ref=ref)
            if found is not None:
                return found.channel, found.ts
            waiting = session.scalars(
                select(OutboxMessage.id).where(OutboxMessage.ref == ref, OutboxMessage.status == "pending")
            ).first()
        if waiting is not None and now - created_at < REF_WAIT:
            raise _Deferred(ref)
        return None

    def _call(
        self, method: str, payload: dict[str, Any], created_at: datetime, now: datetime
    ) -> dict[str, Any]:
        args = dict(payload)
        try:
            if method == "chat.update":
                target = self._resolve_ref(args.pop("ref"), created_at, now)
                if target is None:
                    raise _Permanent("message_not_found: the message to update was never posted")
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
                raise _RetryAfter(retry_after, "ratelimited (429)") from exc
            if status >= 500:
                raise _RetryAfter(None, f"HTTP {status}") from exc
            if error in TRANSIENT_ERRORS:
                raise _RetryAfter(None, str(error)) from exc
            detail = response.get("errors") if hasattr(response, "get") else None
            raise _Permanent(f"{error}{': ' + str(detail) if detail else ''}") from exc
        except (_Deferred, _Permanent, _RetryAfter):
            raise
        except Exception as exc:  # network errors, timeouts, unparsable 5xx bodies
            raise _RetryAfter(None, f"{type(exc).__name__}: {exc}") from exc
