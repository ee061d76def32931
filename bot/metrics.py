"""Prometheus metrics, one registry per running bot (so tests can run several in one process)."""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.commands = Counter(
            "remediate_commands_total",
            "Slash commands handled",
            ["command", "subcommand", "outcome"],
            registry=self.registry,
        )
        self.actions = _ActionCounter(
            "remediate_actions_total",
            "Interactive actions and views handled",
            ["kind", "id", "outcome"],
            registry=self.registry,
        )
        self.slack_calls = Counter(
            "remediate_slack_api_calls_total", "Slack Web API calls", ["method"], registry=self.registry
        )
        self.slack_errors = Counter(
            "remediate_slack_api_errors_total",
            "Slack Web API calls that failed",
            ["method", "error"],
            registry=self.registry,
        )
        self.job_runs = Counter(
            "remediate_job_runs_total", "Scheduled job runs", ["job", "outcome"], registry=self.registry
        )
        self.job_duration = Histogram(
            "remediate_job_duration_seconds", "Scheduled job duration", ["job"], registry=self.registry
        )
        self.escalations = Counter(
            "remediate_escalations_fired_total",
            "Escalation alerts fired",
            ["kind", "level"],
            registry=self.registry,
        )
        self.deliveries = Counter(
            "remediate_outbox_deliveries_total",
            "Outbox send attempts by outcome (sent, retried, failed, deferred)",
            ["outcome"],
            registry=self.registry,
        )
        self.destination_deliveries = Counter(
            "remediate_deliveries_total",
            "Delivery attempts by destination and outcome (sent, retried, failed, deferred, held)",
            ["destination", "outcome"],
            registry=self.registry,
        )
        self.permanent_failures = Counter(
            "remediate_delivery_permanent_failures_total",
            "Deliveries a destination refused for good (kept as failed)",
            ["destination"],
            registry=self.registry,
        )
        # destination -> (reason, when): the last permanent failure, for /healthz's detail
        self.last_permanent_failure: dict[str, tuple[str, datetime]] = {}
        self._outbox_probe: Callable[[], dict[str, tuple[int, datetime | None]]] | None = None
        self._clock: Callable[[], datetime] | None = None
        self.registry.register(_OutboxCollector(self))

    def watch_outbox(
        self, probe: Callable[[], dict[str, tuple[int, datetime | None]]], clock: Callable[[], datetime]
    ) -> None:
        """`probe`: pending deliveries and the oldest one's creation time, by destination."""
        self._outbox_probe = probe
        self._clock = clock

    def observe_delivery(self, stats: Any, *, destination: str = "slack") -> None:
        # Slack errors are counted by the instrumented client already (by method and error); this counts
        # what became of the deliveries. Destination names come from the registered senders (a closed set).
        for outcome in ("sent", "retried", "failed", "deferred", "held"):
            n = getattr(stats, outcome, 0)
            if n:
                self.destination_deliveries.labels(destination=destination, outcome=outcome).inc(n)
                if outcome != "held":
                    self.deliveries.labels(outcome=outcome).inc(n)

    def note_permanent_failure(self, destination: str, reason: str, at: datetime) -> None:
        self.permanent_failures.labels(destination=destination).inc()
        self.last_permanent_failure = {**self.last_permanent_failure, destination: (reason[:300], at)}

    def render(self) -> bytes:
        return generate_latest(self.registry)


_counted_here: contextvars.ContextVar[bool] = contextvars.ContextVar("action_counted", default=False)


class _ActionCounter(Counter):
    """remediate_actions_total. A listener may count the request it handles itself (with an outcome only it
    knows, such as ``repeat``); this notes that it did, so the app's count of every request
    (`bot.slack.observability`) does not count that request again."""

    def labels(self, *labelvalues: Any, **labelkwargs: Any) -> Any:
        _counted_here.set(True)
        return super().labels(*labelvalues, **labelkwargs)


def begin_request() -> None:
    """Start of a Slack request (same thread as its listener): nothing counted for it yet."""
    _counted_here.set(False)


def counted_by_listener() -> bool:
    return _counted_here.get()


class _OutboxCollector:
    def __init__(self, metrics: Metrics):
        self.metrics = metrics

    def collect(self) -> Any:
        depth = GaugeMetricFamily(
            "remediate_outbox_depth", "Deliveries waiting to be sent (all destinations)"
        )
        age = GaugeMetricFamily("remediate_outbox_oldest_age_seconds", "Age of the oldest unsent delivery")
        by_dest = GaugeMetricFamily(
            "remediate_delivery_depth",
            "Deliveries waiting to be sent, by destination",
            labels=["destination"],
        )
        age_by_dest = GaugeMetricFamily(
            "remediate_delivery_oldest_age_seconds",
            "Age of the oldest unsent delivery, by destination",
            labels=["destination"],
        )
        probe, clock = self.metrics._outbox_probe, self.metrics._clock
        if probe is not None and clock is not None:
            try:
                depths = probe()
            except Exception:  # a scrape while the database is down shows nothing pending, not an error
                depths = {}
            now = clock()
            total = sum(n for n, _ in depths.values())
            oldest_all = min((o for _, o in depths.values() if o is not None), default=None)
            depth.add_metric([], total)
            age.add_metric([], (now - oldest_all).total_seconds() if oldest_all else 0.0)
            for dest, (n, oldest) in sorted(depths.items()):
                by_dest.add_metric([dest], n)
                age_by_dest.add_metric([dest], (now - oldest).total_seconds() if oldest else 0.0)
        yield depth
        yield age
        yield by_dest
        yield age_by_dest
