"""The daily standup digest: once per day, in the template's shape, within Slack's limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.clockwork import action_ids, add_item, channel_posts, text_of
from tests.fakes.blockkit_limits import validate_blocks

MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.mark.both_backends
def test_digest_run_twice_for_the_same_day_posts_once(backend, bot, fake_slack):
    add_item(bot.deps, deadline=MONDAY_9 + timedelta(days=2))
    first = bot.run_job("digest", at=MONDAY_9)
    second = bot.run_job("digest", at=MONDAY_9 + timedelta(minutes=1))
    bot.deliver()
    assert len(first.outbox_ids) == 1 and second.outbox_ids == []
    assert "posted already" in second.summary
    [post] = channel_posts(fake_slack)
    assert "P0 Remediation Status — 2026-11-23" in post["text"]


def test_empty_day_posts_a_short_nothing_open_line(bot, fake_slack):
    bot.run_job("digest", at=MONDAY_9)
    bot.deliver()
    [post] = channel_posts(fake_slack)
    assert "nothing open" in post["text"]
    assert len(post["blocks"]) == 1


def test_no_digest_on_a_day_outside_digest_days(bot, fake_slack):
    result = bot.run_job("digest", at=MONDAY_9 + timedelta(days=5))  # Saturday
    bot.deliver()
    assert result.outbox_ids == [] and "not a digest day" in result.summary
    assert channel_posts(fake_slack) == []


def test_digest_sections_follow_the_standup_template(bot, fake_slack):
    now = MONDAY_9
    done = add_item(
        bot.deps,
        deadline=now + timedelta(hours=5),
        status="completed",
        completed_at=now - timedelta(hours=1),
        title="Async fix deployed",
    )
    steady = add_item(
        bot.deps, deadline=now + timedelta(days=3), priority="P1", last_progress_at=now - timedelta(hours=2)
    )
    blocked = add_item(
        bot.deps,
        deadline=now + timedelta(days=3),
        status="blocked",
        status_reason="Waiting for staging access",
    )
    overdue = add_item(bot.deps, deadline=now - timedelta(hours=3), priority="P2")
    quiet = add_item(bot.deps, deadline=now + timedelta(hours=10), priority="P1")  # no progress note at all
    busy = add_item(
        bot.deps, deadline=now + timedelta(hours=10), priority="P1", last_progress_at=now - timedelta(hours=1)
    )
    bot.run_job("digest", at=now)
    bot.deliver()
    [post] = channel_posts(fake_slack)
    assert validate_blocks(post["blocks"], "message") == []
    seen = text_of(post)
    order = [seen.index(s) for s in ("Completed today", "In progress", "Blocked / at risk", "Alerts")]
    assert order == sorted(order)
    completed_part = seen[seen.index("Completed today") : seen.index("In progress")]
    progress_part = seen[seen.index("In progress") : seen.index("Blocked / at risk")]
    risk_part = seen[seen.index("Blocked / at risk") : seen.index("Alerts")]
    assert done in completed_part
    assert steady in progress_part and busy in progress_part
    assert blocked in risk_part and "Waiting for staging access" in risk_part
    assert overdue in risk_part and quiet in risk_part
    assert "2 items due within 24 hours" in seen
    assert "1 item overdue (P2: 1)" in seen
    # Each item line carries its ID and an Open button.
    for item_id in (done, steady, blocked, overdue, quiet, busy):
        assert f"item_open:{item_id}" in action_ids(post)


def test_sections_past_slacks_limits_are_summarised_never_cut(bot, fake_slack):
    now = MONDAY_9
    for n in range(70):
        add_item(bot.deps, deadline=now + timedelta(days=2, minutes=n), title=f"Steady work {n} " + "x" * 150)
    for n in range(30):
        add_item(bot.deps, deadline=now - timedelta(hours=n + 1), priority="P1")
    bot.run_job("digest", at=now)
    bot.deliver()
    [post] = channel_posts(fake_slack)
    assert validate_blocks(post["blocks"], "message") == []
    assert len(post["blocks"]) <= 50
    seen = text_of(post)
    assert "In progress* (70)" in seen and "58 more: `/remediate list open`" in seen
    assert "Blocked / at risk* (30)" in seen and "18 more" in seen
    assert "30 items overdue (P1: 30)" in seen


def test_open_incidents_are_listed_with_those_held_open_by_the_close_out_rule(bot, fake_slack):
    from storage.models import Incident

    now = MONDAY_9
    with bot.deps.uow() as session:
        for n, (status, severity, until) in enumerate(
            [("mitigating", "P1", None), ("resolved", "P0", now - timedelta(hours=1)), ("closed", "P2", None)]
        ):
            session.add(
                Incident(
                    id=f"INC-20261123-00{n + 1}",
                    title=f"Outage {n}",
                    severity=severity,
                    status=status,
                    declared_by="UALICE",
                    commander_id="UBOB",
                    started_at=now - timedelta(days=2),
                    declared_at=now - timedelta(days=2),
                    updated_at=now,
                    monitoring_until=until,
                )
            )
    bot.run_job("digest", at=now)
    bot.deliver()
    [post] = channel_posts(fake_slack)
    seen = text_of(post)
    assert "Open incidents* (2)" in seen
    assert "INC-20261123-001" in seen and "INC-20261123-002" in seen and "INC-20261123-003" not in seen
    assert "held open" in seen
