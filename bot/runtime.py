"""The composition root: Settings -> engine -> clients -> app -> transport, sender and scheduler."""

from __future__ import annotations

import faulthandler
import logging
import signal
import threading
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from bot.clock import Clock, system_clock
from bot.config import Settings
from bot.delivery.worker import DeliveryWorker, Sender
from bot.deps import Deps, make_web_client
from bot.hooks.inbound import HookSource
from bot.http import HttpServer, http_limits, make_wsgi_app
from bot.integrations import Integration, wire
from bot.metrics import Metrics
from bot.slack.app import create_app
from bot.slack.notifier import Notifier, quiet_hours_of
from bot.slack.renderer import slack_renderer
from storage.db import make_engine
from storage.migrate import upgrade

log = logging.getLogger(__name__)

# The longest a stop may take: in-flight requests get 10 s, then running jobs and the sender finish. Past it
# every thread's stack is written to stderr and the process exits with status 1 instead of hanging until an
# orchestrator kills it without a word (Kubernetes waits 30 s by default before SIGKILL).
STOP_LIMIT = 28.0
# How often the main thread looks for a signal while it waits. The kernel may deliver SIGTERM to any of the
# process's threads, and Python runs its handler only when the main thread next runs Python code: a main
# thread blocked in a wait without a timeout could sleep through it.
SIGNAL_POLL = 0.25


def build_deps(settings: Settings, clock: Clock = system_clock) -> Deps:
    engine = make_engine(settings.database_url, pool_size=max(5, min(settings.http_threads, 20)))
    metrics = Metrics()
    deps = Deps(
        settings=settings,
        engine=engine,
        clock=clock,
        client=make_web_client(settings, metrics=metrics),
        render=slack_renderer(),
        metrics=metrics,
    )
    metrics.watch_outbox(deps.delivery_depths, clock)
    return deps


def build_worker(deps: Deps, sender: Sender) -> DeliveryWorker:
    """The worker of one destination other than Slack, with the bot's clock, lease and metrics."""
    return DeliveryWorker(
        engine=deps.engine,
        sender=sender,
        clock=deps.clock,
        worker_id=deps.worker_id,
        metrics=deps.metrics,
        lease=timedelta(seconds=deps.settings.outbox_lease_seconds),
        activity=deps.activity,
    )


def build_notifier(deps: Deps) -> Notifier:
    return Notifier(
        engine=deps.engine,
        client=make_web_client(deps.settings, metrics=deps.metrics, retries=False),
        clock=deps.clock,
        worker_id=deps.worker_id,
        channel_rate=deps.settings.slack_channel_rate,
        metrics=deps.metrics,
        lease=timedelta(seconds=deps.settings.outbox_lease_seconds),
        activity=deps.activity,
        quiet_hours=quiet_hours_of(deps.settings),
    )


class Bot:
    """One running bot process. `http`: serve HTTP (Slack requests at /slack/events, /healthz, /metrics);
    `slack`: take Slack requests at all (False for the job runner: its HTTP serves /healthz and /metrics
    only, and it opens no Socket Mode connection); `scheduler`: run the jobs; the outbox sender always runs.
    `port` overrides PORT (0 picks a free port: see `.port`)."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock = system_clock,
        http: bool = True,
        slack: bool = True,
        scheduler: bool = True,
        port: int | None = None,
        sender_poll: float = 1.0,
        migrate: bool = True,
        senders: Sequence[Sender] = (),
        hooks: Mapping[str, HookSource] | None = None,
        plugs: Sequence[Integration] | None = None,
    ):
        """The integrations come from the settings (`bot.integrations`; `plugs` replaces that list).
        `senders` and `hooks` add to what they give: the destinations other than Slack (each gets its own
        worker thread, so one that is down never holds up another) and the signed inbound web hooks served at
        /hooks/<source>."""
        self.settings = settings
        self.deps = build_deps(settings, clock)
        if migrate:
            upgrade(self.deps.engine)
        self.wiring = wire(self.deps, plugs)
        self.deps.subscribers = self.wiring.subscribers
        all_hooks = {**self.wiring.hooks, **(hooks or {})}
        self.app = create_app(self.deps)
        self.notifier = build_notifier(self.deps)
        self.workers: list[tuple[DeliveryWorker, threading.Event]] = [
            (self.notifier, self.deps.wake_sender),
            *((build_worker(self.deps, s), threading.Event()) for s in (*self.wiring.senders, *senders)),
        ]
        self.deps.wake_workers.extend(event for _, event in self.workers[1:])
        self._threads: list[threading.Thread] = []
        self.sender_poll = sender_poll
        self._stop = threading.Event()
        self._sender: threading.Thread | None = None
        self.http: HttpServer | None = None
        self.socket: Any = None
        self.scheduler: Any = None
        self.takes_slack = slack
        if http:
            self.http = HttpServer(
                make_wsgi_app(self.app, self.deps, slack=slack, hooks=all_hooks, pages=self.wiring.pages),
                settings.host,
                settings.port if port is None else port,
                threads=settings.http_threads,
                limits=http_limits(
                    settings, largest_hook_body=max((h.max_body for h in all_hooks.values()), default=0)
                ),
            )
        if scheduler:
            from bot.jobs.scheduler import build_scheduler

            self.scheduler = build_scheduler(self.deps)

    @property
    def port(self) -> int:
        assert self.http is not None
        return self.http.port

    def start(self) -> None:
        for worker, wake in self.workers:
            thread = threading.Thread(
                target=worker.run_forever,
                args=(self._stop, wake),
                kwargs={"poll": self.sender_poll},
                name="outbox-sender" if worker is self.notifier else f"deliveries-{worker.destination}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)
        self._sender = self._threads[0]
        if self.http is not None:
            self.http.start()
        if self.takes_slack and self.settings.uses_socket_mode:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            assert self.settings.slack_app_token is not None
            self.socket = SocketModeHandler(self.app, self.settings.slack_app_token.get_secret_value())
            self.socket.connect()
            log.info("connected to Slack in Socket Mode")
        if self.scheduler is not None:
            self.scheduler.start()
            log.info("scheduler started with jobs: %s", ", ".join(j.id for j in self.scheduler.get_jobs()))

    def stop(self) -> None:
        """Stop taking requests, let in-flight ones finish, stop the scheduler, then the sender."""
        if self.socket is not None:
            self.socket.close()
        if self.http is not None:
            self.http.stop()
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        self._stop.set()
        for _, wake in self.workers:
            wake.set()
        for thread in self._threads:
            thread.join(timeout=15)
        self.deps.engine.dispose()
        log.info("stopped cleanly")

    def serve_forever(self) -> None:
        """Run until SIGTERM or SIGINT, then stop cleanly. This is the process's main loop (`remediate run`
        and `remediate scheduler`): once a signal came, the process ends within STOP_LIMIT seconds."""
        done = threading.Event()

        def _on_signal(signum: int, _frame: Any) -> None:
            log.info("received %s; shutting down", signal.Signals(signum).name)
            done.set()

        signal.signal(signal.SIGTERM, _on_signal)
        signal.signal(signal.SIGINT, _on_signal)
        self.start()
        while not done.wait(SIGNAL_POLL):
            pass
        faulthandler.dump_traceback_later(STOP_LIMIT, exit=True)  # stays armed until the interpreter exits
        self.stop()
