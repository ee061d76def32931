"""The incident clocks end to end: pages, escalations, update nudges and close-outs, on the injected clock."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.services.incidents.clocks import sweep_incident_escalations, sweep_incident_reminders
from bot.slack.ids import Action
from storage.models import Alert
from tests.slack.incident_steps import declare, incident, press, text_of, thread, wait_card
from tests.support import INCIDENT_CHANNEL

JOBS_READY = (Path(__file__).resolve().parents[2] / "bot/jobs/escalations.py").exists()


@pytest.fixture
def settings_overrides() -> dict[str, str]:
    return {"oncall": "UCAROL", "incident_escalation_l2": "UBOB", "incident_escalation_l3": "UDAVE,S0CTO"}


def _pages(fake, incident_id):
    return [m for m in fake.messages(INCIDENT_CHANNEL) if m["text"].startswith(f"Page: {incident_id}")]


def _escalations(fake, incident_id):
    return [m for m in fake.messages(INCIDENT_CHANNEL) if f"escalation: {incident_id}" in m["text"]]


def _sent(fake, outbox_ids, bot):
    """Wait until the sender has delivered what a sweep queued."""
    assert bot.bot.notifier.wait_sent(outbox_ids, timeout=10)


@pytest.mark.both_backends
def test_unacknowledged_p0_pages_once_at_5_minutes_and_escalates_once_per_level(
    bot, slack, fake_slack, clock
):
    inc = declare(slack, fake_slack, bot, severity="P0", title="Checkout is down")
    start = clock()

    for minute in (1, 4):  # before the initial-response time: nothing
        assert sweep_incident_escalations(bot.deps, start + timedelta(minutes=minute)) == []

    clock.set(start + timedelta(minutes=5))
    queued = sweep_incident_escalations(bot.deps, clock())
    assert len(queued) == 2  # the channel page and the on-call's DM
    _sent(fake_slack, queued, bot)
    page = _pages(fake_slack, inc.id)
    assert len(page) == 1
    said = text_of(page[0])
    assert "<@UCAROL>" in said and "(P0)" in said and "open 5m" in said and "acknowledge it now" in said
    dm = fake_slack.messages("UCAROL")
    assert len(dm) == 1 and dm[0]["text"] == page[0]["text"]

    for minute in (6, 10, 14):  # every further run before Level 2: nothing more
        clock.set(start + timedelta(minutes=minute))
        assert sweep_incident_escalations(bot.deps, clock()) == []

    clock.set(start + timedelta(minutes=15))
    _sent(fake_slack, sweep_incident_escalations(bot.deps, clock()), bot)
    clock.set(start + timedelta(minutes=20))
    assert sweep_incident_escalations(bot.deps, clock()) == []
    clock.set(start + timedelta(minutes=30))
    _sent(fake_slack, sweep_incident_escalations(bot.deps, clock()), bot)
    for minute in (31, 45, 120):
        assert sweep_incident_escalations(bot.deps, start + timedelta(minutes=minute)) == []

    level2, level3 = _escalations(fake_slack, inc.id)
    assert "Level 2" in level2["text"] and "<@UBOB>" in text_of(level2) and "open 15m" in text_of(level2)
    assert "engineering manager" in text_of(level2)
    assert "Level 3" in level3["text"] and "<@UDAVE> <!subteam^S0CTO>" in text_of(level3)
    assert "open 30m" in text_of(level3) and "CTO" in text_of(level3)
    assert len(_pages(fake_slack, inc.id)) == 1

    with bot.uow() as session:
        fired = [(a.kind, a.level) for a in session.exec(select(Alert).where(Alert.subject_id == inc.id))]
    assert sorted(fired) == [("incident-escalation", 2), ("incident-escalation", 3), ("incident-response", 1)]
    metrics = bot.deps.metrics.render().decode()
    assert 'remediate_escalations_fired_total{kind="incident-escalation",level="2"} 1.0' in metrics


@pytest.mark.both_backends
def test_after_downtime_each_missed_level_fires_once_in_order(bot, slack, fake_slack, clock):
    inc = declare(slack, fake_slack, bot, severity="P0")
    clock.advance(minutes=45)  # the bot was down through the page and both escalations
    queued = sweep_incident_escalations(bot.deps, clock())
    _sent(fake_slack, queued, bot)
    assert sweep_incident_escalations(bot.deps, clock()) == []
    texts = [
        m["text"]
        for m in fake_slack.messages(INCIDENT_CHANNEL)
        if inc.id in m["text"] and not m.get("thread_ts")
    ]
    order = [t.split(":")[0] for t in texts if t.startswith(("Page", "Level"))]
    assert order == ["Page", "Level 2 escalation", "Level 3 escalation"]


def test_acknowledged_in_time_no_page_and_resolved_in_time_no_escalation(bot, slack, fake_slack, clock):
    inc = declare(slack, fake_slack, bot, severity="P1")
    card = wait_card(fake_slack, inc.id)
    clock.advance(minutes=10)
    press(slack, Action.INCIDENT_ACK, card, user="UCAROL")
    clock.advance(minutes=40)  # 50m: past the page time, before P1's Level 2 (1h)
    assert sweep_incident_escalations(bot.deps, clock()) == []
    slack.command("/incident", f'resolve {inc.id} "root cause: full disk; cleaned up"', user="UCAROL")
    clock.advance(hours=3)
    assert sweep_incident_escalations(bot.deps, clock()) == []
    assert _pages(fake_slack, inc.id) == [] and _escalations(fake_slack, inc.id) == []


def test_overdue_status_updates_nudge_the_commander_once_per_missed_interval(bot, slack, fake_slack, clock):
    inc = declare(slack, fake_slack, bot, severity="P0", commander="UBOB")
    card = wait_card(fake_slack, inc.id)
    start = clock()

    assert sweep_incident_reminders(bot.deps, start + timedelta(minutes=14)) == []
    clock.set(start + timedelta(minutes=15))
    _sent(fake_slack, sweep_incident_reminders(bot.deps, clock()), bot)
    for minute in (16, 20, 29):
        assert sweep_incident_reminders(bot.deps, start + timedelta(minutes=minute)) == []
    clock.set(start + timedelta(minutes=31))
    _sent(fake_slack, sweep_incident_reminders(bot.deps, clock()), bot)
    assert sweep_incident_reminders(bot.deps, start + timedelta(minutes=40)) == []

    nudges = [m for m in thread(fake_slack, card) if m["text"].startswith("Status update overdue")]
    assert len(nudges) == 2
    said = text_of(nudges[0])
    assert "<@UBOB>" in said and inc.id in said and "(P0, open 15m)" in said and "post an update now" in said

    # An update resets the clock: no nudge until the next one is due.
    clock.set(start + timedelta(minutes=41))
    slack.command("/incident", f'update {inc.id} identified "Found it" --next 1h', user="UBOB")
    assert incident(bot, inc.id).next_update_due == clock() + timedelta(hours=1)
    assert sweep_incident_reminders(bot.deps, clock() + timedelta(minutes=59)) == []
    assert sweep_incident_reminders(bot.deps, clock() + timedelta(minutes=60)) != []


@pytest.mark.skipif(not JOBS_READY, reason="bot/jobs/escalations.py is not there yet")
def test_the_escalations_job_runs_the_incident_sweep(bot, slack, fake_slack, clock):
    inc = declare(slack, fake_slack, bot, severity="P0")
    result = bot.run_job("escalations", at=clock() + timedelta(minutes=16))
    assert len(result.outbox_ids) >= 3  # page (channel and DM) and Level 2
    fake_slack.wait_for(lambda: len(_escalations(fake_slack, inc.id)) == 1, message="the Level 2 escalation")
    again = bot.run_job("escalations", at=clock() + timedelta(minutes=1))
    assert not [i for i in again.outbox_ids if i in result.outbox_ids]
    assert len(_pages(fake_slack, inc.id)) == 1


@pytest.mark.skipif(not JOBS_READY, reason="bot/jobs/reminders.py is not there yet")
def test_the_reminders_job_nudges_and_closes_after_monitoring(bot, slack, fake_slack, clock):
    inc = declare(slack, fake_slack, bot, severity="P3", title="Docs typo")
    card = wait_card(fake_slack, inc.id)
    bot.run_job("reminders", at=clock() + timedelta(days=7))
    fake_slack.wait_for(
        lambda: [m for m in thread(fake_slack, card) if m["text"].startswith("Status update overdue")],
        message="the weekly P3 nudge",
    )
    slack.command("/incident", f'resolve {inc.id} "fixed the typo"')
    bot.run_job("reminders", at=clock() + timedelta(minutes=59))
    assert incident(bot, inc.id).status == "resolved"
    bot.run_job("reminders", at=clock() + timedelta(minutes=1))  # P3 monitors for 1h
    assert incident(bot, inc.id).status == "closed"
