"""Due-soon reminders: one DM per item when it comes within 24 h of its deadline, never twice."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.clockwork import add_item, text_of


@pytest.mark.both_backends
def test_one_due_soon_dm_per_item_due_within_24_hours(backend, bot, fake_slack):
    now = bot.clock()
    soon = add_item(bot.deps, priority="P1", deadline=now + timedelta(hours=5), owner="UBOB")
    p0 = add_item(bot.deps, priority="P0", deadline=now + timedelta(hours=2), owner="UALICE")
    later = add_item(bot.deps, priority="P2", deadline=now + timedelta(hours=30), owner="UCAROL")
    add_item(bot.deps, priority="P2", deadline=now + timedelta(hours=3), owner=None)  # nobody to tell
    add_item(bot.deps, priority="P2", deadline=now + timedelta(hours=3), status="completed", owner="UDAVE")

    bot.run_job("reminders")
    bot.deliver()
    [bob] = fake_slack.messages("UBOB")
    [alice] = fake_slack.messages("UALICE")
    assert soon in text_of(bob) and "Due within 24 hours" in text_of(bob)
    assert p0 in text_of(alice)
    assert fake_slack.messages("UCAROL") == [] and fake_slack.messages("UDAVE") == []

    for _ in range(3):  # the next runs remind nobody again
        bot.clock.advance(minutes=5)
        bot.run_job("reminders")
    bot.deliver()
    assert len(fake_slack.messages("UBOB")) == 1 and len(fake_slack.messages("UALICE")) == 1

    bot.clock.advance(hours=7)  # now `later` is within 24 h
    bot.run_job("reminders")
    bot.deliver()
    [carol] = fake_slack.messages("UCAROL")
    assert later in text_of(carol)


def test_an_owner_with_many_items_due_gets_one_dm_listing_them(bot, fake_slack):
    now = bot.clock()
    ids = [
        add_item(bot.deps, priority="P2", deadline=now + timedelta(hours=h), owner="UBOB")
        for h in range(1, 8)
    ]
    bot.run_job("reminders")
    bot.deliver()
    [dm] = fake_slack.messages("UBOB")
    assert "7 of your remediation items are due within 24 hours" in dm["text"]
    assert all(i in text_of(dm) for i in ids)
