"""Running it: metrics after traffic, JSON logs with a request id through to Slack, repeated deliveries,
foreign workspaces, graceful shutdown, configuration errors and Socket Mode."""

from __future__ import annotations

import os
import re
import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from slack_sdk import WebClient

from bot.jobs.registry import JobResult, JobSpec
from bot.jobs.scheduler import run_job
from bot.logs import new_request_id, request_id
from bot.runtime import Bot
from bot.services import outbox
from bot.slack.notifier import Notifier
from storage.db import make_engine, unit_of_work
from storage.migrate import upgrade
from tests.fakes.signing import SlackDriver
from tests.fakes.slack_api import FakeSlack
from tests.fakes.socket_mode import SocketModeStandIn
from tests.processes import BotProcess, bot_env, free_port
from tests.support import INCIDENT_CHANNEL, SIGNING_SECRET, BotHarness, FakeClock, make_settings, snapshot

# ---- metrics ------------------------------------------------------------------------------------------


def _samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return out


def _value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def probe_job(deps: Any, now: Any) -> JobResult:
    return JobResult(summary=f"probed at {now.isoformat()}")


def failing_job(deps: Any, now: Any) -> JobResult:
    raise RuntimeError("the job broke")


def _home_opened(user: str = "UALICE") -> dict[str, Any]:
    return {"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home"}


def test_metrics_cover_every_family_after_some_traffic(
    bot: BotHarness, slack: SlackDriver, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    slack.command("/remediate", "help")
    slack.command("/remediate", "frobnicate")  # refused: not a command
    slack.event(_home_opened(), event_id="EvOnce")
    slack.event(_home_opened(), event_id="EvOnce", retry_num=1)  # Slack's retry: dropped
    fake_slack.fail("views.publish", error="internal_error")
    slack.event(_home_opened(), event_id="EvFails")
    slack.block_action("no_such_action", value="x")

    with bot.uow() as session:
        outbox.post_message(
            session,
            now=clock(),
            channel=INCIDENT_CHANNEL,
            text="later",
            not_before=clock() + timedelta(days=1),
        )
        outbox.post_message(session, now=clock(), channel=INCIDENT_CHANNEL, text="now")
    fake_slack.wait_for(lambda: fake_slack.posts(INCIDENT_CHANNEL), message="the due message to be sent")
    # Slack has it; wait until the sender has also marked it sent, so only "later" is left pending.
    fake_slack.wait_for(lambda: bot.deps.outbox_depth()[0] == 1, message="the sent message to be marked sent")
    clock.advance(minutes=5)

    run_job(bot.deps, JobSpec("probe", f"{__name__}:probe_job", "test job", lambda s: None))  # type: ignore[arg-type, return-value]
    with pytest.raises(RuntimeError):
        run_job(bot.deps, JobSpec("broken", f"{__name__}:failing_job", "test job", lambda s: None))  # type: ignore[arg-type, return-value]
    bot.deps.metrics.escalations.labels(kind="overdue", level="2").inc()  # fired by the escalation services

    with urllib.request.urlopen(bot.url + "/metrics") as resp:
        text = resp.read().decode()
    s = _samples(text)
    assert _value(s, "remediate_commands_total", command="/remediate", subcommand="help", outcome="ok") == 1
    assert (
        _value(s, "remediate_commands_total", command="/remediate", subcommand="help", outcome="refused") == 1
    )
    assert _value(s, "remediate_actions_total", kind="event", id="app_home_opened", outcome="ok") == 1
    assert _value(s, "remediate_actions_total", kind="event", id="app_home_opened", outcome="duplicate") == 1
    assert _value(s, "remediate_actions_total", kind="event", id="app_home_opened", outcome="error") == 1
    assert _value(s, "remediate_actions_total", kind="block_action", id="unknown", outcome="unhandled") == 1
    assert _value(s, "remediate_slack_api_calls_total", method="views.publish") == 2
    assert _value(s, "remediate_slack_api_calls_total", method="chat.postMessage") >= 1
    assert _value(s, "remediate_slack_api_errors_total", method="views.publish", error="internal_error") == 1
    assert _value(s, "remediate_outbox_depth") == 1
    assert _value(s, "remediate_outbox_oldest_age_seconds") == 300
    assert _value(s, "remediate_outbox_deliveries_total", outcome="sent") >= 1
    assert _value(s, "remediate_job_runs_total", job="probe", outcome="ok") == 1
    assert _value(s, "remediate_job_runs_total", job="broken", outcome="error") == 1
    assert _value(s, "remediate_job_duration_seconds_count", job="probe") == 1
    assert _value(s, "remediate_escalations_fired_total", kind="overdue", level="2") == 1
    assert "# TYPE remediate_job_duration_seconds histogram" in text


def test_an_action_its_listener_counts_is_counted_once(
    bot: BotHarness, slack: SlackDriver, fake_slack: FakeSlack
) -> None:
    from bot.slack.ids import Action
    from tests.slack.incident_steps import declare, press, wait_card

    inc = declare(slack, fake_slack, bot, user="UBOB", commander="UBOB")
    press(slack, Action.INCIDENT_ACK, wait_card(fake_slack, inc.id), user="UBOB")
    with urllib.request.urlopen(bot.url + "/metrics") as resp:
        s = _samples(resp.read().decode())
    presses = {
        dict(labels)["outcome"]: value
        for (name, labels), value in s.items()
        if name == "remediate_actions_total" and dict(labels)["id"] == Action.INCIDENT_ACK.value
    }
    assert sum(presses.values()) == 1, presses


# ---- request ids --------------------------------------------------------------------------------------


class _SeesRequestId(WebClient):
    """Records the request id current while each Slack call is made."""

    def __init__(self, fake: FakeSlack):
        super().__init__(base_url=fake.url, token=fake.token)
        self.seen: list[tuple[str, str]] = []

    def api_call(self, api_method: str, *args: Any, **kwargs: Any) -> Any:
        self.seen.append((api_method, request_id.get()))
        return super().api_call(api_method, *args, **kwargs)


def test_a_queued_message_is_sent_under_the_id_of_the_request_that_queued_it(
    database_url: str, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    client = _SeesRequestId(fake_slack)
    notifier = Notifier(engine=engine, client=client, clock=clock, worker_id="sender", channel_rate=1000)

    def queue(text: str) -> str:
        rid = new_request_id()  # what the WSGI app does for each request
        with unit_of_work(engine) as session:
            outbox.post_message(session, now=clock(), channel=INCIDENT_CHANNEL, text=text)
        return rid

    first, second = queue("one"), queue("two")
    token = request_id.set("-")  # the sender thread has no request of its own
    try:
        notifier.drain()
    finally:
        request_id.reset(token)
        engine.dispose()
    assert client.seen == [("chat.postMessage", first), ("chat.postMessage", second)]
    assert [sorted(p) for p in fake_slack.posts()] == [sorted(fake_slack.posts()[0])] * 2
    assert all("_request_id" not in p for p in fake_slack.posts())  # never sent to Slack


@pytest.mark.slow
def test_json_logs_carry_one_request_id_from_the_request_to_its_slack_calls(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    port = free_port()
    env = bot_env(f"sqlite:///{tmp_path / 'bot.db'}", fake_slack.url, log_level="DEBUG")
    proc = BotProcess(["run", "--no-scheduler"], env, tmp_path, "bot", port=port).start()
    try:
        proc.wait_ready()
        driver = SlackDriver(proc.url, SIGNING_SECRET, fake=fake_slack)
        help_reply = driver.command("/remediate", "help")
        home_reply = driver.event(_home_opened())
        track_reply = driver.command(
            "/remediate", 'track new "Add a health alert" --priority P2 --owner <@UBOB|bob>'
        )
        assert help_reply.status == home_reply.status == track_reply.status == 200
        help_id, home_id = help_reply.header("X-Request-Id"), home_reply.header("X-Request-Id")
        track_id = track_reply.header("X-Request-Id")
        assert help_id and home_id and track_id and len({help_id, home_id, track_id}) == 3
        fake_slack.wait_for(lambda: fake_slack.home("UALICE"))
        fake_slack.wait_for(lambda: fake_slack.posts(), message="the new item's messages to be sent")
        fake_slack.wait_for(
            lambda: any(re.match(r"outbox \d+: chat.postMessage sent", r["msg"]) for r in proc.log_records()),
            message="the sender to log what it sent",
        )
    finally:
        assert proc.terminate() == 0
    records = proc.log_records()  # fails on any line that is not JSON
    assert all({"ts", "level", "logger", "msg", "request_id"} <= set(r) for r in records)
    by_id: dict[str, list[str]] = {}
    for r in records:
        by_id.setdefault(r["request_id"], []).append(r["msg"])
    assert any(m.startswith("slack command /remediate -> 200 (ok)") for m in by_id[help_id]), by_id[help_id]
    assert any(m.startswith("slack event app_home_opened -> 200 (ok)") for m in by_id[home_id])
    assert any(m.startswith("slack views.publish ok") for m in by_id[home_id]), by_id[home_id]
    # A message the command queued is sent later, by the sender thread, under the command's request id.
    assert any(m.startswith("slack chat.postMessage ok") for m in by_id[track_id]), by_id[track_id]
    assert any(re.match(r"outbox \d+: chat.postMessage sent", m) for m in by_id[track_id]), by_id[track_id]


# ---- repeated deliveries and foreign workspaces -------------------------------------------------------


@pytest.mark.both_backends
def test_events_api_retries_are_acted_on_once(
    bot: BotHarness, slack: SlackDriver, fake_slack: FakeSlack
) -> None:
    replies = [slack.event(_home_opened(), event_id="EvRetried", retry_num=n) for n in (None, 1, 2, 3)]
    assert [r.status for r in replies] == [200, 200, 200, 200]
    fake_slack.wait_for(lambda: fake_slack.home("UALICE"))
    assert len(fake_slack.calls_to("views.publish")) == 1
    slack.event(_home_opened(), event_id="EvAnother")
    assert len(fake_slack.calls_to("views.publish")) == 2


@pytest.mark.parametrize("settings_overrides", [{"slack_team_id": "T0001"}])
def test_requests_from_another_workspace_are_refused_and_change_nothing(
    bot: BotHarness, slack: SlackDriver, fake_slack: FakeSlack
) -> None:
    before = snapshot(bot.deps.engine)
    stranger = SlackDriver(bot.url, SIGNING_SECRET, fake=fake_slack, team_id="TEVIL")
    reply = stranger.command("/remediate", "help")
    assert reply.status == 200
    assert reply.json()["response_type"] == "ephemeral"
    assert "another workspace" in reply.json()["text"]
    assert stranger.event(_home_opened(), event_id="EvForeign").status == 200
    assert stranger.block_action("no_such_action", value="x").status == 200
    assert fake_slack.calls_to("views.publish") == []
    assert snapshot(bot.deps.engine) == before  # not even a de-duplication claim
    assert "commands:" in slack.command("/remediate", "help").json()["text"]  # the home workspace is served


# ---- process lifecycle --------------------------------------------------------------------------------


@pytest.mark.slow
def test_sigterm_lets_the_in_flight_request_finish_then_exits_0(
    tmp_path: Path, fake_slack: FakeSlack, postgres_url: str
) -> None:
    import psycopg

    proc = BotProcess(
        ["run"], bot_env(postgres_url, fake_slack.url), tmp_path, "bot", port=free_port()
    ).start()
    try:
        proc.wait_ready()
        driver = SlackDriver(proc.url, SIGNING_SECRET, fake=fake_slack)
        replies: list[Any] = []
        with psycopg.connect(postgres_url.replace("+psycopg", ""), autocommit=False) as blocker:
            # Hold the claim table so the request stops half-way (in its de-duplication claim).
            blocker.execute("LOCK TABLE claim IN ACCESS EXCLUSIVE MODE")
            sender = threading.Thread(target=lambda: replies.append(driver.event(_home_opened())))
            sender.start()
            with psycopg.connect(postgres_url.replace("+psycopg", ""), autocommit=True) as watcher:
                fake_slack.wait_for(
                    lambda: watcher.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND wait_event_type = 'Lock'"
                    ).fetchone()[0],
                    timeout=10,
                    message="the request to wait on the lock",
                )
            proc.proc.send_signal(15)  # type: ignore[union-attr]
            time.sleep(0.5)
            assert proc.proc.poll() is None, "exited with a request in flight"  # type: ignore[union-attr]
            blocker.rollback()  # the request goes on
        sender.join(timeout=30)
        assert [r.status for r in replies] == [200]
        assert proc.wait(timeout=60) == 0, proc.stderr()[-4000:]
    finally:
        proc.stop_quietly()
    fake_slack.wait_for(lambda: fake_slack.home("UALICE"), timeout=1)
    messages = [r["msg"] for r in proc.log_records()]
    assert any("SIGTERM" in m for m in messages)
    assert messages[-1] == "stopped cleanly"


# tgkill(2): a signal to one thread of another process (Python's pthread_kill only reaches its own threads).
_TGKILL = {"x86_64": 234, "aarch64": 131}.get(os.uname().machine)


@pytest.mark.slow
@pytest.mark.skipif(
    _TGKILL is None or not Path("/proc/self/task").is_dir(), reason="needs Linux tgkill and /proc"
)
def test_sigterm_delivered_to_any_thread_stops_the_bot(tmp_path: Path, fake_slack: FakeSlack) -> None:
    """The kernel hands a process's SIGTERM to any one of its threads; Python runs the handler only when
    the main thread runs Python code. A main thread asleep in a wait without a timeout slept through it."""
    import ctypes

    env = bot_env(f"sqlite:///{tmp_path / 'bot.db'}", fake_slack.url)
    proc = BotProcess(["run"], env, tmp_path, "bot", port=free_port()).start()
    try:
        proc.wait_ready()
        tasks = Path(f"/proc/{proc.pid}/task").iterdir()
        others = sorted(tid for tid in (int(t.name) for t in tasks) if tid != proc.pid)
        assert others, "the bot runs its HTTP server, sender and scheduler in threads of their own"
        syscall = ctypes.CDLL(None, use_errno=True).syscall
        # The oldest threads live longest (the sender, the HTTP server); a short-lived one may be gone.
        assert any(syscall(_TGKILL, proc.pid, tid, 15) == 0 for tid in others), "no thread took the signal"
        assert proc.wait(timeout=30) == 0, proc.stderr()[-4000:]
    finally:
        proc.stop_quietly()
    messages = [r["msg"] for r in proc.log_records()]
    assert "received SIGTERM; shutting down" in messages
    assert messages[-1] == "stopped cleanly"


@pytest.mark.slow
def test_the_scheduler_role_runs_the_jobs_and_takes_no_slack_requests(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    port = free_port()
    env = bot_env(f"sqlite:///{tmp_path / 'bot.db'}", fake_slack.url, port=port)
    proc = BotProcess(["scheduler"], env, tmp_path, "scheduler", port=port).start()
    try:
        proc.wait_ready()

        def ran(job: str) -> bool:
            return any(r["msg"].startswith(f"job {job} at ") for r in proc.log_records())

        fake_slack.wait_for(
            lambda: ran("escalations") and ran("reminders"), timeout=30, message="the catch-up runs"
        )
        s = _samples(proc.metrics())
        assert _value(s, "remediate_job_runs_total", job="escalations", outcome="ok") == 1
        assert _value(s, "remediate_job_duration_seconds_count", job="reminders") == 1
        reply = SlackDriver(proc.url, SIGNING_SECRET, fake=fake_slack).command("/remediate", "help")
        assert reply.status == 404
    finally:
        code = proc.terminate()
    assert code == 0, proc.stderr()[-2000:]
    messages = [r["msg"] for r in proc.log_records()]
    assert any(m.startswith("scheduler started with jobs: ") for m in messages)


def test_missing_settings_exit_2_naming_each_variable(tmp_path: Path) -> None:
    env = bot_env("sqlite:///x.db", "http://127.0.0.1:9/api/")
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "INCIDENT_CHANNEL"):
        del env[name]
    proc = BotProcess(["run"], env, tmp_path, "bot").start()
    assert proc.wait(timeout=60) == 2
    err = proc.stderr()
    assert "Traceback" not in err
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "INCIDENT_CHANNEL"):
        assert f"{name}: is not set" in err, err
    assert "SLACK_API_URL" not in err and "DATABASE_URL" not in err  # only the bad ones are named


# ---- Socket Mode --------------------------------------------------------------------------------------


@pytest.fixture
def socket_bot(
    fake_slack: FakeSlack, clock: FakeClock, database_url: str
) -> Iterator[tuple[Bot, SocketModeStandIn]]:
    with SocketModeStandIn() as standin:
        fake_slack.socket_url = standin.url
        settings = make_settings(database_url, fake_slack.url, slack_app_token=fake_slack.app_token)
        bot = Bot(settings, clock=clock, http=False, scheduler=False, sender_poll=0.05)
        bot.start()
        try:
            standin.wait_connected(10)
            yield bot, standin
        finally:
            bot.stop()


def test_socket_mode_answers_remediate_help_through_an_envelope(
    socket_bot: tuple[Bot, SocketModeStandIn], fake_slack: FakeSlack
) -> None:
    _bot, standin = socket_bot
    ack = standin.send_envelope(
        "slash_commands",
        {
            "command": "/remediate",
            "text": "help",
            "user_id": "UALICE",
            "user_name": "alice",
            "channel_id": "CGENERAL",
            "team_id": "T0001",
            "api_app_id": "A0REMEDIATE",
            "trigger_id": fake_slack.new_trigger_id(user="UALICE"),
            "response_url": fake_slack.new_response_url(channel="CGENERAL", user="UALICE"),
        },
    )
    assert ack["payload"]["response_type"] == "ephemeral"
    assert "/remediate commands:" in ack["payload"]["text"]
    assert ack["payload"]["blocks"]


def test_socket_mode_events_are_acted_on_once_however_often_delivered(
    socket_bot: tuple[Bot, SocketModeStandIn], fake_slack: FakeSlack
) -> None:
    _bot, standin = socket_bot
    envelope = {
        "type": "event_callback",
        "team_id": "T0001",
        "api_app_id": "A0REMEDIATE",
        "event_id": "EvSocket1",
        "event_time": 1,
        "event": {**_home_opened(), "event_ts": "1.1"},
    }
    standin.send_envelope("events_api", envelope)
    standin.send_envelope("events_api", envelope, retry_attempt=1, retry_reason="timeout")
    fake_slack.wait_for(lambda: fake_slack.home("UALICE"))
    assert len(fake_slack.calls_to("views.publish")) == 1


def test_the_job_runner_opens_no_socket_mode_connection(
    fake_slack: FakeSlack, clock: FakeClock, database_url: str
) -> None:
    with SocketModeStandIn() as standin:
        fake_slack.socket_url = standin.url
        settings = make_settings(database_url, fake_slack.url, slack_app_token=fake_slack.app_token)
        bot = Bot(settings, clock=clock, http=False, slack=False, scheduler=False)
        bot.start()
        try:
            assert bot.socket is None
            assert fake_slack.calls_to("apps.connections.open") == []
            assert standin.connection_count == 0
        finally:
            bot.stop()
