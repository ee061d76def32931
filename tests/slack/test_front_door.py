"""The front door, driven over real sockets the way an attacker would: malformed timestamps, oversized
requests, malformed signed bodies, slow clients and a full connection table, against the real server and
app wired to the fake Slack."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import resource
import socket
import subprocess
import sys
import threading
import time
import tracemalloc
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt.request import BoltRequest

from bot.http import HttpServer, make_wsgi_app
from tests.fakes.signing import SlackDriver, sign_request
from tests.fakes.slack_api import FakeSlack
from tests.support import SIGNING_SECRET, BotHarness, FakeClock, snapshot

MARKER = "zz-attacker-marker"
FORM = "application/x-www-form-urlencoded"
MB = 1024 * 1024


def _host_port(bot: BotHarness) -> tuple[str, int]:
    return "127.0.0.1", bot.bot.port


def _raw(bot: BotHarness, data: bytes, *, timeout: float = 5.0) -> bytes:
    """Send `data` on a new connection and read until the server closes it."""
    with socket.create_connection(_host_port(bot), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        while chunk := s.recv(65536):
            out += chunk
        return out


def _status(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


def _interactive_body(fake: FakeSlack) -> bytes:
    payload = {
        "type": "block_actions",
        "user": {"id": "UALICE", "team_id": "T0001"},
        "team": {"id": "T0001"},
        "trigger_id": fake.new_trigger_id(user="UALICE"),
        "response_url": fake.new_response_url(channel="CGENERAL", user="UALICE"),
        "actions": [{"action_id": MARKER, "value": MARKER, "type": "button", "action_ts": "1"}],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def _command_body(fake: FakeSlack, command: str = "/remediate", text: str = "help") -> bytes:
    return urlencode(
        {
            "command": command,
            "text": text,
            "user_id": "UALICE",
            "user_name": "alice",
            "team_id": "T0001",
            "channel_id": "CGENERAL",
            "trigger_id": fake.new_trigger_id(user="UALICE"),
            "response_url": fake.new_response_url(channel="CGENERAL", user="UALICE"),
        }
    ).encode()


@pytest.fixture
def quiet_bot(bot: BotHarness, slack: SlackDriver, fake_slack: FakeSlack) -> BotHarness:
    """The bot after one signed request (its first auth.test is made), with nothing left to send."""
    assert slack.command("/remediate", "help").status == 200
    fake_slack.wait_for(lambda: fake_slack.calls_to("auth.test"), message="the bot to learn its identity")
    time.sleep(0.2)
    return bot


def _records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return list(caplog.records)


# ---- 1. timestamps and signatures --------------------------------------------------------------------


def _bad_timestamps(now: int) -> dict[str, str]:
    return {
        "empty": "",
        "letters": "abc",
        "exponent": "1e10",
        "fraction": f"{now}.5",
        "negative": f"-{now}",
        "plus sign": f"+{now}",
        "inner whitespace": f"{now // 10} {now % 10}",
        "underscores": f"{now:_}",
        "stale": str(now - 6 * 60),
        "future": str(now + 6 * 60),
    }


@pytest.mark.parametrize("body_kind", ["interactive", "command"])
def test_every_malformed_timestamp_gets_401_and_nothing_is_sent_anywhere(
    quiet_bot: BotHarness, slack: SlackDriver, fake_slack: FakeSlack, caplog: Any, body_kind: str
) -> None:
    before_db = snapshot(quiet_bot.deps.engine)
    before_calls = len(fake_slack.calls)
    caplog.set_level(logging.DEBUG)
    for name, ts in _bad_timestamps(int(time.time())).items():
        body = (
            _interactive_body(fake_slack) if body_kind == "interactive" else _command_body(fake_slack, MARKER)
        )
        caplog.clear()
        # Signed correctly with the secret: the timestamp alone is what is wrong.
        reply = slack.post_raw(
            body, content_type=FORM, timestamp=ts, signature=sign_request(SIGNING_SECRET, ts, body)
        )
        assert reply.status == 401, name
        assert len(reply.text) < 80 and MARKER not in reply.text, name
        lines = [r for r in _records(caplog) if r.levelno >= logging.INFO]
        assert [r.name for r in lines] == ["bot.http"], (name, [r.getMessage() for r in lines])
        assert not any(r.exc_info for r in _records(caplog)), name
        assert not any(MARKER in r.getMessage() for r in _records(caplog)), name
    # Digits int() takes but no HTTP client sends: Arabic-Indic ones, as raw UTF-8 bytes in the header.
    arabic = "".join(chr(0x0660 + int(d)) for d in str(int(time.time()))).encode()
    body = _interactive_body(fake_slack)
    mac = hmac.new(SIGNING_SECRET.encode(), b"v0:" + arabic + b":" + body, hashlib.sha256).hexdigest()
    head = (
        f"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: {FORM}\r\n"
        f"Content-Length: {len(body)}\r\nX-Slack-Signature: v0={mac}\r\nConnection: close\r\n"
    ).encode()
    answer = _raw(quiet_bot, head + b"X-Slack-Request-Timestamp: " + arabic + b"\r\n\r\n" + body)
    assert _status(answer) == 401
    time.sleep(0.3)  # anything the requests had set off would have reached the fake Slack by now
    assert len(fake_slack.calls) == before_calls, [c.method for c in fake_slack.calls[before_calls:]]
    assert fake_slack.responses == []  # no response_url was ever posted to
    assert snapshot(quiet_bot.deps.engine) == before_db
    with urllib.request.urlopen(quiet_bot.url + "/metrics") as resp:
        assert MARKER not in resp.read().decode()


def test_a_wrong_missing_or_malformed_signature_gets_401(
    quiet_bot: BotHarness, slack: SlackDriver, fake_slack: FakeSlack
) -> None:
    body = _interactive_body(fake_slack)
    ts = str(int(time.time()))
    good = sign_request(SIGNING_SECRET, ts, body)
    for signature in ("", "v0=", "v0=" + "0" * 64, good.upper(), good[:-1], good + "0", "v1=" + good[3:]):
        reply = slack.post_raw(body, content_type=FORM, timestamp=ts, signature=signature)
        assert reply.status == 401, signature
    assert slack.post_raw(body + b"&x=1", content_type=FORM, timestamp=ts, signature=good).status == 401
    assert fake_slack.responses == []


def test_the_window_is_five_minutes_either_side_of_the_injected_clock(
    bot: BotHarness, fake_slack: FakeSlack
) -> None:
    # Bolt checks the signature again on the wall clock, so the injected clock starts at the wall clock.
    clock = FakeClock(datetime.fromtimestamp(int(time.time()), UTC))
    at = int(clock().timestamp())
    server = HttpServer(make_wsgi_app(bot.bot.app, bot.deps, clock=clock), "127.0.0.1", 0, threads=2)
    server.start()
    try:
        driver = SlackDriver(f"http://127.0.0.1:{server.port}", SIGNING_SECRET, fake=fake_slack)
        statuses = {}
        for offset in (-302, -298, 0, 298, 302):
            reply = driver.post_raw(_command_body(fake_slack), content_type=FORM, timestamp=at + offset)
            statuses[offset] = reply.status
        assert statuses == {-302: 401, -298: 200, 0: 200, 298: 200, 302: 401}
        clock.advance(minutes=10)  # by the injected clock, a request stamped now is ten minutes old
        reply = driver.post_raw(_command_body(fake_slack), content_type=FORM, timestamp=at)
        assert (reply.status, reply.text) == (401, "timestamp outside the five-minute window\n")
        driver.close()
    finally:
        server.stop()


def test_bolts_own_refusal_logs_no_body_above_debug(bot: BotHarness, caplog: Any) -> None:
    """Bolt's verification (kept as a second check) logs a refused body at INFO; here it never does."""
    body = f"command=/remediate&text={MARKER}&user_id=UALICE&team_id=T0001&channel_id=C1"
    headers = {"x-slack-request-timestamp": str(int(time.time())), "x-slack-signature": "v0=" + "0" * 64}
    with caplog.at_level(logging.INFO):
        assert bot.bot.app.dispatch(BoltRequest(body=body, headers=headers)).status == 401
    assert any("Invalid request signature" in r.getMessage() for r in caplog.records)
    assert not any(MARKER in r.getMessage() for r in caplog.records)
    caplog.clear()
    logging.getLogger("slack_bolt").setLevel(logging.DEBUG)
    try:
        with caplog.at_level(logging.DEBUG):
            bot.bot.app.dispatch(BoltRequest(body=body, headers=headers))
    finally:
        logging.getLogger("slack_bolt").setLevel(logging.NOTSET)
    with_body = [r for r in caplog.records if MARKER in r.getMessage()]
    assert with_body and all(r.levelno == logging.DEBUG for r in with_body)


# ---- 3. size limits ----------------------------------------------------------------------------------


def _attack(bot: BotHarness, head: bytes, chunk: bytes, total: int) -> tuple[bytes, int]:
    """Send `head`, then `chunk` again and again up to `total` bytes while reading what the server says;
    (answer, peak bytes the process allocated over its baseline meanwhile)."""
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        s = socket.create_connection(_host_port(bot), timeout=10)
        answer = bytearray()
        reader_done = threading.Event()

        def reader() -> None:
            try:
                while chunk_in := s.recv(65536):
                    answer.extend(chunk_in)
            except OSError:
                pass
            reader_done.set()

        threading.Thread(target=reader, daemon=True).start()
        try:
            s.sendall(head)
            sent = 0
            while sent < total and not reader_done.is_set():
                s.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass  # the server cut us off, as it should
        reader_done.wait(10)
        s.close()
        peak = tracemalloc.get_traced_memory()[1] - baseline
    finally:
        tracemalloc.stop()
    return bytes(answer), peak


ONE_MB_OF_A = b"a" * MB


def test_a_100_mb_body_gets_413_before_it_is_read_and_costs_under_20_mb(quiet_bot: BotHarness) -> None:
    head = (
        b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 104857600\r\n\r\n"
    )
    answer, peak = _attack(quiet_bot, head, ONE_MB_OF_A, 100 * MB)
    assert _status(answer) == 413, answer[:200]
    assert peak < 20 * MB, f"{peak / MB:.1f} MB"


def test_a_100_mb_chunked_body_is_cut_at_the_limit_with_413(quiet_bot: BotHarness) -> None:
    head = b"POST /slack/events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    chunk = f"{MB:x}\r\n".encode() + ONE_MB_OF_A + b"\r\n"
    answer, peak = _attack(quiet_bot, head, chunk, 100 * MB)
    assert _status(answer) == 413, answer[:200]
    assert peak < 20 * MB, f"{peak / MB:.1f} MB"


def test_100_mb_of_headers_get_431_and_cost_under_20_mb(quiet_bot: BotHarness) -> None:
    head = b"POST /slack/events HTTP/1.1\r\nHost: x\r\nX-Junk: "
    answer, peak = _attack(quiet_bot, head, ONE_MB_OF_A, 100 * MB)
    assert _status(answer) == 431, answer[:200]
    assert peak < 20 * MB, f"{peak / MB:.1f} MB"


def test_headers_just_under_16_kb_pass_and_just_over_get_431(quiet_bot: BotHarness) -> None:
    def request(padding: int) -> bytes:
        return (
            b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"p" * padding + b"\r\nConnection: close\r\n\r\n"
        )

    assert _status(_raw(quiet_bot, request(15 * 1024))) == 200
    assert _status(_raw(quiet_bot, request(17 * 1024))) == 431


@pytest.mark.parametrize("settings_overrides", [{"http_max_body_bytes": 64 * 1024}])
def test_the_body_limit_is_a_setting(
    quiet_bot: BotHarness, slack: SlackDriver, fake_slack: FakeSlack
) -> None:
    over = _command_body(fake_slack) + b"&pad=" + b"p" * (64 * 1024)
    assert slack.post_raw(over, content_type=FORM).status == 413
    under = _command_body(fake_slack) + b"&pad=" + b"p" * (60 * 1024)
    assert slack.post_raw(under, content_type=FORM).status == 200


# ---- 6. malformed but signed bodies --------------------------------------------------------------------


def _payload(obj: Any) -> tuple[str, bytes]:
    return FORM, urlencode({"payload": obj if isinstance(obj, str) else json.dumps(obj)}).encode()


def _json(obj: Any) -> tuple[str, bytes]:
    return "application/json", (obj if isinstance(obj, str) else json.dumps(obj)).encode()


_WHO = {"user": {"id": "UALICE"}, "team": {"id": "T0001"}}
MALFORMED = {
    "text/plain": ("text/plain", b"hello"),
    "no content type": ("", b"command=/remediate&text=help"),
    "invalid JSON": _json("{not json"),
    "JSON array": _json([1, 2]),
    "JSON without type": _json({"event": {}}),
    "form without payload or command": (FORM, b"foo=bar"),
    "payload not JSON": _payload("{nope"),
    "payload a JSON array": _payload([1]),
    "payload a JSON string": _payload('"x"'),
    "payload without type": _payload({"actions": []}),
    "actions a string": _payload({"type": "block_actions", **_WHO, "actions": "x"}),
    "action without action_id": _payload({"type": "block_actions", **_WHO, "actions": [{}]}),
    "team a number": _payload({"type": "block_actions", "team": 5, "actions": [{"action_id": "x"}]}),
    "view a string": _payload({"type": "view_submission", **_WHO, "view": "x"}),
    "view without type": _payload(
        {"type": "view_submission", **_WHO, "view": {"callback_id": "item_create"}}
    ),
    "state values a string": _payload(
        {
            "type": "view_submission",
            **_WHO,
            "view": {"type": "modal", "callback_id": "item_create", "state": {"values": "x"}},
        }
    ),
    "event a string": _json({"type": "event_callback", "event": "x"}),
    "event_id a number": _json(
        {"type": "event_callback", "event_id": 5, "event": {"type": "app_home_opened"}}
    ),
    "authorizations a string": _json(
        {"type": "event_callback", "event": {"type": "x"}, "authorizations": "x"}
    ),
    "nested 100,000 deep": _json('{"type":"x","a":' + "[" * 100_000 + "]" * 100_000 + "}"),
    "not UTF-8": ("application/json", b'{"type": "\xff"}'),
    "form body that is JSON": (FORM, b'{"type": "block_actions"}'),
    "payload given twice": (FORM, b"payload=%7B%22type%22%3A%22x%22%7D&payload=5"),
    "command without user_id": (FORM, b"command=%2Fremediate&text=help&team_id=T0001&channel_id=C1"),
}


def test_malformed_signed_bodies_get_400_with_one_short_log_line(
    quiet_bot: BotHarness, slack: SlackDriver, fake_slack: FakeSlack, caplog: Any
) -> None:
    before_db = snapshot(quiet_bot.deps.engine)
    before_calls = len(fake_slack.calls)
    caplog.set_level(logging.INFO)
    for name, (content_type, body) in MALFORMED.items():
        caplog.clear()
        reply = slack.post_raw(body, content_type=content_type)
        assert reply.status == 400, (name, reply.status, reply.text[:200])
        assert len(reply.text) < 100, name
        lines = [r for r in caplog.records if r.levelno >= logging.INFO]
        assert len(lines) == 1 and lines[0].name == "bot.http", (name, [r.getMessage() for r in lines])
        assert len(lines[0].getMessage()) < 120 and not lines[0].exc_info, name
    time.sleep(0.3)
    assert len(fake_slack.calls) == before_calls
    assert snapshot(quiet_bot.deps.engine) == before_db
    assert slack.command("/remediate", "help").status == 200  # and the door is still open


def test_real_payload_shapes_pass_the_front_door(quiet_bot: BotHarness, slack: SlackDriver) -> None:
    assert slack.url_verification("challenge-abc").json() == {"challenge": "challenge-abc"}
    home = {"type": "app_home_opened", "user": "UALICE", "channel": "D0HOME", "tab": "home"}
    assert slack.event(home).status == 200
    assert slack.command("/incident", "help", user="UBOB").status == 200


def test_slacks_certificate_check_is_answered_unsigned_and_carries_nothing_else(
    quiet_bot: BotHarness,
) -> None:
    def unsigned(body: bytes) -> int:
        head = f"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: {FORM}\r\n"
        head += f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        return _status(_raw(quiet_bot, head.encode() + body))

    assert unsigned(b"ssl_check=1&token=legacy") == 200
    assert unsigned(b"ssl_check=1&payload=%7B%22type%22%3A%22x%22%7D") == 401
    assert unsigned(b"ssl_check=1&command=%2Fremediate") == 401


# ---- 2. slow clients -----------------------------------------------------------------------------------


# The attacker, in a process of its own (as it would be: not sharing the server's interpreter lock).
# argv: host port header-tricklers body-tricklers seconds. Opens every socket, prints "ready", trickles one
# byte a second on each, opens again at once any socket the server answers or closes, and at the end prints
# {status: count} of the server's answers as JSON.
TRICKLERS = r"""
import json, socket, sys, time
host, port, n_head, n_body = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
seconds = float(sys.argv[5])
HEAD = b"POST /slack/events HTTP/1.1\r\nHost: x\r\nX-Slow: "
BODY = b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"
kinds = [HEAD] * n_head + [BODY] * n_body
def open_one(start):
    s = socket.create_connection((host, port), timeout=5)
    s.sendall(start)
    s.setblocking(False)
    return s
socks = [open_one(k) for k in kinds]
answers = {}
print("ready", flush=True)
end = time.monotonic() + seconds
while time.monotonic() < end:
    time.sleep(1.0)
    for i, s in enumerate(socks):
        try:
            data = s.recv(4096)
        except BlockingIOError:
            data = None
        except OSError:
            data = b""
        if data is None:
            try:
                s.send(b"a")
                continue
            except OSError:
                data = b""
        if data.startswith(b"HTTP/1.1 "):
            status = data.split(b" ", 2)[1].decode()
            answers[status] = answers.get(status, 0) + 1
        s.close()
        socks[i] = open_one(kinds[i])
print(json.dumps(answers), flush=True)
"""


@pytest.fixture
def many_files() -> Iterator[None]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 4096
    if soft != resource.RLIM_INFINITY and soft < wanted:
        if hard != resource.RLIM_INFINITY and hard < wanted:
            pytest.skip(f"needs {wanted} open files; the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


FLOOD_SECONDS = 12.0


def test_signed_help_answers_in_under_a_second_while_576_slow_clients_trickle(
    many_files: None, quiet_bot: BotHarness, fake_slack: FakeSlack
) -> None:
    """512 sockets trickle their headers and 64 their bodies, one byte a second, for 12 s (past the 10 s
    read deadlines, so every one of them is answered 408 and comes back at once); meanwhile a signed
    `/remediate help` every quarter second, on a kept-alive connection and on new ones."""
    host, port = _host_port(quiet_bot)
    args = [sys.executable, "-c", TRICKLERS, host, str(port), "512", "64", str(FLOOD_SECONDS)]
    attacker = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    try:
        assert attacker.stdout is not None
        assert attacker.stdout.readline().strip() == "ready"
        kept_alive = SlackDriver(quiet_bot.url, SIGNING_SECRET, fake=fake_slack, timeout=5)
        latencies: list[float] = []
        started = time.monotonic()
        while time.monotonic() - started < FLOOD_SECONDS - 0.5:
            fresh = len(latencies) % 2 == 0
            driver = (
                SlackDriver(quiet_bot.url, SIGNING_SECRET, fake=fake_slack, timeout=5)
                if fresh
                else kept_alive
            )
            t0 = time.monotonic()
            reply = driver.command("/remediate", "help")
            latencies.append(time.monotonic() - t0)
            assert reply.status == 200 and "commands" in reply.json()["text"]
            if fresh:
                driver.close()
            time.sleep(0.25)
        kept_alive.close()
        answered = json.loads(attacker.stdout.readline())
        assert attacker.wait(timeout=30) == 0
    finally:
        if attacker.poll() is None:
            attacker.kill()
            attacker.wait()
    ordered = sorted(latencies)
    print(
        f"\nsigned help during the flood: {len(latencies)} requests, max {ordered[-1] * 1000:.0f} ms, "
        f"median {ordered[len(ordered) // 2] * 1000:.0f} ms; the slow clients were answered {answered}"
    )
    assert ordered[-1] < 1.0, f"slowest signed help took {ordered[-1]:.2f} s"
    assert answered.get("408", 0) >= 500, answered  # the slow ones were cut off at their deadline


@pytest.mark.parametrize("settings_overrides", [{"http_max_connections": 16}])
def test_at_the_connection_cap_the_oldest_waiting_connection_makes_room(
    quiet_bot: BotHarness, slack: SlackDriver
) -> None:
    slack.close()
    idle = [socket.create_connection(_host_port(quiet_bot), timeout=5) for _ in range(16)]
    try:
        for s in idle:
            s.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\n")  # and never the rest
        time.sleep(0.2)
        assert slack.command("/remediate", "help").status == 200  # a new connection, at the cap
        assert idle[0].recv(100) == b""  # the oldest was closed to make room for it
    finally:
        for s in idle:
            s.close()


def test_keep_alive_serves_several_requests_on_one_connection(
    quiet_bot: BotHarness, slack: SlackDriver
) -> None:
    assert slack.command("/remediate", "help").status == 200
    first = slack._conn
    assert slack.command("/remediate", "help").status == 200
    assert slack._conn is first is not None
