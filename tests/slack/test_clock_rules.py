"""Quiet hours end to end, through signed requests: an assignment notice at 23:00 in its owner's zone waits
for the end of their quiet hours; a P0 notice and the on-call page do not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.services.incidents.clocks import sweep_incident_escalations
from tests.clockwork import cache_users, outbox_rows, text_of
from tests.slack.incident_steps import declare
from tests.slack.item_steps import create

NIGHT = datetime(2026, 11, 23, 22, 0, tzinfo=UTC)  # 23:00 in Berlin (bob), 22:00 in UTC (carol)
MORNING = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)  # 08:00 in Berlin


@pytest.fixture
def settings_overrides():
    return {"quiet_hours": "20:00-08:00", "oncall": "UCAROL"}


def test_an_assignment_notice_at_night_waits_for_the_morning_but_pages_do_not(bot, slack, fake_slack, clock):
    cache_users(bot.deps)
    clock.set(NIGHT)
    p1 = create(slack, '"Rotate the signing keys" --priority P1 --owner <@UBOB|bob>')
    p0 = create(slack, '"Restore the checkout" --priority P0 --owner <@UBOB|bob>')
    inc = declare(slack, fake_slack, bot, severity="P0", title="Checkout is down")
    clock.set(NIGHT + timedelta(minutes=5))  # unacknowledged: the on-call is paged
    paged = sweep_incident_escalations(bot.deps, clock())
    assert paged
    bot.deliver()

    # The P0 notice and the page arrive at once, at 23:00 and 22:05 in their readers' zones.
    [p0_notice] = fake_slack.wait_for(lambda: fake_slack.messages("UBOB"), message="the P0 notice")
    assert p0 in text_of(p0_notice) and p1 not in text_of(p0_notice)
    [page] = fake_slack.wait_for(lambda: fake_slack.messages("UCAROL"), message="the on-call page")
    assert inc.id in page["text"]
    # The P1 assignment notice waits, queued, until 08:00 in Berlin.
    [held] = [
        r for r in outbox_rows(bot.deps) if r.status == "pending" and r.payload.get("channel") == "UBOB"
    ]
    assert held.not_before == MORNING and p1 in held.payload["text"]
    clock.set(MORNING - timedelta(minutes=1))
    bot.deliver()
    assert len(fake_slack.messages("UBOB")) == 1

    clock.set(MORNING)
    bot.deliver()
    later = fake_slack.wait_for(
        lambda: fake_slack.messages("UBOB")[1:], message="the P1 notice at the end of quiet hours"
    )
    assert [p1 in text_of(m) for m in later] == [True]
