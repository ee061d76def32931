"""A week simulated day by day: the scheduler's jobs at their slots, one run through `remediate jobs run`,
Slack misbehaving now and then. Exactly 5 digests and 1 weekly report with its chart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.jobs.registry import JOBS
from bot.jobs.scheduler import missed_slot
from tests.clockwork import add_item, channel_posts, text_of
from tests.processes import BotProcess, bot_env

MONDAY = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
SUNDAY_END = MONDAY + timedelta(days=7)


def _slots(settings, start, end):
    """(time, job) for each cron job's fire times in [start, end), and every hour for the interval jobs
    (they run every few minutes in production; an hour is enough for this week's deadlines)."""
    events = []
    for spec in JOBS.values():
        trigger = spec.trigger(settings)
        if type(trigger).__name__ == "CronTrigger":
            t = trigger.get_next_fire_time(None, start)
            while t is not None and t < end:
                events.append((t.astimezone(UTC), spec.name))
                t = trigger.get_next_fire_time(t, t + timedelta(seconds=1))
        else:
            t = start
            while t < end:
                events.append((t, spec.name))
                t += timedelta(hours=1)
    return sorted(events)


@pytest.mark.slow
def test_a_week_posts_five_digests_and_one_weekly_report(bot, fake_slack, database_url, tmp_path):
    settings = bot.deps.settings
    for day in range(7):  # work due through the week; two items slip and escalate
        add_item(bot.deps, priority="P1", deadline=MONDAY + timedelta(days=day, hours=15), owner="UBOB")
    add_item(bot.deps, priority="P0", deadline=MONDAY + timedelta(days=2, hours=6), owner="UALICE")
    cli_day = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # Wednesday's digest goes through the CLI
    env = bot_env(database_url, fake_slack.url)

    # Slack's per-channel rate limit refills in real seconds, and this week passes in a few; the sender's
    # own pacing (SLACK_CHANNEL_RATE) is what keeps a real deployment under it. The faults are explicit:
    fake_slack.burst = None
    fake_slack.fail("chat.postMessage", status=429, retry_after=1)
    fake_slack.fail("chat.postMessage", status=500, times=2)
    for when, name in _slots(settings, MONDAY, SUNDAY_END):
        bot.clock.set(when)
        if name == "digest" and when == cli_day:
            run = BotProcess(["jobs", "run", "digest", "--at", when.isoformat()], env, tmp_path, "cli-digest")
            assert run.start().wait() == 0, run.stderr()
            assert "posted digest:2026-11-25" in run.stdout() and "delivered 1 message(s)" in run.stdout()
            again = BotProcess(
                ["jobs", "run", "digest", "--at", when.isoformat()], env, tmp_path, "cli-again"
            )
            assert again.start().wait() == 0, again.stderr()
            assert "posted already" in again.stdout()
        else:
            bot.run_job(name, at=when)
        if name == "digest":
            # A restart an hour later catches the slot up: the claim keeps it to one post.
            later = when + timedelta(hours=1)
            assert missed_slot(JOBS["digest"], bot.deps, later) == when
            bot.run_job("digest", at=later)
        bot.clock.set(when + timedelta(minutes=10))  # retries (Retry-After, backoff) come due
        bot.deliver()

    posts = channel_posts(fake_slack)
    digests = [p for p in posts if p["text"].startswith("P0 Remediation Status")]
    assert [p["text"][len("P0 Remediation Status — ") :][:10] for p in digests] == [
        "2026-11-23",
        "2026-11-24",
        "2026-11-25",
        "2026-11-26",
        "2026-11-27",
    ]
    reports = [p for p in posts if p["text"].startswith("Weekly Remediation Report")]
    assert len(reports) == 1 and "Week of 2026-11-16" in reports[0]["text"]
    assert len(fake_slack.files) == 1
    [chart] = fake_slack.files.values()
    assert chart.content.startswith(b"\x89PNG")
    # Escalations happened along the way, each level once.
    escalations = [p for p in posts if "Issue Overdue" in text_of(p)]
    assert len(escalations) == len({(p["text"]) for p in escalations})
    assert any("Level 3" in text_of(p) for p in escalations)  # the P0, 24 h past its deadline
    # Every message arrived exactly once despite the 429 and the two 500s.
    texts = [p["text"] for p in posts]
    assert len(texts) == len(set(texts))
