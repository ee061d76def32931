"""The escalation ladder end to end: sweeps with an injected clock, the fake Slack, signed button presses."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.slack.ids import Action, keyed
from tests.clockwork import action_ids, add_item, alerts, channel_posts, text_of
from tests.support import INCIDENT_CHANNEL


@pytest.fixture
def settings_overrides():
    return {"escalation_l1": "UDAVE", "escalation_l2": "UBOB", "escalation_l3": "S0EXECS"}


def _sweep(bot, fake_slack, **advance):
    if advance:
        bot.clock.advance(**advance)
    result = bot.run_job("escalations")
    bot.deliver()
    return result


def test_p0_climbs_the_ladder_once_per_level_and_acknowledge_updates_in_place(bot, slack, fake_slack):
    now = bot.clock()
    item_id = add_item(bot.deps, priority="P0", deadline=now - timedelta(hours=5), owner="UALICE", mrr=2500)

    _sweep(bot, fake_slack)
    [post] = channel_posts(fake_slack)
    seen = text_of(post)
    assert item_id in seen and "Level 1" in seen
    assert "<@UALICE>" in seen and "<@UDAVE>" in seen and "<@UBOB>" not in seen
    assert "5.0 hours" in seen and "$2,500 MRR at risk" in seen and "Required Actions" in seen
    [alert] = alerts(bot.deps, item_id)
    assert set(action_ids(post)) >= {
        keyed(Action.ALERT_ACK, alert.id),
        keyed(Action.ALERT_SNOOZE, alert.id),
        keyed(Action.ALERT_STATUS_UPDATE, alert.id),
    }
    [dm] = fake_slack.messages("UALICE")
    assert item_id in text_of(dm)

    # The next sweeps post nothing new.
    _sweep(bot, fake_slack, minutes=5)
    _sweep(bot, fake_slack, minutes=5)
    assert len(channel_posts(fake_slack)) == 1
    assert len(fake_slack.messages("UALICE")) == 1

    # Acknowledge: recorded, and the same message is updated in place.
    reply = slack.block_action(keyed(Action.ALERT_ACK, alert.id), user="UDAVE", channel=INCIDENT_CHANNEL)
    assert reply.status == 200
    fake_slack.wait_for(
        lambda: len(fake_slack.ok_calls("chat.update")) >= 2, message="alert updated in place"
    )
    [post] = channel_posts(fake_slack)
    assert "Acknowledged by <@UDAVE>" in text_of(post)
    assert keyed(Action.ALERT_ACK, alert.id) not in action_ids(post)
    [alert] = alerts(bot.deps, item_id)
    assert alert.acked_by == "UDAVE" and alert.acked_at == bot.clock()

    # 9 h overdue: one Level-2 alert (acknowledging Level 1 does not stop it).
    bot.clock.set(now + timedelta(hours=4))
    _sweep(bot, fake_slack)
    _sweep(bot, fake_slack, minutes=5)
    posts = channel_posts(fake_slack)
    assert len(posts) == 2
    assert "Level 2" in text_of(posts[1]) and "<@UBOB>" in text_of(posts[1])

    # 25 h overdue: one Level-3 alert, mentioning the executives' user group.
    bot.clock.set(now + timedelta(hours=20))
    _sweep(bot, fake_slack)
    _sweep(bot, fake_slack, minutes=5)
    posts = channel_posts(fake_slack)
    assert len(posts) == 3
    assert "Level 3" in text_of(posts[2]) and "<!subteam^S0EXECS>" in text_of(posts[2])
    assert [a.level for a in alerts(bot.deps, item_id)] == [1, 2, 3]
    assert len(fake_slack.messages("UALICE")) == 3


def test_after_downtime_each_missed_level_fires_once_in_order(bot, fake_slack):
    now = bot.clock()
    item_id = add_item(bot.deps, priority="P0", deadline=now - timedelta(hours=30))
    _sweep(bot, fake_slack)
    _sweep(bot, fake_slack, minutes=5)
    posts = channel_posts(fake_slack)
    headlines = [p["blocks"][0]["text"]["text"] for p in posts]
    assert ["Level 1 (Standard" in headlines[0], "Level 2 (Management" in headlines[1]] == [True, True]
    assert len(headlines) == 3 and "Level 3 (Executive" in headlines[2]
    assert [a.level for a in alerts(bot.deps, item_id)] == [1, 2, 3]


def test_p3_never_escalates_and_closed_items_are_left_alone(bot, fake_slack):
    now = bot.clock()
    add_item(bot.deps, priority="P3", deadline=now - timedelta(days=30))
    add_item(bot.deps, priority="P0", deadline=now - timedelta(hours=30), status="completed")
    add_item(bot.deps, priority="P1", deadline=now - timedelta(hours=11))  # Level 1 is at 12 h
    _sweep(bot, fake_slack)
    assert channel_posts(fake_slack) == []
    assert alerts(bot.deps) == []


def test_someone_unrelated_cannot_acknowledge(bot, slack, fake_slack):
    item_id = add_item(bot.deps, priority="P0", deadline=bot.clock() - timedelta(hours=5), owner="UALICE")
    _sweep(bot, fake_slack)
    [alert] = alerts(bot.deps, item_id)
    slack.block_action(keyed(Action.ALERT_ACK, alert.id), user="UCAROL_NOT", channel=INCIDENT_CHANNEL)
    fake_slack.wait_for(lambda: fake_slack.responses, message="an ephemeral refusal")
    assert "Only" in fake_slack.responses[-1]["text"]
    [alert] = alerts(bot.deps, item_id)
    assert alert.acked_by is None
