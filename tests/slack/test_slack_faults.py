"""Slack's own failures, through the fake server's fault injection: 429 with Retry-After, 500s, slow
answers and ok:false, on chat.postMessage and on every method at once.

The bot keeps answering commands while Slack's Web API is down (a command's answer is the HTTP response,
which needs no Web API call); what it must send waits in the outbox and goes out exactly once when Slack
is back, in order per channel; a form that cannot open says so, and nothing of it is logged as a bug.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from typing import Any

import pytest
from sqlmodel import select

from bot.slack.ids import IncidentInput, View
from storage.models import OutboxMessage
from tests.fakes.signing import plain_value
from tests.fakes.slack_api import SUPPORTED_METHODS
from tests.slack.incident_steps import declare_values, field, newest_incident, settle
from tests.slack.item_steps import press_ephemeral, run
from tests.support import INCIDENT_CHANNEL


@pytest.fixture
def errors_logged(caplog):
    """The bot's own ERROR lines (slack_sdk logs one of its own for every 5xx whose body is not JSON)."""
    caplog.set_level(logging.INFO)
    return lambda: [
        f"{r.name}: {r.getMessage()}"
        for r in caplog.records
        if r.levelno >= logging.ERROR and not r.name.startswith("slack_sdk")
    ]


def outbox_rows(bot) -> list[OutboxMessage]:
    with bot.uow() as session:
        rows = list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)))  # type: ignore[arg-type]
        session.expunge_all()
    return rows


def deliver_some(bot) -> None:
    """Send what is due now, batch after batch while they send something (an update waiting for the post
    it updates goes in the next batch)."""
    for _ in range(20):
        if not bot.bot.notifier.deliver_due().sent:
            return


def deliver_until_done(bot, clock, *, rounds: int = 30) -> None:
    """Let the sender work through retries: the clock moves past each backoff and Retry-After."""
    for _ in range(rounds):
        deliver_some(bot)
        if not [r for r in outbox_rows(bot) if r.status == "pending"]:
            return
        clock.advance(minutes=6)  # beyond the longest backoff
    raise AssertionError(f"still pending: {[(r.id, r.method, r.last_error) for r in outbox_rows(bot)]}")


def slack_down(fake, *, how: dict[str, Any]) -> None:
    for method in SUPPORTED_METHODS:
        fake.fail(method, times=10_000, **how)


def posted_once_each(fake) -> None:
    """Every message in the workspace was posted once: no two posts with the same channel, text and
    blocks (a retry that had in fact landed would show up here)."""
    seen = Counter(
        (c.response.get("channel"), c.args.get("text"), json.dumps(c.args.get("blocks"), sort_keys=True))
        for c in fake.ok_calls("chat.postMessage")
    )
    twice = [key for key, n in seen.items() if n > 1]
    assert not twice, twice


@pytest.mark.parametrize(
    "how",
    [{"status": 500}, {"status": 429, "retry_after": 30}, {"error": "internal_error"}, {"status": 503}],
    ids=["500", "429", "ok-false", "503"],
)
def test_commands_are_answered_while_slack_is_down_and_everything_is_sent_once_after(
    bot, slack, fake_slack, clock, errors_logged, how
):
    slack_down(fake_slack, how=how)

    # Commands: answered at once, changes made, messages queued.
    data = run(
        slack, 'track new "Fix the retry loop" --priority P0 --owner <@UBOB|bob> --deadline tomorrow 17:00'
    )
    assert "Created" in data["text"], data["text"]
    item_id = data["text"].split("*")[1]
    for command in (f"note {item_id} still failing", f"show {item_id}", "list", "status", "help"):
        assert ":warning:" not in json.dumps(run(slack, command)), command
    assert "now belongs to" in run(slack, f"assign {item_id} <@UCAROL|carol>")["text"]

    # A form cannot open without Slack: the command says so, plainly, with nothing logged as a bug.
    data = run(slack, "track")
    assert "Slack did not answer" in data["text"] and "try again" in data["text"].lower()
    reply = slack.command("/incident", "declare")
    assert "Slack did not answer" in reply.json()["text"]

    # A form that was already open is submitted: the incident is declared, its card queued.
    reply = slack.view_submission(
        View.INCIDENT_DECLARE.value, declare_values(title="Checkout down"), view_id="VOPENBEFORE"
    )
    assert reply.status == 200 and reply.json() is None, reply.text
    inc_id = newest_incident(bot).id
    update = field(
        IncidentInput.STATUS, {"type": "static_select", "selected_option": {"value": "mitigating"}}
    )
    update |= field(IncidentInput.NOTE, plain_value("Rolled back"))
    reply = slack.view_submission(View.INCIDENT_UPDATE.value, update, private_metadata=inc_id)
    assert reply.status == 200 and reply.json() is None, reply.text
    slack.event({"type": "app_home_opened", "user": "UBOB", "channel": "DBOB", "tab": "home"})

    deliver_some(bot)
    pending = [r for r in outbox_rows(bot) if r.status == "pending"]
    assert len(pending) >= 5, "DMs, the card, its update and the thread post wait in the outbox"
    assert not fake_slack.ok_calls("chat.postMessage"), "nothing got through"
    assert not errors_logged()

    # Slack recovers: everything goes out, once, the card's update after the card.
    fake_slack.clear_faults()
    deliver_until_done(bot, clock)
    rows = outbox_rows(bot)
    assert {r.status for r in rows} == {"sent"}, [(r.id, r.status, r.last_error) for r in rows]
    assert len(fake_slack.ok_calls("chat.postMessage")) == sum(r.method == "chat.postMessage" for r in rows)
    posted_once_each(fake_slack)
    card = next(m for m in fake_slack.messages(INCIDENT_CHANNEL) if inc_id in m.get("text", ""))
    assert "Mitigating" in json.dumps(card["blocks"]), "the update reached the card"
    assert [m for m in fake_slack.messages("UBOB") if item_id in m.get("text", "")]
    assert [m for m in fake_slack.messages("UCAROL") if item_id in m.get("text", "")]
    assert not errors_logged()
    # And the forms open again.
    assert slack.command("/remediate", "track").status == 200
    assert fake_slack.ok_calls("views.open")


def test_429_waits_for_retry_after_then_sends_once(bot, slack, fake_slack, clock):
    fake_slack.fail("chat.postMessage", status=429, retry_after=30)
    run(slack, 'track new "Rate limited" --priority P1 --owner <@UBOB|bob>')
    bot.deliver()
    assert fake_slack.posts("UBOB") == []
    [row] = outbox_rows(bot)
    assert row.status == "pending" and "429" in row.last_error
    clock.advance(seconds=29)
    bot.deliver()
    assert fake_slack.posts("UBOB") == [], "not before Retry-After"
    clock.advance(seconds=2)
    settle(bot)
    assert len(fake_slack.posts("UBOB")) == 1
    assert [c.http_status for c in fake_slack.calls_to("chat.postMessage")] == [429, 200]


def test_500_and_ok_false_are_retried_and_send_once_in_order(bot, slack, fake_slack, clock):
    fake_slack.fail("chat.postMessage", status=500)
    fake_slack.fail("chat.postMessage", error="ratelimited")
    fake_slack.fail("chat.postMessage", error="service_unavailable")
    item_id = run(slack, 'track new "First" --priority P1 --owner <@UBOB|bob>')["text"].split("*")[1]
    run(slack, f"block {item_id} waiting for access")
    deliver_until_done(bot, clock)
    texts = [m["text"] for m in fake_slack.messages("UBOB")]
    assert len(texts) == 2 and "owner" in texts[0] and "blocked" in texts[1], texts
    statuses = [c.http_status for c in fake_slack.calls_to("chat.postMessage")]
    assert statuses[0] == 500 and statuses.count(200) == 4  # 2 DMs, each once; the errors were ok:false


def test_a_slow_slack_times_out_and_is_retried_without_a_second_post(bot, slack, fake_slack, clock):
    bot.bot.notifier.client.timeout = 0.3  # Slack answering after 1 s: the sender gives up and retries
    fake_slack.fail("chat.postMessage", status=504, delay=1.0, times=2)
    run(slack, 'track new "Slow Slack" --priority P1 --owner <@UBOB|bob>')
    deliver_until_done(bot, clock)
    assert len(fake_slack.posts("UBOB")) == 1
    [row] = outbox_rows(bot)
    assert row.status == "sent" and row.attempts == 3


def test_a_permanent_error_is_kept_and_reported_while_the_rest_goes_out(
    bot, slack, fake_slack, clock, caplog
):
    fake_slack.fail("chat.postMessage", error="channel_not_found")
    run(slack, 'track new "One" --priority P1 --owner <@UBOB|bob>')
    run(slack, 'track new "Two" --priority P1 --owner <@UCAROL|carol>')
    with caplog.at_level(logging.ERROR):
        deliver_until_done(bot, clock)
    statuses = sorted(r.status for r in outbox_rows(bot))
    assert statuses == ["failed", "sent"]
    assert any("channel_not_found" in r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)
    assert len(fake_slack.ok_calls("chat.postMessage")) == 1


def test_a_form_that_cannot_open_says_so_from_a_button_too(bot, slack, fake_slack, errors_logged):
    item_id = run(slack, 'track new "Buttons" --priority P1')["text"].split("*")[1]
    card = run(slack, f"show {item_id}")["blocks"]
    fake_slack.fail("views.open", status=500, times=5)
    press_ephemeral(slack, fake_slack, card, "item_note")
    told = fake_slack.wait_for(lambda: fake_slack.responses and fake_slack.responses[-1])
    assert told["response_type"] == "ephemeral" and "Slack did not answer" in told["text"]
    assert not errors_logged(), "an outage is not a bug"
