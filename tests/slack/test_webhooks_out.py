"""Signed outbound web hooks, end to end: the real server and database, the fake Slack, signed Slack requests,
two receivers of web hooks on loopback that check every request (schema, signature, freshness, repeats) and
can fail on demand, a fake PagerDuty, and an injected clock.

The signature is checked here with this suite's own code, written from the README's description
(``v0=`` + hex HMAC-SHA256 of ``v0:{X-Remediate-Timestamp}:{raw body}``), never with the bot's.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.services.incidents.clocks import sweep_incident_escalations, sweep_incident_reminders
from bot.slack.ids import Action, ItemInput, View, keyed
from tests.clockwork import add_item, alerts
from tests.fakes.pagerduty import FakePagerDuty
from tests.fakes.signing import SlackDriver, checkboxes, plain_value, static_select
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.slack.incident_steps import declare, incident, press, settle, submit_update, wait_card
from tests.slack.item_steps import create, run
from tests.slack.notification_steps import deliveries, get, pending, resolve_in_slack, wait_until, worker
from tests.support import INCIDENT_CHANNEL

SECRET = "outbound-webhook-secret-0123456789abcdef"
CI_SECRET = "ci-secret-for-the-tests-0123456789"
ROUTING_KEY = "R0ut1ngKeyOfTheRemediateService1"
PUBLIC_URL = "https://remediate.example.com"
TEST = "tests/test_boot.py::test_start"
MONDAY_9 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)

EVERY_TYPE = {
    "item.created",
    "item.status_changed",
    "item.escalated",
    "item.acknowledged",
    "item.validated",
    "item.regressed",
    "incident.declared",
    "incident.acknowledged",
    "incident.updated",
    "incident.resolved",
    "incident.closed",
    "digest",
    "weekly_report",
}


@pytest.fixture
def receivers():
    first, second = WebhookReceiver(SECRET), WebhookReceiver(SECRET)
    yield first, second
    first.close()
    second.close()


@pytest.fixture
def pagerduty():
    fake = FakePagerDuty(ROUTING_KEY)
    yield fake
    fake.close()


@pytest.fixture
def extra(request) -> dict[str, Any]:
    """More settings for one test (parametrize it indirectly)."""
    return dict(getattr(request, "param", {}))


@pytest.fixture
def settings_overrides(receivers, pagerduty, extra) -> dict[str, Any]:
    return {
        "webhook_urls": ",".join(r.url for r in receivers),
        "webhook_secret": SECRET,
        "webhook_allow_http": True,  # the receivers are plain HTTP on loopback
        "public_url": PUBLIC_URL,
        "ci_webhook_secret": CI_SECRET,
        "admin_users": "UADMIN",
        "escalation_l1": "UDAVE",
        "escalation_l2": "UBOB",
        "oncall": "UCAROL",
        "pagerduty_routing_key": ROUTING_KEY,
        "pagerduty_events_url": pagerduty.url,
        **extra,
    }


# --- the receivers' side ---------------------------------------------------------------------------------
def signature_ok(headers: dict[str, str], body: bytes, secret: str = SECRET) -> bool:
    """The README's verification, as a receiver writes it."""
    stamp = headers["x-remediate-timestamp"]
    if abs(time.time() - int(stamp)) > 300:
        return False
    mac = hmac.new(secret.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest("v0=" + mac, headers["x-remediate-signature"])


def readme_verifier() -> Any:
    """The verification snippet of the README's "Outbound web hooks" section, as a receiver pastes it."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Outbound web hooks", 1)[1].split("\n### ", 1)[0]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, Any] = {}
    exec(compile(code, "README.md", "exec"), namespace)  # our own README's example
    return namespace["signature_ok"]


def types_of(receiver: WebhookReceiver) -> list[str]:
    return [e["type"].removeprefix("com.remediate.") for e in receiver.events]


def rows_to(bot, receiver: WebhookReceiver) -> list[Any]:
    rows = [r for r in deliveries(bot, "webhook") if r.payload["url"] == receiver.url]
    return sorted(rows, key=lambda r: r.id)  # queue order


def all_sent(bot, *receivers: WebhookReceiver) -> bool:
    """Nothing is pending for these receivers, and each took every delivery sent to it."""
    for receiver in receivers:
        rows = rows_to(bot, receiver)
        if any(r.status == "pending" for r in rows):
            return False
        if len(receiver.events) != sum(1 for r in rows if r.status == "sent"):
            return False
    return True


def wait_delivered(bot, *receivers: WebhookReceiver) -> None:
    settle(bot)
    wait_until(lambda: all_sent(bot, *receivers), message="every web hook delivered")


def ride_out(bot, minutes: int, *, step: float = 0.5) -> None:
    """Move the clock on `step` minutes at a time for `minutes`; each time wait until the web hook deliveries
    that came due were tried (the next try of each endpoint's first pending delivery is later than now)."""
    for _ in range(int(minutes / step)):
        bot.clock.advance(minutes=step)

        def tried() -> bool:
            """The first pending delivery of each endpoint (the rest wait behind it, in order) is not due."""
            now = bot.clock()
            first: dict[str, Any] = {}
            for r in sorted(deliveries(bot, "webhook"), key=lambda r: r.id):
                if r.status == "pending":
                    first.setdefault(r.channel_key, r)
            return all(r.not_before > now for r in first.values())

        wait_until(tried, message="the due retries tried")


# --- what people do in Slack and CI ------------------------------------------------------------------------
def ci_report(bot, outcome: str, *, commit: str) -> dict[str, Any]:
    failure = '<failure message="AssertionError">boom</failure>' if outcome == "failed" else ""
    junit = (
        '<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" errors="0" '
        f'failures="{int(outcome == "failed")}" skipped="0" tests="1" time="0.01">'
        f'<testcase classname="tests.test_boot" name="test_start" time="0.01">{failure}</testcase>'
        "</testsuite></testsuites>"
    )
    body = json.dumps(
        {
            "commit": commit,
            "ref": "refs/heads/main",
            "repository": "acme/app",
            "run_url": f"https://ci.example.com/acme/app/runs/{commit[:6]}",
            "junit": junit,
        }
    ).encode()
    stamp = str(int(time.time()))
    mac = hmac.new(CI_SECRET.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256).hexdigest()
    conn = http.client.HTTPConnection("127.0.0.1", bot.bot.port, timeout=30)
    try:
        conn.request(
            "POST",
            "/hooks/ci",
            body=body,
            headers={
                "Content-Type": "application/json",
                "X-Remediate-Timestamp": stamp,
                "X-Remediate-Signature": "v0=" + mac,
            },
        )
        resp = conn.getresponse()
        answer = json.loads(resp.read())
    finally:
        conn.close()
    assert resp.status == 202, answer
    return dict(answer)


def validate(slack: SlackDriver, item_id: str, user: str) -> None:
    form = {
        f"{ItemInput.CHECKLIST.value}_0": {f"{ItemInput.CHECKLIST.value}_0": checkboxes(["0"])},
        ItemInput.PREVENTION.value: {ItemInput.PREVENTION.value: plain_value(None)},
        ItemInput.EVIDENCE.value: {ItemInput.EVIDENCE.value: plain_value(None)},
        ItemInput.OUTCOME.value: {ItemInput.OUTCOME.value: static_select("pass")},
        ItemInput.REASON.value: {ItemInput.REASON.value: plain_value(None)},
    }
    meta = json.dumps({"id": item_id, "n": 1, "surface": {"kind": "none"}})
    reply = slack.view_submission(View.ITEM_VALIDATE.value, form, user=user, private_metadata=meta)
    assert reply.json() is None, reply.text


def item_lifecycle(bot, slack: SlackDriver) -> str:
    """Created, worked on, completed and validated through CI, then regressed: every item event but
    escalations."""
    item_id = create(
        slack, '"Startup fails on a cold cache" --priority P1 --owner <@UBOB|bob>', user="UALICE"
    )
    run(slack, f'criteria {item_id} add "Startup completes without errors" --test {TEST}', user="UALICE")
    run(slack, f'prevent {item_id} "Boot test runs on every merge"', user="UBOB")
    run(slack, f"track {item_id} --status in_progress", user="UBOB")
    assert ci_report(bot, "passed", commit="3f2a9c1e5b7d4f60a8e2c9b1d3f5a7c9e1b3d5f7")["completed"] == [
        item_id
    ]
    validate(slack, item_id, "UALICE")
    assert ci_report(bot, "failed", commit="9c1e5b7d4f60a8e2c9b1d3f5a7c9e1b3d5f73f2a")["regressed"] == [
        item_id
    ]
    return item_id


def escalate_and_acknowledge(bot, slack: SlackDriver) -> str:
    item_id = add_item(bot.deps, priority="P0", deadline=bot.clock() - timedelta(hours=5), owner="UALICE")
    bot.run_job("escalations")
    bot.deliver()
    [alert] = alerts(bot.deps, item_id)
    reply = slack.block_action(keyed(Action.ALERT_ACK, alert.id), user="UDAVE", channel=INCIDENT_CHANNEL)
    assert reply.status == 200
    return item_id


def incident_lifecycle(bot, slack: SlackDriver, fake_slack) -> str:
    inc = declare(slack, fake_slack, bot, severity="P1", title="Payments delayed")
    card = wait_card(fake_slack, inc.id)
    bot.clock.advance(minutes=2)
    press(slack, Action.INCIDENT_ACK, card, user="UCAROL")
    bot.clock.advance(minutes=5)
    press(slack, Action.INCIDENT_UPDATE, card, user="UALICE")
    assert submit_update(slack, fake_slack, status="identified", note="Bad config in deploy 42").status == 200
    bot.clock.advance(minutes=10)
    resolve_in_slack(slack, fake_slack, card, summary="rolled back deploy 42")
    with bot.uow() as session:
        session.get(type(incident(bot, inc.id)), inc.id).waiver_reason = "drill: no follow-up needed"
    bot.clock.advance(hours=25)
    sweep_incident_reminders(bot.deps, bot.clock())
    assert incident(bot, inc.id).status == "closed"
    return inc.id


# --- the tests ---------------------------------------------------------------------------------------------
@pytest.mark.both_backends
def test_every_event_type_reaches_every_endpoint_once_as_a_signed_cloud_event(
    bot, slack, fake_slack, receivers, clock
):
    first, second = receivers
    item_id = item_lifecycle(bot, slack)
    escalated = escalate_and_acknowledge(bot, slack)
    declared_at = clock()
    inc_id = incident_lifecycle(bot, slack, fake_slack)
    bot.run_job("digest", at=MONDAY_9)
    bot.run_job("weekly-report", at=MONDAY_9)
    wait_delivered(bot, first, second)

    for receiver in receivers:
        assert set(types_of(receiver)) == EVERY_TYPE
        assert receiver.refused == [] and receiver.repeats == 0
        assert len({e["id"] for e in receiver.events}) == len(receiver.events)  # each event once
        for headers, body in receiver.raw:
            assert signature_ok(headers, body)
            assert not signature_ok(headers, body, secret="some-other-secret-of-a-receiver")
            assert not signature_ok(headers, body + b" ")
            assert headers["content-type"].startswith("application/cloudevents+json")
    # Both endpoints got the same events, in the same order, each with its own id (the delivery's key).
    assert types_of(first) == types_of(second)
    assert not {e["id"] for e in first.events} & {e["id"] for e in second.events}
    for receiver in receivers:
        assert [e["id"] for e in receiver.events] == [r.dedupe_key for r in rows_to(bot, receiver)]

    events = {(e["type"], e["subject"]): e for e in first.events}
    for event in first.events:
        assert event["specversion"] == "1.0" and event["source"] == PUBLIC_URL
        assert event["datacontenttype"] == "application/json"
    created = events[("com.remediate.item.created", item_id)]
    assert created["data"]["item"]["id"] == item_id and created["data"]["item"]["priority"] == "P1"
    assert created["data"]["item"]["title"] == "Startup fails on a cold cache"
    assert created["data"]["event"]["actor_id"] == "UALICE"
    regressed = events[("com.remediate.item.regressed", item_id)]
    assert "9c1e5b7d4f60" in json.dumps(regressed["data"])
    escalation = events[("com.remediate.item.escalated", escalated)]
    assert escalation["data"]["event"]["details"]["level"] == 1
    acked = events[("com.remediate.item.acknowledged", escalated)]
    assert acked["data"]["event"]["actor_id"] == "UDAVE"
    declared = events[("com.remediate.incident.declared", inc_id)]
    assert declared["time"] == declared_at.isoformat().replace(
        "+00:00", "Z"
    )  # the event's time, not the send's
    assert declared["data"]["incident"]["title"] == "Payments delayed"
    assert declared["data"]["incident"]["severity"] == "P1"
    updated = events[("com.remediate.incident.updated", inc_id)]
    assert "Bad config in deploy 42" in json.dumps(updated["data"])
    report = next(e for e in first.events if e["type"] == "com.remediate.weekly_report")
    assert "Weekly Remediation Report" in report["data"]["title"] + report["data"]["text"]
    assert "<@" not in report["data"]["text"]  # names, not Slack mentions

    # Nothing more is sent later: every delivery is done and a later drain sends nothing again.
    clock.advance(hours=1)
    worker(bot, "webhook").drain()
    assert len(first.events) == len(rows_to(bot, first)) and first.attempts == len(first.events)


@pytest.mark.parametrize(
    "extra", [{"webhook_events": "com.remediate.incident.declared, incident.resolved"}], indirect=True
)
def test_webhook_events_chooses_what_is_sent(bot, slack, fake_slack, receivers):
    first, second = receivers
    create(slack, '"Rotate the keys" --priority P2', user="UALICE")
    inc = declare(slack, fake_slack, bot, severity="P2", title="Search is slow")
    press(slack, Action.INCIDENT_ACK, wait_card(fake_slack, inc.id), user="UCAROL")
    resolve_in_slack(slack, fake_slack, wait_card(fake_slack, inc.id), summary="index rebuilt")
    wait_delivered(bot, first, second)
    readme_signature_ok = readme_verifier()
    for receiver in receivers:
        assert types_of(receiver) == ["incident.declared", "incident.resolved"]
        for headers, body in receiver.raw:  # the README's snippet, as written there, accepts what was sent
            assert readme_signature_ok(headers, body, SECRET)
            assert not readme_signature_ok(headers, body, "a-secret-that-is-not-ours-at-all")
            assert not readme_signature_ok(headers, body.replace(b"Search", b"Starch"), SECRET)
    assert {r.method for r in deliveries(bot, "webhook")} == {"incident.declared", "incident.resolved"}


def test_an_endpoint_down_for_minutes_gets_everything_once_in_order_while_slack_and_pages_go_on(
    bot, slack, fake_slack, receivers, pagerduty, clock
):
    down, healthy = receivers
    down.down()
    inc = declare(slack, fake_slack, bot, severity="P0", title="Checkout is down")
    start = clock()
    wait_until(lambda: down.attempts >= 1, message="a first attempt")
    ride_out(bot, 2)
    # Meanwhile: the Slack page and the PagerDuty trigger at the response time (5 minutes) go out at once.
    clock.set(start + timedelta(minutes=5))
    assert bot.bot.notifier.wait_sent(sweep_incident_escalations(bot.deps, clock()), timeout=10)
    assert [m for m in fake_slack.messages(INCIDENT_CHANNEL) if m["text"].startswith(f"Page: {inc.id}")]
    wait_until(lambda: pagerduty.actions(inc.id) == ["trigger"], message="the PagerDuty trigger")
    ride_out(bot, 2)
    card = wait_card(fake_slack, inc.id)
    press(slack, Action.INCIDENT_ACK, card, user="UCAROL")
    wait_until(lambda: pagerduty.actions(inc.id) == ["trigger", "acknowledge"], message="the acknowledge")
    ride_out(bot, 3)
    press(slack, Action.INCIDENT_UPDATE, card, user="UALICE")
    assert (
        submit_update(slack, fake_slack, status="mitigating", note="Failing over to the replica").status
        == 200
    )
    ride_out(bot, 3)

    # The healthy endpoint was not held up by the other one.
    wait_until(lambda: len(healthy.events) == 3, message="the healthy endpoint's events")
    expected = ["incident.declared", "incident.acknowledged", "incident.updated"]
    assert types_of(healthy) == expected
    assert down.events == [] and down.attempts > 5
    assert pending(bot, "webhook") == 3

    down.up()
    clock.advance(minutes=6)  # past the longest backoff
    wait_delivered(bot, down, healthy)
    assert types_of(down) == expected  # nothing lost, in order
    assert down.repeats == 0 and len({e["id"] for e in down.events}) == 3  # nothing twice
    assert all(signature_ok(h, b) for h, b in down.raw)
    assert all(r.status == "sent" for r in deliveries(bot, "webhook"))
    assert max(r.attempts for r in rows_to(bot, down)) > 5
    worker(bot, "pagerduty").drain()
    assert pagerduty.actions(inc.id) == ["trigger", "acknowledge"]


def test_a_refusal_is_kept_as_failed_and_shown_in_health_and_metrics(bot, slack, fake_slack, receivers):
    refusing, healthy = receivers
    refusing.fail_with(410)  # "Gone": the receiver wants no more
    inc = declare(slack, fake_slack, bot, severity="P2", title="Search is slow")
    wait_until(
        lambda: [r for r in rows_to(bot, refusing) if r.status == "failed"], message="the refused delivery"
    )
    [failed] = rows_to(bot, refusing)
    assert "410" in (failed.last_error or "") and failed.attempts <= 1
    wait_delivered(bot, healthy)
    assert types_of(healthy) == ["incident.declared"]

    status, body = get(bot, "/healthz?detail=1")
    assert status == 200
    shown = json.loads(body)["destinations"]["webhook"]
    assert "410" in shown["last_permanent_failure"]["reason"]
    assert SECRET not in body.decode()
    status, metrics = get(bot, "/metrics")
    assert b'remediate_delivery_permanent_failures_total{destination="webhook"} 1.0' in metrics

    # A refusal of one event does not hold back the next one.
    press(slack, Action.INCIDENT_ACK, wait_card(fake_slack, inc.id), user="UCAROL")
    wait_until(lambda: types_of(refusing) == ["incident.acknowledged"], message="the next event")
    assert failed.status == "failed" and [r.status for r in rows_to(bot, refusing)] == ["failed", "sent"]


@pytest.mark.parametrize("extra", [{"webhook_max_attempts": 5}], indirect=True)
def test_retries_back_off_exponentially_up_to_the_limit_then_the_delivery_is_kept_as_failed(
    bot, slack, fake_slack, receivers, clock
):
    down, healthy = receivers
    down.down()
    declare(slack, fake_slack, bot, severity="P2", title="Search is slow")
    waits = []
    for attempt in range(1, 6):
        wait_until(
            lambda n=attempt: rows_to(bot, down)[0].attempts == n or rows_to(bot, down)[0].status == "failed",
            message=f"attempt {attempt}",
        )
        [row] = rows_to(bot, down)
        if row.status == "failed":
            break
        waits.append((row.not_before - clock()).total_seconds())
        clock.set(row.not_before)
    # Four waits between five attempts, each about twice the one before (with jitter of a quarter).
    assert len(waits) == 4
    for n, seconds in enumerate(waits):
        assert 0.75 * 2**n <= seconds <= 1.25 * 2**n, waits
    [row] = rows_to(bot, down)
    assert row.status == "failed" and row.attempts == 5
    assert "gave up after 5 attempts" in (row.last_error or "") and "503" in (row.last_error or "")
    assert down.attempts == 5
    clock.advance(hours=1)
    worker(bot, "webhook").drain()
    assert down.attempts == 5  # failed for good: not tried again
    assert types_of(healthy) == ["incident.declared"]
    _, body = get(bot, "/healthz?detail=1")
    assert (
        "gave up after 5 attempts"
        in json.loads(body)["destinations"]["webhook"]["last_permanent_failure"]["reason"]
    )
