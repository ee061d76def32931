"""The app behind the front door, driven the way an attacker or a bad day would (issue 12): response URLs
that are not Slack's, junk that would grow /metrics, a Slack slow to open forms, a database that stops
taking writes. Everything goes through the real server with signed requests against the fake Slack."""

from __future__ import annotations

import json
import logging
import re
import secrets
import sqlite3
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_sdk.errors import SlackApiError
from sqlalchemy import event
from sqlalchemy.exc import InternalError, OperationalError

from bot.deps import ACK_BUDGET, AnswerWindow, answering
from bot.slack.ids import Action, Shortcut, View
from bot.slack.response_urls import slack_response_url
from storage.db import is_write_refusal
from tests.fakes.signing import SlackDriver
from tests.fakes.slack_api import FakeSlack
from tests.slack.item_steps import button, run
from tests.support import BotHarness, libpq_url, serving_fake_slack


class SlackJudgingTriggersOnArrival(FakeSlack):
    """Slack checks a trigger id when the call arrives, however long it then takes to answer; the fake's
    injected delay comes before its own check, so here the check is made as of the call's arrival."""

    def __init__(self, **kwargs: Any):
        self._arrival = threading.local()
        super().__init__(clock=self._now, **kwargs)

    def _now(self) -> float:
        return getattr(self._arrival, "at", None) or time.monotonic()

    def _api(self, method: str, query: str, headers: Any, body: bytes) -> Any:
        self._arrival.at = time.monotonic()
        try:
            return super()._api(method, query, headers, body)
        finally:
            self._arrival.at = None


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    with serving_fake_slack(SlackJudgingTriggersOnArrival) as fake:
        yield fake


def _metrics(bot: BotHarness) -> str:
    with urllib.request.urlopen(bot.url + "/metrics") as resp:
        return resp.read().decode()


def _healthz(bot: BotHarness) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(bot.url + "/healthz") as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


# ---- response URLs -------------------------------------------------------------------------------------


def test_only_slack_response_urls_are_accepted():
    api = "https://slack.com/api/"
    for good in (
        "https://hooks.slack.com/commands/T0001/1234/abcd",
        "https://hooks.slack.com/actions/T0001/1234/abcd",
        "https://HOOKS.slack.com:443/actions/T0001/1/x",
    ):
        assert slack_response_url(good, api_url=api) == good
    for bad in (
        "http://hooks.slack.com/actions/T0001/1/x",  # not TLS
        "https://hooks.slack.com.evil.example/actions/x",
        "https://evil.example/?https://hooks.slack.com/",
        "https://user@hooks.slack.com/actions/x",
        "https://hooks.slack.com:8443/actions/x",
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:9/response/x",
        "file:///etc/passwd",
        "https://hooks.slack.com:abc/x",
        "",
        None,
        ["https://hooks.slack.com/actions/x"],
    ):
        assert slack_response_url(bad, api_url=api) is None, bad
    # Tests and self-hosted stand-ins: the scheme, host and port of SLACK_API_URL serve them.
    fake = "http://127.0.0.1:8123/api/"
    assert slack_response_url("http://127.0.0.1:8123/response/T/1/x", api_url=fake)
    assert slack_response_url("http://127.0.0.1:8124/response/T/1/x", api_url=fake) is None
    assert slack_response_url("https://127.0.0.1:8123/response/T/1/x", api_url=fake) is None


class _Recorder:
    """An HTTP server on loopback standing for an address inside the bot's network."""

    def __init__(self) -> None:
        hits: list[str] = []
        self.hits = hits

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                hits.append(self.path)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def inside() -> Iterator[_Recorder]:
    recorder = _Recorder()
    try:
        yield recorder
    finally:
        recorder.close()


def _press(slack: SlackDriver, action_id: str, value: str, *, response_url: str, block_id: str = "b") -> Any:
    """A signed press of a button in an ephemeral message, naming `response_url`."""
    payload = {
        "type": "block_actions",
        **slack._common("UALICE"),
        "container": {
            "type": "message",
            "message_ts": "1.000001",
            "channel_id": "CGENERAL",
            "is_ephemeral": True,
        },
        "channel": slack._channel("CGENERAL"),
        "response_url": response_url,
        "trigger_id": slack._trigger("UALICE"),
        "actions": [{"action_id": action_id, "block_id": block_id, "type": "button", "value": value}],
    }
    return slack._post_payload(payload)


def test_forged_response_urls_are_never_posted_to(bot, slack, fake_slack, inside, caplog):
    """A signed command, a button whose form cannot open (the error handler's private note), a refused
    incident button (`respond()`) and a card redrawn in place, each naming an address inside the bot's
    network: nothing reaches it, and each still does what it should."""
    caplog.set_level(logging.INFO)
    target = inside.url + "/internal/hook"

    reply = slack.command("/remediate", "help", response_url=target)
    assert reply.status == 200 and "/remediate" in reply.json()["text"]

    item_id = run(slack, 'track new "Forged URLs" --priority P1')["text"].split("*")[1]
    card = run(slack, f"show {item_id}")["blocks"]
    fake_slack.fail("views.open", status=500)
    block_id, element = button(card, Action.ITEM_NOTE.value)
    assert (
        _press(slack, Action.ITEM_NOTE.value, element["value"], response_url=target, block_id=block_id).status
        == 200
    )

    reply = _press(slack, Action.INCIDENT_ACK.value, "INC-20990101-001", response_url=target)
    assert reply.status == 200

    block_id, element = button(card, Action.ITEM_START.value)
    assert (
        _press(
            slack, Action.ITEM_START.value, element["value"], response_url=target, block_id=block_id
        ).status
        == 200
    )
    fake_slack.wait_for(lambda: "In Progress" in json.dumps(run(slack, f"show {item_id}")), message="started")

    time.sleep(0.3)  # anything sent after the answer has had time to arrive
    assert inside.hits == [], inside.hits
    assert not fake_slack.responses, "no answer went to Slack's URLs either: the payloads named none"
    assert sum("not Slack's" in r.getMessage() for r in caplog.records) >= 3


# ---- metric labels ------------------------------------------------------------------------------------


def _series(text: str) -> list[str]:
    """The sample lines of /metrics without their values: which series exist."""
    return sorted(line.rsplit(" ", 1)[0] for line in text.splitlines() if line and not line.startswith("#"))


def _junk(slack: SlackDriver, i: int) -> None:
    """One request of five kinds in turn, each with values never seen before."""
    tag = f"{i}{secrets.token_hex(3)}"
    shape = i % 10
    if shape == 0:  # unsigned: a made-up command
        body = urlencode({"command": f"/x{tag}", "text": "help", "user_id": "UALICE"}).encode()
        slack.post_raw(body, content_type="application/x-www-form-urlencoded", signature="v0=" + "0" * 64)
    elif shape == 1:  # unsigned: an interactive payload with a made-up action id
        payload = {
            "type": "block_actions",
            "actions": [{"action_id": f"a{tag}"}],
            "response_url": "http://x/",
        }
        body = urlencode({"payload": json.dumps(payload)}).encode()
        slack.post_raw(body, content_type="application/x-www-form-urlencoded", signature="v0=bad")
    elif shape == 2:  # signed: a command no one registered
        slack.command(f"/x{tag}", "help")
    elif shape == 3:  # signed: an action id no listener knows
        slack.block_action(f"a{tag}", value="x", message={"ts": "1.000001", "text": "", "blocks": []})
    elif shape == 4:  # signed: a keyed action id of a real listener, with a new key each time
        slack.block_action(
            f"{Action.ALERT_ACK.value}:{tag}", value="0", message={"ts": "1.000001", "text": "", "blocks": []}
        )
    elif shape == 5:  # signed: a modal no one opened
        slack.view_submission(f"v{tag}", {})
    elif shape == 6:  # signed: a shortcut no one registered
        slack.shortcut(f"s{tag}", type="shortcut")
    elif shape == 7:  # signed: an event type no one subscribed to
        slack.event({"type": f"e{tag}", "user": "UALICE"})
    elif shape == 8:  # signed: a payload type Slack does not send
        slack._post_payload({"type": f"t{tag}", **slack._common("UALICE")})
    else:  # signed: a real command, a made-up sub-command
        slack.command("/remediate", f"sub{tag}")


def test_junk_requests_leave_metrics_the_same_size(bot, slack, fake_slack):
    for i in range(10):  # warm-up: one of each shape, so each series it may touch exists
        _junk(slack, i)
    for i in range(20):  # and Slack calls to methods no one knows
        with pytest.raises(SlackApiError):
            bot.deps.client.api_call(f"junk.method{i}")
    before = _metrics(bot)

    started = time.perf_counter()
    for i in range(5_000):
        _junk(slack, i)
    for _ in range(500):
        with pytest.raises(SlackApiError):
            bot.deps.client.api_call(f"junk.method{secrets.token_hex(4)}")
    took = time.perf_counter() - started
    after = _metrics(bot)

    assert _series(after) == _series(before), sorted(set(_series(after)) - set(_series(before)))[:10]
    # Only counters' digits may grow (1.0 -> 501.0).
    assert len(after) - len(before) < 400, (len(before), len(after))
    print(f"/metrics {len(before)} B before, {len(after)} B after 5,000 junk requests ({took:.1f} s)")
    assert not re.search(r'(command|id|method)="(/x|a|v|s|e|t)[0-9]+[0-9a-f]{6}"', after)
    assert 'id="unknown"' in after and 'method="other"' in after


# ---- forms: answered first, opened when Slack gets round to it ---------------------------------------


def _timed(call: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    reply = call()
    return reply, time.perf_counter() - started


def _opened(fake: FakeSlack, callback_id: str) -> list[dict[str, Any]]:
    return [v for v in fake.views.values() if v.get("callback_id") == callback_id]


@pytest.mark.parametrize(
    ("how", "callback"),
    [
        (lambda slack: slack.command("/remediate", "track"), View.ITEM_CREATE.value),
        (lambda slack: slack.command("/incident", ""), View.INCIDENT_DECLARE.value),
        (
            lambda slack: slack.block_action(
                Action.ITEM_NEW.value, value="new", message={"ts": "1.000001", "text": "", "blocks": []}
            ),
            View.ITEM_CREATE.value,
        ),
    ],
    ids=["command", "command-default", "button"],
)
def test_a_form_is_answered_in_time_when_slack_is_slow_to_open_it(bot, slack, fake_slack, how, callback):
    fake_slack.fail("views.open", delay=4.0)
    reply, took = _timed(lambda: how(slack))
    assert reply.status == 200, reply.text
    assert took < 3.0, f"answered after {took:.2f} s"
    assert "Slack did not answer" not in reply.text
    view = fake_slack.wait_for(lambda: _opened(fake_slack, callback), timeout=8, message="the form to open")
    assert view
    # The fake records a call once it has answered, just after the view exists.
    fake_slack.wait_for(lambda: fake_slack.ok_calls("views.open"), message="views.open answered")
    assert len(fake_slack.calls_to("views.open")) == 1, "opened once, not retried"
    print(f"{callback}: answered in {took:.2f} s with views.open taking 4 s")


def test_a_form_that_fails_after_the_answer_says_so_privately(bot, slack, fake_slack):
    fake_slack.fail("views.open", delay=3.0, error="internal_error")
    reply, took = _timed(lambda: slack.command("/remediate", "track"))
    assert reply.status == 200 and took < 3.0, (reply.text, took)
    told = fake_slack.wait_for(lambda: fake_slack.responses, timeout=8, message="a private note")
    assert told[-1]["response_type"] == "ephemeral"
    assert "form did not open" in told[-1]["text"] and "internal_error" in told[-1]["text"]


def test_calls_made_while_a_request_waits_fit_inside_slacks_3_seconds(bot, slack, fake_slack):
    """The message shortcut fetches a permalink, then opens the form: with chat.getPermalink answering in
    4 s, the permalink is given up on in time, the form still opens (without the link) and the answer is
    in time. Background calls keep the long timeout."""
    fake_slack.fail("chat.getPermalink", delay=4.0)
    reply, took = _timed(lambda: slack.shortcut(Shortcut.TRACK_MESSAGE.value, message="Disk filled up"))
    assert reply.status == 200 and took < 3.0, (reply.text, took)
    fake_slack.wait_for(lambda: _opened(fake_slack, View.ITEM_CREATE.value), timeout=8, message="the form")
    assert bot.deps.client.timeout == 10
    with answering(AnswerWindow()):
        assert bot.deps.client.timeout <= ACK_BUDGET
    print(f"shortcut answered in {took:.2f} s with chat.getPermalink taking 4 s")


# ---- a database that does not take writes --------------------------------------------------------------


@contextmanager
def writes_refused(bot: BotHarness, backend: str, database_url: str) -> Iterator[None]:
    """Make the bot's database refuse writes, for real, then take it back.

    SQLite: a page quota on every connection of the bot (``PRAGMA max_page_count``, which is per connection)
    once the file's free pages are used up: SQLite answers "database or disk is full", as on a full disk.
    PostgreSQL: the database turned read-only (as after a fail-over to a replica) and the bot's sessions
    ended, so the ones it opens again are read-only: SQLSTATE 25006."""
    engine = bot.deps.engine
    if backend == "sqlite":
        quota = {"pages": 1}  # clamped by SQLite to the file's current size: no growth

        def on_checkout(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
            dbapi_conn.execute(f"PRAGMA max_page_count = {quota['pages']}")

        event.listen(engine, "checkout", on_checkout)
        path = database_url.removeprefix("sqlite:///")
        filler = sqlite3.connect(path, timeout=30, isolation_level=None)
        filler.execute("PRAGMA max_page_count = 1")
        try:
            filler.execute("CREATE TABLE IF NOT EXISTS disk_filler (pad BLOB)")
            while True:
                filler.execute("INSERT INTO disk_filler VALUES (randomblob(512))")
        except sqlite3.OperationalError as exc:
            assert "full" in str(exc), exc
        try:
            yield
        finally:
            quota["pages"] = 1 << 30
            filler.execute("PRAGMA max_page_count = 1073741823")
            filler.execute("DROP TABLE IF EXISTS disk_filler")
            filler.close()
            event.remove(engine, "checkout", on_checkout)
        return
    import psycopg

    name = engine.url.database

    def set_read_only(on: bool) -> None:
        with psycopg.connect(libpq_url(database_url), autocommit=True) as admin:
            admin.execute("SET default_transaction_read_only = off")  # this session, whatever the database
            verb = "SET default_transaction_read_only = on" if on else "RESET default_transaction_read_only"
            admin.execute(f'ALTER DATABASE "{name}" {verb}')
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )

    set_read_only(True)
    try:
        yield
    finally:
        set_read_only(False)


def _of_requests(record: logging.LogRecord) -> bool:
    return (
        record.name.startswith(("bot.slack", "slack_bolt", "bot.services"))
        and record.name != "bot.slack.notifier"
    )


@pytest.mark.both_backends
def test_a_database_that_refuses_writes_says_so_and_recovers(bot, slack, backend, database_url, caplog):
    run(slack, 'track new "Before the disk filled" --priority P1')
    assert _healthz(bot) == (200, b"ok\n")
    caplog.set_level(logging.INFO)

    with writes_refused(bot, backend, database_url):
        caplog.clear()
        # A description longer than a page: SQLite needs new pages for it, whatever space the file has left.
        long = "The log volume filled up while the rotation job was stuck. " * 100
        data = run(slack, f'track new "While the disk is full" --priority P1 --description "{long}"')
        assert "could not save: the database is not accepting writes" in data["text"], data["text"]
        assert "Something went wrong" not in data["text"]
        # The request's own log lines (the outbox sender, in the background, reports its own failures).
        app_lines = [r for r in caplog.records if _of_requests(r) and r.levelno >= logging.WARNING]
        assert len(app_lines) == 1, [r.getMessage() for r in app_lines]
        assert app_lines[0].levelno == logging.WARNING and app_lines[0].exc_info is None
        assert "not accepting writes" in app_lines[0].getMessage()
        assert "\n" not in app_lines[0].getMessage()
        assert _healthz(bot) == (503, b"database not accepting writes\n")
        # Still refusing: still unhealthy, however often it is asked.
        assert _healthz(bot)[0] == 503

    # Space again: the next write goes through, and health follows, without a restart.
    deadline = time.monotonic() + 10
    while True:
        data = run(slack, 'track new "After the disk was freed" --priority P1')
        if "Created" in data["text"] or time.monotonic() > deadline:
            break
        time.sleep(0.2)  # PostgreSQL: the pool notices its ended sessions
    assert "Created" in data["text"], data["text"]
    assert _healthz(bot) == (200, b"ok\n")


def test_write_refusals_are_told_apart_from_other_errors():
    def wrapped(orig: BaseException, kind: type = OperationalError) -> BaseException:
        return kind("INSERT ...", {}, orig)

    assert is_write_refusal(wrapped(sqlite3.OperationalError("database or disk is full")))
    assert is_write_refusal(wrapped(sqlite3.OperationalError("attempt to write a readonly database")))
    assert is_write_refusal(wrapped(sqlite3.OperationalError("disk I/O error")))
    assert not is_write_refusal(wrapped(sqlite3.OperationalError("no such table: items")))
    assert not is_write_refusal(wrapped(sqlite3.OperationalError("database is locked")))
    assert not is_write_refusal(ValueError("database or disk is full"))  # not from the database

    class PgError(Exception):
        def __init__(self, sqlstate: str):
            super().__init__("error")
            self.sqlstate = sqlstate

    assert is_write_refusal(wrapped(PgError("53100")))
    assert is_write_refusal(wrapped(PgError("25006"), InternalError))
    assert not is_write_refusal(wrapped(PgError("23505")))  # a unique violation is a bug or a race
    try:
        try:
            raise wrapped(sqlite3.OperationalError("database or disk is full"))
        except OperationalError as exc:
            raise RuntimeError("while saving") from exc
    except RuntimeError as outer:
        assert is_write_refusal(outer)
