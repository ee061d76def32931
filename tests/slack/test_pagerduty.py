"""PagerDuty both ways, end to end: the real server and database, the fake Slack, a fake PagerDuty Events
API v2 on loopback that checks every event, V3 web hooks signed as PagerDuty signs them, an injected clock."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.services.incidents.clocks import sweep_incident_escalations
from bot.slack.ids import Action
from storage import queries
from storage.models import Incident
from tests.fakes.pagerduty import FakePagerDuty, webhook
from tests.slack.incident_steps import cards, declare, incident, press, settle, text_of, thread, wait_card
from tests.slack.notification_steps import (
    attempts,
    bot_with,
    deliveries,
    get,
    outage,
    pending,
    post_hook,
    resolve_in_slack,
    wait_until,
    worker,
)
from tests.support import INCIDENT_CHANNEL, make_settings, snapshot

ROUTING_KEY = "R0ut1ngKeyOfTheRemediateService1"
SECRET = "pagerduty-webhook-secret-current"
OLD_SECRET = "pagerduty-webhook-secret-rotated"


@pytest.fixture
def pagerduty():
    fake = FakePagerDuty(ROUTING_KEY)
    yield fake
    fake.close()


@pytest.fixture
def bot(fake_slack, clock, database_url, pagerduty):
    settings = make_settings(
        database_url,
        fake_slack.url,
        **{
            "oncall": "UCAROL",
            "incident_escalation_l2": "UBOB",
            "pagerduty_routing_key": ROUTING_KEY,
            "pagerduty_events_url": pagerduty.url,
            "pagerduty_webhook_secret": SECRET,
            "pagerduty_page_item_escalations": True,
        },
    )
    with bot_with(settings, clock) as harness:
        yield harness


def _page_at_response_time(bot, fake_slack, inc, start):
    """Run the clocks' sweep before and at the P0 response time (5 minutes)."""
    for minute in (1, 4):
        bot.clock.set(start + timedelta(minutes=minute))
        assert sweep_incident_escalations(bot.deps, bot.clock()) == []
    bot.clock.set(start + timedelta(minutes=5))
    queued = sweep_incident_escalations(bot.deps, bot.clock())
    assert bot.bot.notifier.wait_sent(queued, timeout=10)
    return [m for m in fake_slack.messages(INCIDENT_CHANNEL) if m["text"].startswith(f"Page: {inc.id}")]


def _pd_hook(bot, event_type, incident_key, *, secrets=(SECRET,), **kwargs):
    body, headers = webhook(list(secrets), event_type=event_type, incident_key=incident_key, **kwargs)
    return post_hook(bot, "/hooks/pagerduty", body, headers)


@pytest.mark.both_backends
def test_unacknowledged_p0_triggers_once_at_its_response_time_then_slack_acknowledges_and_resolves(
    bot, slack, fake_slack, pagerduty, clock
):
    inc = declare(slack, fake_slack, bot, severity="P0", title="Checkout is down")
    start = clock()
    assert pagerduty.accepted == []

    slack_page = _page_at_response_time(bot, fake_slack, inc, start)
    assert len(slack_page) == 1
    wait_until(lambda: pagerduty.actions(inc.id), message="the trigger")
    [trigger] = pagerduty.accepted
    assert trigger["event_action"] == "trigger" and trigger["dedup_key"] == inc.id
    assert trigger["routing_key"] == ROUTING_KEY
    payload = trigger["payload"]
    assert payload["severity"] == "critical" and "Checkout is down" in payload["summary"]
    assert inc.id in payload["summary"] and payload["source"]
    assert payload["timestamp"].startswith(start.date().isoformat())
    details = payload["custom_details"]
    assert details["impact"] == "All API calls fail" and details["users_affected"] == 1200
    assert details["commander"] and details["slack"].startswith("https://slack.com/app_redirect?channel=")
    assert trigger["links"][0]["href"] == details["slack"]

    # Later sweeps before acknowledgement page nothing more, in Slack or in PagerDuty.
    for minute in (6, 10, 14):
        clock.set(start + timedelta(minutes=minute))
        sweep_incident_escalations(bot.deps, clock())
    worker(bot, "pagerduty").drain()
    assert pagerduty.actions(inc.id) == ["trigger"]
    assert pagerduty.incidents[inc.id].triggers == 1

    card = wait_card(fake_slack, inc.id)
    press(slack, Action.INCIDENT_ACK, card, user="UCAROL")
    wait_until(lambda: pagerduty.actions(inc.id) == ["trigger", "acknowledge"], message="the acknowledge")
    assert pagerduty.incidents[inc.id].status == "acknowledged"

    clock.advance(minutes=20)
    updated = next(m for m in fake_slack.messages(INCIDENT_CHANNEL) if m["ts"] == card["ts"])
    resolve_in_slack(slack, fake_slack, updated, summary="bad config flag; rolled back")
    wait_until(lambda: pagerduty.actions(inc.id)[-1:] == ["resolve"], message="the resolve")
    worker(bot, "pagerduty").drain()
    assert pagerduty.actions(inc.id) == ["trigger", "acknowledge", "resolve"]
    assert pagerduty.incidents[inc.id].status == "resolved"
    assert pagerduty.rejected == []


def test_the_escalations_job_run_twice_at_the_response_time_pages_once_in_slack_and_in_pagerduty(
    bot, slack, fake_slack, pagerduty, clock
):
    inc = declare(slack, fake_slack, bot, severity="P0", title="Checkout is down")
    start = clock()
    bot.run_job("escalations", at=start + timedelta(minutes=4, seconds=59))
    bot.deliver()
    worker(bot, "pagerduty").drain()
    assert pagerduty.accepted == [] and deliveries(bot, "pagerduty") == []

    at_response_time = start + timedelta(minutes=5)
    for _ in range(2):  # two schedulers (or a catch-up and the scheduled run) at the same instant
        bot.run_job("escalations", at=at_response_time)
        bot.deliver()
    wait_until(lambda: pagerduty.actions(inc.id), message="the trigger")
    worker(bot, "pagerduty").drain()
    assert pagerduty.actions(inc.id) == ["trigger"] and pagerduty.incidents[inc.id].triggers == 1
    assert (
        len([m for m in fake_slack.messages(INCIDENT_CHANNEL) if m["text"].startswith(f"Page: {inc.id}")])
        == 1
    )
    [row] = deliveries(bot, "pagerduty")
    assert row.status == "sent" and row.payload["dedup_key"] == inc.id
    assert "R0ut1ng" not in str(row.payload)  # the routing key is added at sending, never queued


def test_only_the_configured_severities_page_and_an_incident_acknowledged_in_time_never_does(
    bot, slack, fake_slack, pagerduty, clock
):
    minor = declare(slack, fake_slack, bot, severity="P2", title="Search is slow")
    quick = declare(slack, fake_slack, bot, severity="P0", title="Login fails")
    press(slack, Action.INCIDENT_ACK, wait_card(fake_slack, quick.id), user="UCAROL")
    start = clock()
    for minutes in (5, 60, 61):  # P2's response time is an hour: Slack pages it, PagerDuty never hears of it
        clock.set(start + timedelta(minutes=minutes))
        assert bot.bot.notifier.wait_sent(sweep_incident_escalations(bot.deps, clock()), timeout=10)
    assert [m for m in fake_slack.messages(INCIDENT_CHANNEL) if m["text"].startswith(f"Page: {minor.id}")]
    resolve_in_slack(slack, fake_slack, wait_card(fake_slack, quick.id), summary="restarted the auth service")
    worker(bot, "pagerduty").drain()
    assert pagerduty.accepted == [] and deliveries(bot, "pagerduty") == []


@pytest.mark.both_backends
def test_acknowledging_in_pagerduty_updates_the_slack_card_once_and_is_not_echoed_back(
    bot, slack, fake_slack, pagerduty, clock
):
    inc = declare(slack, fake_slack, bot, severity="P1", title="Payments delayed")
    start = clock()
    clock.set(start + timedelta(minutes=15))  # P1's response time
    assert bot.bot.notifier.wait_sent(sweep_incident_escalations(bot.deps, clock()), timeout=10)
    wait_until(lambda: pagerduty.actions(inc.id) == ["trigger"], message="the trigger")
    assert pagerduty.accepted[0]["payload"]["severity"] == "error"
    card = wait_card(fake_slack, inc.id)
    edits_before = len(fake_slack.edit_history(INCIDENT_CHANNEL, card["ts"]))

    clock.advance(minutes=2)
    # While its secret rotates PagerDuty lists two signatures; one made with ours is enough.
    status, answer = _pd_hook(
        bot,
        "incident.acknowledged",
        inc.id,
        secrets=(OLD_SECRET, SECRET),
        event_id="01EVENTACK",
        agent="Carol Oncall",
    )
    assert status == 202 and answer["outcome"] == "acknowledged", answer
    acked = incident(bot, inc.id)
    assert acked.acknowledged_at == clock()

    def card_acknowledged():
        m = next(m for m in fake_slack.messages(INCIDENT_CHANNEL) if m["ts"] == card["ts"])
        return m if "_not yet_" not in text_of(m) else None

    updated = fake_slack.wait_for(card_acknowledged, message="the card acknowledged in place")
    assert Action.INCIDENT_ACK not in [
        e["action_id"] for b in updated.get("blocks", []) if b.get("type") == "actions" for e in b["elements"]
    ]
    assert "in PagerDuty by Carol Oncall" in text_of(updated)  # who, as PagerDuty names them
    assert "_unassigned_" not in text_of(updated) and "after 17m" in text_of(updated)
    assert len(cards(fake_slack, inc.id)) == 1
    assert len(fake_slack.edit_history(INCIDENT_CHANNEL, card["ts"])) > edits_before
    notes = fake_slack.wait_for(
        lambda: [
            m for m in thread(fake_slack, card) if "acknowledged in PagerDuty by Carol Oncall" in m["text"]
        ],
        message="the thread note",
    )
    assert len(notes) == 1
    with bot.uow() as session:
        timeline = [e.summary for e in queries.timeline(session, subject_id=inc.id)]
    assert "Acknowledged in PagerDuty by Carol Oncall (from PagerDuty)" in timeline
    assert acked.acknowledged_elsewhere == "PagerDuty by Carol Oncall" and acked.acknowledged_by is None

    # A stale copy of the card pressed in Slack afterwards says who acknowledged it, and changes nothing.
    press(slack, Action.INCIDENT_ACK, card, user="UDAVE")
    fake_slack.wait_for(lambda: fake_slack.responses, message="the ephemeral answer")
    assert "already acknowledged in PagerDuty by Carol Oncall" in fake_slack.responses[-1]["text"]
    assert incident(bot, inc.id).acknowledged_by is None

    # The same delivery again (PagerDuty retries when unsure): a repeat, nothing changes.
    settle(bot)
    same = snapshot(bot.deps.engine)
    status, answer = _pd_hook(bot, "incident.acknowledged", inc.id, event_id="01EVENTACK")
    assert status == 200 and answer.get("duplicate") is True
    assert snapshot(bot.deps.engine) == same

    # Never echoed: PagerDuty is not sent an acknowledge for what it told us.
    worker(bot, "pagerduty").drain()
    assert pagerduty.actions(inc.id) == ["trigger"]
    assert [r.method for r in deliveries(bot, "pagerduty")] == ["trigger"]

    # Resolved in PagerDuty: noted in Slack (the incident is resolved here, with what fixed it).
    status, answer = _pd_hook(bot, "incident.resolved", inc.id, agent="Carol Oncall")
    assert status == 202 and answer["outcome"] == "noted"
    fake_slack.wait_for(
        lambda: [m for m in thread(fake_slack, card) if "PagerDuty page of" in m["text"]],
        message="resolve note",
    )
    assert incident(bot, inc.id).status == "investigating"
    with bot.uow() as session:
        timeline = [e.summary for e in queries.timeline(session, subject_id=inc.id)]
    assert "Page resolved in PagerDuty by Carol Oncall (from PagerDuty)" in timeline
    worker(bot, "pagerduty").drain()
    assert pagerduty.actions(inc.id) == ["trigger"]

    # An event about an incident that is not ours (another service's dedup key) is taken and changes nothing.
    settle(bot)
    same = snapshot(bot.deps.engine)
    status, answer = _pd_hook(bot, "incident.acknowledged", "someone-elses-key")
    assert status == 202 and answer["outcome"] == "not ours"
    after = snapshot(bot.deps.engine)
    assert {k: v for k, v in after.items() if k != "claim"} == {k: v for k, v in same.items() if k != "claim"}

    # Resolved in Slack afterwards, with what fixed it: that one is ours, and PagerDuty's page is resolved.
    resolve_in_slack(slack, fake_slack, card, summary="payments queue drained; consumer restarted")
    wait_until(lambda: pagerduty.actions(inc.id) == ["trigger", "resolve"], message="the resolve")
    assert pagerduty.incidents[inc.id].status == "resolved"


@pytest.mark.both_backends
def test_forged_or_stale_pagerduty_hooks_change_nothing(bot, slack, fake_slack, pagerduty, clock):
    inc = declare(slack, fake_slack, bot, severity="P0", title="Database unreachable")
    _page_at_response_time(bot, fake_slack, inc, clock())
    wait_until(lambda: pagerduty.actions(inc.id) == ["trigger"], message="the trigger")
    worker(bot, "pagerduty").drain()
    settle(bot)
    before = snapshot(bot.deps.engine)
    good, headers = webhook([SECRET], event_type="incident.acknowledged", incident_key=inc.id)

    forged = [
        (good, {**headers, "X-PagerDuty-Signature": "v1=" + "0" * 64}),  # made up
        (good, {k: v for k, v in headers.items() if k != "X-PagerDuty-Signature"}),  # unsigned
        (good.replace(b"Dana Oncall", b"Mallory"), headers),  # changed after signing
        webhook(["not-our-secret-at-all"], event_type="incident.acknowledged", incident_key=inc.id),
        (good, {**headers, "X-PagerDuty-Signature": headers["X-PagerDuty-Signature"].replace("v1=", "v0=")}),
    ]
    for body, hdrs in forged:
        status, answer = post_hook(bot, "/hooks/pagerduty", body, hdrs)
        assert status == 401 and answer["ok"] is False, answer
    # Signed, but a day and more old (a replay of a captured request): refused before anything is claimed.
    old_body, old_headers = webhook(
        [SECRET],
        event_type="incident.acknowledged",
        incident_key=inc.id,
        occurred_at=datetime.now(UTC) - timedelta(days=2),
    )
    status, _ = post_hook(bot, "/hooks/pagerduty", old_body, old_headers)
    assert status == 400
    # Signed, but not a V3 web hook.
    body = b'{"messages": []}'
    _sig = webhook([SECRET], event_type="x", incident_key=None)[1]
    from bot.hooks.signatures import hex_hmac

    status, _ = post_hook(
        bot,
        "/hooks/pagerduty",
        body,
        {"Content-Type": "application/json", "X-PagerDuty-Signature": "v1=" + hex_hmac(SECRET, body)},
    )
    assert status == 400

    assert snapshot(bot.deps.engine) == before
    assert incident(bot, inc.id).acknowledged_at is None
    assert pagerduty.actions(inc.id) == ["trigger"]


def test_pagerduty_down_for_minutes_delays_its_events_only_and_loses_or_repeats_none(
    bot, slack, fake_slack, pagerduty, clock
):
    inc = declare(slack, fake_slack, bot, severity="P0", title="Everything is on fire")
    pagerduty.down()
    slack_page = _page_at_response_time(bot, fake_slack, inc, clock())
    assert len(slack_page) == 1 and fake_slack.messages("UCAROL")  # Slack pages at once, PagerDuty or not
    wait_until(lambda: attempts(bot, "pagerduty") >= 1, message="a first attempt")

    outage(bot, "pagerduty", minutes=3)
    card = wait_card(fake_slack, inc.id)
    press(slack, Action.INCIDENT_ACK, card, user="UCAROL")  # acknowledged in Slack during the outage
    fake_slack.wait_for(
        lambda: (
            "_not yet_"
            not in text_of(next(m for m in fake_slack.messages(INCIDENT_CHANNEL) if m["ts"] == card["ts"]))
        ),
        message="the card updated during the outage",
    )
    outage(bot, "pagerduty", minutes=3)
    assert pagerduty.accepted == [] and pending(bot, "pagerduty") == 2

    pagerduty.up()
    clock.advance(minutes=7)  # past the longest backoff
    wait_until(lambda: pagerduty.actions(inc.id) == ["trigger", "acknowledge"], message="both, in order")
    worker(bot, "pagerduty").drain()
    assert pagerduty.actions(inc.id) == ["trigger", "acknowledge"]
    assert pagerduty.incidents[inc.id].triggers == 1 and pagerduty.incidents[inc.id].status == "acknowledged"
    assert pagerduty.attempts > len(pagerduty.accepted) + 5
    assert all(r.status == "sent" for r in deliveries(bot, "pagerduty"))


def test_rate_limited_events_are_retried_and_a_bad_routing_key_fails_once_loudly(
    bot, slack, fake_slack, pagerduty, clock, caplog
):
    first = declare(slack, fake_slack, bot, severity="P0", title="API errors")
    pagerduty.fail_with(429, times=2)
    _page_at_response_time(bot, fake_slack, first, clock())
    wait_until(lambda: attempts(bot, "pagerduty") >= 1, message="a first attempt")
    outage(bot, "pagerduty", minutes=1)
    clock.advance(minutes=1)
    wait_until(lambda: pagerduty.actions(first.id) == ["trigger"], message="the trigger after the 429s")

    second = declare(slack, fake_slack, bot, severity="P0", title="Queue backlog")
    pagerduty.fail_with(400)
    caplog.set_level(logging.ERROR)
    _page_at_response_time(bot, fake_slack, second, clock())
    wait_until(
        lambda: [r for r in deliveries(bot, "pagerduty") if r.status == "failed"], message="the failure"
    )
    [failed] = [r for r in deliveries(bot, "pagerduty") if r.status == "failed"]
    assert "400" in (failed.last_error or "") and "Invalid routing key" in (failed.last_error or "")
    clock.advance(minutes=10)
    worker(bot, "pagerduty").drain()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR and "pagerduty" in r.getMessage()]
    assert len(errors) == 1
    assert ROUTING_KEY not in caplog.text  # the secret never reaches the log

    status, body = get(bot, "/healthz?detail=1")
    assert status == 200
    import json

    detail = json.loads(body)
    assert "Invalid routing key" in json.dumps(detail)
    assert "pagerduty" in json.dumps(detail)
    status, metrics = get(bot, "/metrics")
    assert b'remediate_delivery_permanent_failures_total{destination="pagerduty"} 1.0' in metrics
    assert b'remediate_deliveries_total{destination="pagerduty",outcome="retried"}' in metrics


def test_level_2_escalations_of_overdue_p0_items_page_by_item_and_level(
    bot, slack, fake_slack, pagerduty, clock
):
    from bot.slack.ids import keyed
    from tests.clockwork import add_item, alerts
    from tests.slack.item_steps import run

    now = clock()
    item_id = add_item(bot.deps, priority="P0", deadline=now - timedelta(hours=9), owner="UALICE")
    p1 = add_item(bot.deps, priority="P1", deadline=now - timedelta(hours=30), owner="UALICE")
    bot.run_job("escalations")
    bot.deliver()
    wait_until(lambda: pagerduty.actions(f"{item_id}:L2"), message="the item page")
    clock.advance(hours=16)  # Level 3 at 24 h
    bot.run_job("escalations")
    wait_until(lambda: pagerduty.actions(f"{item_id}:L3"), message="the Level 3 page")
    worker(bot, "pagerduty").drain()
    keys = sorted({e["dedup_key"] for e in pagerduty.accepted})
    assert keys == [f"{item_id}:L2", f"{item_id}:L3"]  # Level 1 and the P1 item do not page
    assert all(not e["dedup_key"].startswith(p1) for e in pagerduty.accepted)
    assert pagerduty.accepted[1]["payload"]["severity"] == "critical"
    with bot.uow() as session:
        assert session.exec(select(Incident)).first() is None

    # The Level 3 alert acknowledged in Slack: that page is acknowledged in PagerDuty (Level 2's stays open).
    level3 = next(a for a in alerts(bot.deps, item_id) if a.level == 3)
    reply = slack.block_action(keyed(Action.ALERT_ACK, level3.id), user="UALICE", channel=INCIDENT_CHANNEL)
    assert reply.status == 200
    wait_until(lambda: pagerduty.actions(f"{item_id}:L3") == ["trigger", "acknowledge"], message="the ack")
    assert pagerduty.incidents[f"{item_id}:L3"].status == "acknowledged"
    assert pagerduty.incidents[f"{item_id}:L2"].status == "triggered"
    # The item done: both its pages are resolved.
    answer = run(slack, f"track {item_id} --status completed", user="UALICE")
    assert item_id in answer["text"], answer
    wait_until(
        lambda: all(pagerduty.incidents[f"{item_id}:L{n}"].status == "resolved" for n in (2, 3)),
        message="both pages resolved",
    )
    worker(bot, "pagerduty").drain()
    assert pagerduty.actions(f"{item_id}:L2") == ["trigger", "resolve"]
    assert pagerduty.actions(f"{item_id}:L3") == ["trigger", "acknowledge", "resolve"]


def test_an_acknowledgement_whose_data_omits_its_type_is_read_by_the_events_resource_type(
    bot, slack, fake_slack, pagerduty, clock
):
    import hashlib
    import hmac
    import json

    inc = declare(slack, fake_slack, bot, severity="P1", title="Payments delayed")
    body, headers = webhook([SECRET], event_type="incident.acknowledged", incident_key=inc.id, agent="Erin")
    event = json.loads(body)
    del event["event"]["data"]["type"]  # the event still says resource_type "incident"
    raw = json.dumps(event).encode()
    signed = {
        **headers,
        "X-PagerDuty-Signature": "v1=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest(),
    }
    status, answer = post_hook(bot, "/hooks/pagerduty", raw, signed)
    assert status == 202 and answer["outcome"] == "acknowledged", answer
    assert incident(bot, inc.id).acknowledged_elsewhere == "PagerDuty by Erin"


def test_an_event_stamped_by_the_bots_own_clock_is_fresh_and_one_a_day_older_than_both_clocks_is_not(
    bot, slack, fake_slack, pagerduty, clock
):
    inc = declare(slack, fake_slack, bot, severity="P1", title="Payments delayed")
    clock.advance(minutes=3)
    settle(bot)
    before = snapshot(bot.deps.engine)
    stale = webhook(
        [SECRET],
        event_type="incident.acknowledged",
        incident_key=inc.id,
        occurred_at=clock() - timedelta(days=2),
    )
    assert post_hook(bot, "/hooks/pagerduty", *stale)[0] == 400
    assert snapshot(bot.deps.engine) == before
    # A rehearsal on a moved clock: PagerDuty's event carries that clock's time.
    body, headers = webhook(
        [SECRET], event_type="incident.acknowledged", incident_key=inc.id, occurred_at=clock()
    )
    status, answer = post_hook(bot, "/hooks/pagerduty", body, headers)
    assert status == 202 and answer["outcome"] == "acknowledged", answer
    assert incident(bot, inc.id).acknowledged_at == clock()
