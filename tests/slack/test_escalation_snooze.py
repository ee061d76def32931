"""Snoozing an alert, posting a status update from it, quiet hours and the grouped outage sweep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.slack.ids import Action, AlertInput, View, keyed
from storage import queries
from tests.clockwork import add_item, alerts, cache_users, channel_posts, outbox_rows, text_of
from tests.fakes.blockkit_limits import validate_blocks
from tests.fakes.signing import plain_value
from tests.support import INCIDENT_CHANNEL


@pytest.fixture
def settings_overrides():
    return {"escalation_l1": "UDAVE", "escalation_l2": "UBOB", "quiet_hours": "20:00-08:00"}


def _sweep(bot):
    result = bot.run_job("escalations")
    bot.deliver()
    return result


def _snooze(slack, alert_id, choice, user="UALICE"):
    return slack.block_action(
        keyed(Action.ALERT_SNOOZE, alert_id),
        user=user,
        channel=INCIDENT_CHANNEL,
        action_type="static_select",
        selected_option={"text": {"type": "plain_text", "text": choice}, "value": choice},
    )


def _timeline(bot, item_id):
    with bot.deps.uow(readonly=True) as session:
        events = queries.timeline(session, subject_id=item_id)
        return [(e.kind, e.summary) for e in events]


def test_snoozing_two_hours_delays_the_next_level_and_says_so_on_the_timeline(bot, slack, fake_slack):
    start = bot.clock()
    item_id = add_item(bot.deps, priority="P0", deadline=start - timedelta(hours=5))
    _sweep(bot)
    [alert] = alerts(bot.deps, item_id)

    assert _snooze(slack, alert.id, "2h").status == 200
    fake_slack.wait_for(lambda: fake_slack.ok_calls("chat.update"), message="alert updated in place")
    bot.deliver()
    [post] = channel_posts(fake_slack)
    assert "Snoozed by <@UALICE>" in text_of(post)
    kinds = dict(_timeline(bot, item_id))
    assert "escalation_snoozed" in kinds and "Level 2 now fires" in kinds["escalation_snoozed"]
    assert "Snoozed for 2 hours" in fake_slack.responses[-1]["text"]

    bot.clock.set(
        start + timedelta(hours=4, minutes=30)
    )  # 9.5 h overdue: Level 2 was due at 8 h, now at 10 h
    _sweep(bot)
    assert len(channel_posts(fake_slack)) == 1
    bot.clock.set(start + timedelta(hours=5))
    _sweep(bot)
    posts = channel_posts(fake_slack)
    assert len(posts) == 2 and "Level 2 (Management" in text_of(posts[1])


def test_snoozing_until_tomorrow_uses_the_owners_morning(bot, slack, fake_slack):
    start = bot.clock()  # Monday 14:00 UTC = 09:00 in New York (alice)
    item_id = add_item(bot.deps, priority="P0", deadline=start - timedelta(hours=5), owner="UALICE")
    _sweep(bot)
    [alert] = alerts(bot.deps, item_id)
    _snooze(slack, alert.id, "tomorrow", user="UDAVE")
    fake_slack.wait_for(lambda: fake_slack.responses, message="snooze confirmed")
    [alert] = alerts(bot.deps, item_id)
    assert alert.snoozed_until == datetime(2026, 11, 24, 14, 0, tzinfo=UTC)  # Tuesday 09:00 in New York
    bot.clock.set(datetime(2026, 11, 24, 13, 55, tzinfo=UTC))
    _sweep(bot)
    assert len(channel_posts(fake_slack)) == 1
    bot.clock.set(datetime(2026, 11, 24, 17, 0, tzinfo=UTC))  # Level 2: 8 h + 24 h snoozed past the deadline
    _sweep(bot)
    assert len(channel_posts(fake_slack)) == 2


def test_post_status_update_notes_progress_acknowledges_and_answers_in_the_thread(bot, slack, fake_slack):
    item_id = add_item(bot.deps, priority="P0", deadline=bot.clock() - timedelta(hours=5))
    _sweep(bot)
    [alert] = alerts(bot.deps, item_id)
    slack.block_action(keyed(Action.ALERT_STATUS_UPDATE, alert.id), user="UALICE", channel=INCIDENT_CHANNEL)
    [view] = fake_slack.wait_for(
        lambda: [v for v in fake_slack.views.values() if v["callback_id"] == View.ITEM_STATUS_UPDATE],
        message="status update modal",
    )
    field = AlertInput.STATUS_TEXT.value
    reply = slack.view_submission(
        View.ITEM_STATUS_UPDATE.value,
        {field: {field: plain_value("Fix is in review, deploying at 16:00 <!channel>")}},
        user="UALICE",
        view_id=view["id"],
    )
    assert reply.status == 200
    thread = fake_slack.wait_for(
        lambda: [m for m in fake_slack.messages(INCIDENT_CHANNEL) if m.get("thread_ts")],
        message="the update in the alert's thread",
    )
    assert "Fix is in review" in thread[0]["text"] and "<!channel>" not in thread[0]["text"]
    [alert] = alerts(bot.deps, item_id)
    assert alert.acked_by == "UALICE"
    assert "note" in dict(_timeline(bot, item_id))


def test_quiet_hours_hold_dms_but_not_channel_posts_nor_p0_pages(bot, fake_slack):
    cache_users(bot.deps)
    night = datetime(2026, 11, 23, 21, 0, tzinfo=UTC)  # 22:00 in Berlin (bob), 06:00 in Tokyo (dave)
    bot.clock.set(night)
    p1 = add_item(bot.deps, priority="P1", deadline=night - timedelta(hours=13), owner="UBOB")
    p0 = add_item(bot.deps, priority="P0", deadline=night - timedelta(hours=5), owner="UDAVE")
    _sweep(bot)
    assert len(channel_posts(fake_slack)) == 2
    assert [p0 in text_of(m) for m in fake_slack.messages("UDAVE")] == [True]  # the P0 page is not held
    assert fake_slack.messages("UBOB") == []
    [held] = [m for m in outbox_rows(bot.deps) if m.payload.get("channel") == "UBOB"]
    assert held.not_before == datetime(2026, 11, 24, 7, 0, tzinfo=UTC)  # 08:00 in Berlin

    bot.clock.set(datetime(2026, 11, 24, 7, 0, tzinfo=UTC))
    bot.deliver()
    [dm] = fake_slack.messages("UBOB")
    assert p1 in text_of(dm)


def test_acknowledging_before_a_held_dm_goes_out_revises_it_instead_of_updating(bot, slack, fake_slack):
    cache_users(bot.deps)
    night = datetime(2026, 11, 23, 21, 0, tzinfo=UTC)
    bot.clock.set(night)
    item_id = add_item(bot.deps, priority="P1", deadline=night - timedelta(hours=13), owner="UBOB")
    _sweep(bot)
    [alert] = alerts(bot.deps, item_id)
    slack.block_action(keyed(Action.ALERT_ACK, alert.id), user="UBOB", channel=INCIDENT_CHANNEL)
    fake_slack.wait_for(lambda: fake_slack.ok_calls("chat.update"), message="channel post updated")
    bot.clock.set(datetime(2026, 11, 24, 7, 0, tzinfo=UTC))
    bot.deliver()
    [dm] = fake_slack.messages("UBOB")
    assert "Acknowledged by <@UBOB>" in text_of(dm)
    assert all(c.response.get("ok") for c in fake_slack.calls_to("chat.update"))


def test_an_outage_sweep_posts_one_grouped_message_per_level_and_one_dm_per_owner(bot, fake_slack):
    now = bot.clock()
    owners = ["UALICE", "UBOB", "UCAROL", "UDAVE", "UADMIN"]
    for n in range(500):
        add_item(
            bot.deps, priority="P1", deadline=now - timedelta(hours=13, minutes=n % 50), owner=owners[n % 5]
        )
    for _ in range(5):
        add_item(bot.deps, priority="P0", deadline=now - timedelta(hours=9), owner="UALICE")
    bot.clock.set(datetime(2026, 11, 23, 14, 0, tzinfo=UTC))
    _sweep(bot)
    posts = channel_posts(fake_slack)
    # Level 1: 505 alerts in one post; Level 2: the five P0s in one post.
    assert len(posts) == 2
    assert "505 remediation items overdue" in posts[0]["text"]
    assert "5 remediation items overdue" in posts[1]["text"]
    for post in posts:
        assert validate_blocks(post["blocks"], "message") == []
        assert len(post["blocks"]) <= 50
    assert "more overdue items" in text_of(posts[0])
    for owner in owners:
        dms = fake_slack.messages(owner)
        assert len(dms) == 1, owner
        assert validate_blocks(dms[0]["blocks"], "message") == []
    assert len(alerts(bot.deps)) == 510
    _sweep(bot)
    assert len(channel_posts(fake_slack)) == 2
