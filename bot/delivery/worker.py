"""The delivery queue's worker: leases due deliveries of ONE destination and hands each to that destination's
sender, then records what became of it.

Every outward effect (a Slack message, a tracker call, a page, an e-mail, a web hook) is a row of the
``outbox`` table queued in the same transaction as its cause (`bot.services.outbox`), naming its
destination, carrying an idempotency key and the destination's payload. One worker per destination drains
it, so a destination that is down or slow never holds up another.

Delivery is at-least-once against the destination and exactly-once in practice: a row is leased (``FOR
UPDATE SKIP LOCKED`` on PostgreSQL) before it is sent and marked sent right after, so two workers never send
the same row; a sender passes the idempotency key on where the destination understands one. What a sender
may raise:
- `Retry(seconds, reason)`: not now (a rate limit with its Retry-After, a 5xx, a timeout); the row waits
  that long, or a capped exponential backoff with jitter, and the rest of its pace key waits behind it;
- `Permanent(reason)`: never (a bad request, a missing channel); kept as ``failed`` with the reason, logged
  once at ERROR, counted per destination and shown in /healthz's detail;
- `Defer()`: it depends on another delivery that has not landed yet; try again in the next batch.
A sender with `max_attempts` fails a delivery for good after that many retries; without it (Slack) an outage
delays deliveries, it never loses them.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.activity import Activity
from bot.clock import Clock, system_clock
from bot.logs import request_id
from bot.services.outbox import REQUEST_ID_KEY
from storage import queries
from storage.db import unit_of_work
from storage.models import OutboxMessage

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
MAX_BACKOFF = timedelta(minutes=5)
BATCH = 50  # deliveries leased at a time
BUSY_BATCH = 10  # ... while Slack requests keep coming
QUIET = 0.02  # seconds with no request being answered before the worker goes on
MAX_YIELD = 1.0  # the longest the worker waits for that before sending anyway


class Retry(Exception):
    """Not now: try again after `seconds` (None: the worker's backoff)."""

    def __init__(self, seconds: float | None, reason: str):
        super().__init__(reason)
        self.seconds = seconds
        self.reason = reason


class Permanent(Exception):
    """Never: the destination refused this delivery for good."""


class Defer(Exception):
    """It refers to another delivery that has not landed yet; try again shortly."""


@dataclass(frozen=True)
class Delivery:
    """One queued delivery, as its sender sees it."""

    id: int
    destination: str
    method: str
    payload: dict[str, Any]
    ref: str | None
    pace_key: str
    attempts: int
    created_at: datetime
    key: str | None


class Sender(Protocol):
    """What one destination's sender provides. `send` makes the call and returns what to keep of the answer;
    `sent` runs in the unit of work that marks the delivery sent (e.g. to remember where a message landed);
    `hold` (in the unit of work of the lease) names deliveries that must wait until a later instant (a DM
    in its recipient's quiet hours): they are put back with no attempt counted."""

    destination: str
    min_interval: float  # seconds between two sends with one pace key (0: no pacing)
    max_attempts: int | None

    def send(self, delivery: Delivery, now: datetime) -> dict[str, Any]: ...

    def sent(self, session: Session, delivery: Delivery, result: dict[str, Any], now: datetime) -> None: ...

    def describe(self, delivery: Delivery) -> str: ...

    def hold(self, session: Session, deliveries: list[Delivery], now: datetime) -> dict[int, datetime]: ...


@dataclass
class DeliveryStats:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    deferred: int = 0
    held: int = 0  # put back to wait (quiet hours), no attempt counted
    errors_by_method: dict[str, int] = field(default_factory=dict)

    @property
    def attempted(self) -> int:
        return self.sent + self.retried + self.failed + self.deferred

    def add(self, other: DeliveryStats) -> None:
        for name in ("sent", "retried", "failed", "deferred", "held"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Settled:
    """Where a set of queued deliveries stands: sent, failed for good, held for later, or still pending."""

    sent: int = 0
    failed: int = 0
    held: int = 0
    pending: int = 0
    held_until: datetime | None = None


class DeliveryWorker:
    """Drains one destination's deliveries through its `sender`."""

    def __init__(
        self,
        *,
        engine: Engine,
        sender: Sender,
        clock: Clock,
        worker_id: str,
        metrics: Any | None = None,
        lease: timedelta = LEASE,
        wall_clock: Clock = system_clock,
        activity: Activity | None = None,
    ):
        """`clock` says what is due (a test's or a `jobs run --at` clock); leases run on `wall_clock`, which
        every replica shares. `lease` must outlast one call, or a slow call could be sent twice."""
        self.engine = engine
        self.sender = sender
        self.destination = sender.destination
        self.clock = clock
        self.wall_clock = wall_clock
        self.lease = lease
        self.worker_id = worker_id
        self.metrics = metrics
        self.activity = activity
        self._next_slot: dict[str, float] = {}
        self._lock = threading.Lock()

    @property
    def min_interval(self) -> float:
        return self.sender.min_interval

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
                    destination=self.destination,
                )
                batch = self._hold(session, [_delivery(r) for r in rows], now, stats)
            busy: set[str] = set()
            for delivery in batch:
                if delivery.pace_key in busy or not self._take_slot(delivery.pace_key):
                    # Keep per-key order: once one delivery waits, the rest with its key wait too.
                    busy.add(delivery.pace_key)
                    self._release(delivery.id)
                    stats.deferred += 1
                    continue
                if not self._still_held(delivery.id, leased_at):
                    continue  # the batch outlived its lease and another worker took this delivery
                # Log lines and calls for this delivery carry the id of the request that queued it.
                payload = dict(delivery.payload)
                token = request_id.set(payload.pop(REQUEST_ID_KEY, None) or f"outbox-{delivery.id}")
                try:
                    outcome = self._deliver_one(replace(delivery, payload=payload), stats)
                finally:
                    request_id.reset(token)
                if outcome == "retry":
                    busy.add(delivery.pace_key)  # the rest of this key waits behind it, in order
        if self.metrics is not None:
            self.metrics.observe_delivery(stats, destination=self.destination)
        return stats

    def drain(self, *, max_batches: int = 100) -> DeliveryStats:
        """Deliver until nothing more is due now (respecting pacing by waiting for slots)."""
        total = DeliveryStats()
        for _ in range(max_batches):
            stats = self.deliver_due()
            total.add(stats)
            if stats.attempted == 0 and stats.held == 0:
                break
            if stats.sent == 0 and stats.failed == 0 and stats.retried == 0 and stats.held == 0:
                time.sleep(min(self.min_interval, 1.0) or 0.01)
        return total

    def wait_sent(self, message_ids: Iterable[int], *, timeout: float = 60.0) -> bool:
        """Deliver (or wait for another worker to deliver) these deliveries; True when none is pending."""
        return self.settle(message_ids, timeout=timeout, wait_for_held=True).pending == 0

    def settle(
        self, message_ids: Iterable[int], *, timeout: float = 60.0, wait_for_held: bool = False
    ) -> Settled:
        """Deliver what is due (these first among them, in queue order), or wait while another worker does,
        until none of `message_ids` is pending and due, or `timeout` seconds pass.

        Deliveries held for later (a DM waiting for the end of quiet hours) are counted as `held` and not
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
                    OutboxMessage.id.in_(ids),  # type: ignore[union-attr]
                    OutboxMessage.destination == self.destination,  # type: ignore[arg-type]
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
        """The background worker: wakes on `wake` (set after commits that queue deliveries) or each `poll` s.

        It runs at background priority: before each batch it waits while Slack requests are being answered
        (see `wait_for_quiet`), and while they keep coming it sends small batches."""
        while not stop.is_set():
            quiet = self.wait_for_quiet(stop)
            try:
                stats = self.deliver_due(limit=BATCH if quiet else BUSY_BATCH)
            except Exception:
                log.exception("%s delivery failed; will retry", self.destination)
                stats = DeliveryStats()
            if stats.sent or stats.failed or stats.held:
                continue
            interval = self.min_interval or poll
            wake.wait(timeout=poll if not stats.deferred else min(poll, interval))
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
    def _hold(
        self, session: Session, batch: list[Delivery], now: datetime, stats: DeliveryStats
    ) -> list[Delivery]:
        """The leased `batch` without what the sender says must wait; those are put back, in the lease's
        own unit of work, until the instant it names."""
        held = self.sender.hold(session, batch, now) if batch else {}
        if not held:
            return batch
        by_until: dict[datetime, list[int]] = {}
        for msg_id, until in held.items():
            by_until.setdefault(until, []).append(msg_id)
        for until, ids in by_until.items():
            queries.hold_outbox(session, message_ids=ids, worker=self.worker_id, until=until)
        stats.held += len(held)
        log.info("outbox: %d %s delivery(ies) held for later", len(held), self.destination)
        return [d for d in batch if d.id not in held]

    def _take_slot(self, pace_key: str) -> bool:
        if not pace_key or self.min_interval <= 0:
            return True
        now = time.monotonic()
        if self._next_slot.get(pace_key, 0.0) > now:
            return False
        self._next_slot[pace_key] = now + self.min_interval
        return True

    def _still_held(self, msg_id: int, leased_at: datetime) -> bool:
        """True when this worker may send the delivery: its lease is young, or renewed now. A slow batch
        (a destination answering slowly) renews each delivery before sending it instead of letting the
        rest lapse."""
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

    def _deliver_one(self, delivery: Delivery, stats: DeliveryStats) -> str:
        """Send one delivery; returns what became of it: sent, retry, failed or deferred."""
        now = self.clock()
        try:
            result = self.sender.send(delivery, now)
        except Defer:
            # Only released, not pushed back: the next batch tries again, whatever the clock says (a test's
            # clock may stand still), and the delivery it waits for is usually sent by then.
            self._release(delivery.id)
            stats.deferred += 1
            return "deferred"
        except Retry as exc:
            limit = self.sender.max_attempts
            if limit is not None and delivery.attempts + 1 >= limit:
                self._fail(delivery, f"gave up after {delivery.attempts + 1} attempts: {exc.reason}", stats)
                return "failed"
            self._retry(delivery, exc.seconds, exc.reason, stats)
            return "retry"
        except Permanent as exc:
            self._fail(delivery, str(exc), stats)
            return "failed"
        with unit_of_work(self.engine) as session:
            queries.mark_sent(
                session,
                message_id=delivery.id,
                at=self.clock(),
                attempts=delivery.attempts + 1,
                result=result,
            )
            self.sender.sent(session, delivery, result, now)
        log.info(
            "outbox %s: %s sent (attempt %d) to %s",
            delivery.id,
            delivery.method,
            delivery.attempts + 1,
            self.destination,
        )
        stats.sent += 1
        return "sent"

    def _retry(self, delivery: Delivery, seconds: float | None, reason: str, stats: DeliveryStats) -> None:
        attempts = delivery.attempts
        if seconds is None:
            backoff = min(MAX_BACKOFF.total_seconds(), 2 ** min(attempts, 10))
            seconds = backoff * (0.75 + random.random() / 2)  # jitter so replicas do not retry in step
        log.warning(
            "%s %s failed (%s); retrying in %.1fs (attempt %d)",
            self.destination,
            delivery.method,
            reason,
            seconds,
            attempts + 1,
        )
        with unit_of_work(self.engine) as session:
            row = session.get(OutboxMessage, delivery.id)
            if row is None:
                return
            row.attempts = attempts + 1
            row.last_error = reason
            row.not_before = self.clock() + timedelta(seconds=seconds)
            row.lease_until = None
            row.leased_by = None
        stats.retried += 1
        stats.errors_by_method[delivery.method] = stats.errors_by_method.get(delivery.method, 0) + 1

    def _fail(self, delivery: Delivery, reason: str, stats: DeliveryStats) -> None:
        log.error(
            "%s %s permanently failed (%s); message %s kept in the outbox as failed: %.500s",
            self.destination,
            delivery.method,
            reason,
            delivery.id,
            self.sender.describe(delivery),
        )
        with unit_of_work(self.engine) as session:
            row = session.get(OutboxMessage, delivery.id)
            if row is None:
                return
            row.status = "failed"
            row.last_error = reason
            row.attempts += 1
            row.lease_until = None
        if self.metrics is not None:
            self.metrics.note_permanent_failure(self.destination, reason, self.wall_clock())
        stats.failed += 1
        stats.errors_by_method[delivery.method] = stats.errors_by_method.get(delivery.method, 0) + 1


def _delivery(row: OutboxMessage) -> Delivery:
    assert row.id is not None
    return Delivery(
        id=row.id,
        destination=row.destination,
        method=row.method,
        payload=dict(row.payload),
        ref=row.ref,
        pace_key=row.channel_key,
        attempts=row.attempts,
        created_at=row.created_at,
        key=row.dedupe_key,
    )
