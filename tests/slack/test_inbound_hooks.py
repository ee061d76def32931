"""The one mechanism every signed inbound web hook goes through, driven over the real HTTP server the way a
sender (or an attacker) would: POST /hooks/<source>, signed with the v0 scheme.

A small source of the tests' own ("notes": a signed JSON note lands on a subject's timeline) stands for
GitHub, Jira, PagerDuty and CI, which plug into the same mechanism."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from sqlmodel import Session

from bot.hooks.inbound import HookRequest, Refused
from bot.hooks.signatures import BadSignature, hex_hmac, sign_v0, verify_v0
from bot.runtime import Bot
from storage import queries
from tests.support import BotHarness, make_settings, snapshot

pytestmark = pytest.mark.both_backends

SECRET = "hook-secret-for-tests"


@dataclass
class NotesSource:
    name: str = "notes"
    max_body: int = 4096
    secret: str = SECRET

    def verify(self, request: HookRequest) -> None:
        now = datetime.fromtimestamp(time.time()).astimezone()
        verify_v0(
            self.secret,
            timestamp=request.header("X-Remediate-Timestamp"),
            signature=request.header("X-Remediate-Signature"),
            body=request.body,
            now=now,
        )

    def delivery_id(self, request: HookRequest) -> str:
        delivery = request.header("X-Delivery-Id")
        if not delivery:
            raise Refused(400, "X-Delivery-Id missing")
        return delivery

    def parse(self, request: HookRequest) -> dict[str, str]:
        try:
            data = json.loads(request.body)
        except ValueError:
            raise Refused(400, "body is not JSON") from None
        if not isinstance(data, dict) or not isinstance(data.get("subject"), str):
            raise Refused(400, "subject missing")
        return {"subject": data["subject"], "note": str(data.get("note", ""))}

    def handle(self, session: Session, event: dict[str, str], now: datetime) -> dict[str, Any]:
        queries.add_event(
            session, subject_id=event["subject"], at=now, actor_id=None, kind="note", summary=event["note"]
        )
        return {"noted": event["subject"]}


@pytest.fixture
def bot(backend, fake_slack, clock, database_url) -> Iterator[BotHarness]:
    settings = make_settings(database_url, fake_slack.url)
    running = Bot(
        settings, clock=clock, scheduler=False, port=0, sender_poll=0.05, hooks={"notes": NotesSource()}
    )
    running.start()
    try:
        yield BotHarness(running, clock)
    finally:
        running.stop()


def _post(
    bot: BotHarness,
    body: bytes,
    *,
    path: str = "/hooks/notes",
    ts: str | None = None,
    signature: str | None = None,
    delivery: str = "d-1",
    method: str = "POST",
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any]]:
    stamp = ts if ts is not None else str(int(time.time()))
    sig = signature if signature is not None else sign_v0(SECRET, int(stamp) if stamp.isdigit() else 0, body)
    conn = http.client.HTTPConnection("127.0.0.1", bot.bot.port, timeout=10)
    try:
        conn.request(
            method,
            path,
            body=body if method == "POST" else None,
            headers={
                "Content-Type": "application/json",
                "X-Remediate-Timestamp": stamp,
                "X-Remediate-Signature": sig,
                "X-Delivery-Id": delivery,
                **(headers or {}),
            },
        )
        resp = conn.getresponse()
        raw = resp.read()
        return resp.status, (
            json.loads(raw) if raw.startswith(b"{") else {"raw": raw.decode(errors="replace")}
        )
    finally:
        conn.close()


def _notes(bot: BotHarness, subject: str) -> list[str]:
    with bot.uow() as session:
        return [e.summary for e in queries.timeline(session, subject_id=subject)]


NOTE = json.dumps({"subject": "P1-20261203-001", "note": "from the hook"}).encode()


def test_a_signed_hook_is_handled_once_whatever_the_number_of_deliveries(bot):
    assert _post(bot, NOTE) == (202, {"ok": True, "noted": "P1-20261203-001"})
    for _ in range(3):
        status, body = _post(bot, NOTE)
        assert status == 200 and body["duplicate"] is True
    assert _notes(bot, "P1-20261203-001") == ["from the hook"]
    assert _post(bot, NOTE, delivery="d-2")[0] == 202  # another delivery is another event
    assert _notes(bot, "P1-20261203-001") == ["from the hook", "from the hook"]


@pytest.mark.parametrize(
    ("ts", "signature", "why"),
    [
        (None, "v0=" + "0" * 64, "wrong signature"),
        (None, "", "no signature"),
        ("-600s", None, "stale"),
        ("+600s", None, "from the future"),
        ("abc", None, "not a number"),
        ("1e10", None, "exponent"),
        ("1700000000.5", None, "fraction"),
        ("-5", None, "negative"),
        ("", None, "empty"),
    ],
)
def test_a_forged_or_stale_hook_is_refused_and_changes_nothing(bot, ts, signature, why):
    stamp = ts if ts is not None else str(int(time.time()))
    if stamp.endswith("s") and stamp[:-1].lstrip("+-").isdigit():  # an offset from now, taken at run time
        stamp = str(int(time.time()) + int(stamp[:-1]))
    if signature is None:
        # Signed correctly over exactly what is sent: only the timestamp rule can refuse it.
        signature = "v0=" + hex_hmac(SECRET, b"v0:" + stamp.encode() + b":" + NOTE)
    before = snapshot(bot.deps.engine)
    status, body = _post(bot, NOTE, ts=stamp, signature=signature)
    assert status == 401, why
    assert body["ok"] is False
    assert snapshot(bot.deps.engine) == before, why


def test_the_size_is_decided_before_the_body_is_read(bot):
    before = snapshot(bot.deps.engine)
    status, body = _post(bot, b"{" + b" " * 5000 + b"}")
    assert status == 413 and body["error"] == "body over the limit"
    assert snapshot(bot.deps.engine) == before


def test_a_signed_body_that_is_not_the_event_is_400_and_changes_nothing(bot):
    before = snapshot(bot.deps.engine)
    assert _post(bot, b"not json")[0] == 400
    assert _post(bot, b'{"no": "subject"}')[0] == 400
    assert snapshot(bot.deps.engine) == before


def test_unknown_sources_and_other_methods(bot):
    assert _post(bot, NOTE, path="/hooks/nobody")[0] == 404
    assert _post(bot, NOTE, method="GET")[0] == 405


def test_the_signature_scheme_is_the_documented_one():
    body = b'{"a": 1}'
    assert sign_v0("s", 1700000000, body).startswith("v0=")
    now = datetime.fromtimestamp(1700000100).astimezone()
    assert verify_v0(
        "s", timestamp="1700000000", signature=sign_v0("s", 1700000000, body), body=body, now=now
    )
    with pytest.raises(BadSignature):
        verify_v0("s", timestamp="1700000000", signature=sign_v0("t", 1700000000, body), body=body, now=now)
