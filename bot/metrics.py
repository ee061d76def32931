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
        self._outbox_probe: Callable[[], tuple[int, datetime | None]] | None = None
        self._clock: Callable[[], datetime] | None = None
        self.registry.register(_OutboxCollector(self))

    def watch_outbox(
        self, probe: Callable[[], tuple[int, datetime | None]], clock: Callable[[], datetime]
    ) -> None:
        self._outbox_probe = probe
        self._clock = clock

    def observe_delivery(self, stats: Any) -> None:
        # Slack errors are counted by the instrumented client already (by method and error); this counts
        # what became of the messages.
        for outcome in ("sent", "retried", "failed", "deferred"):
            n = getattr(stats, outcome)
            if n:
                self.deliveries.labels(outcome=outcome).inc(n)

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
        depth = GaugeMetricFamily("remediate_outbox_depth", "Messages waiting to be sent to Slack")
        age = GaugeMetricFamily("remediate_outbox_oldest_age_seconds", "Age of the oldest unsent message")
        probe, clock = self.metrics._outbox_probe, self.metrics._clock
        if probe is not None and clock is not None:
            try:
                n, oldest = probe()
            except Exception:
                n, oldest = 0, None
            depth.add_metric([], n)
            age.add_metric([], (clock() - oldest).total_seconds() if oldest else 0.0)
        yield depth
        yield age
