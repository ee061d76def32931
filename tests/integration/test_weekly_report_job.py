"""The weekly executive report: the template's sections, the KPIs, once per week, with its chart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.reports.weekly import reported_week
from storage.models import Alert
from tests.clockwork import add_item, channel_posts, text_of
from tests.fakes.blockkit_limits import validate_blocks

MONDAY_9 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # reports the week of Monday 2026-11-23
WEEK_START = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)


def _resolved(bot, *, priority, hours, on_time=True, prevention=("Added a test",), validated=False, **kw):
    completed = WEEK_START + timedelta(days=1, hours=hours)
    created = completed - timedelta(hours=hours)
    deadline = completed + timedelta(hours=1) if on_time else completed - timedelta(hours=1)
    return add_item(
        bot.deps,
        priority=priority,
        created_at=created,
        deadline=deadline,
        completed_at=completed,
        validated_at=completed + timedelta(hours=2) if validated else None,
        status="validated" if validated else "completed",
        prevention=prevention,
        **kw,
    )


@pytest.mark.both_backends
def test_weekly_report_has_the_templates_kpis_and_a_chart(backend, bot, fake_slack):
    _resolved(bot, priority="P0", hours=10, validated=True, mrr=2500)
    _resolved(bot, priority="P0", hours=30, on_time=False, validated=True, mrr=4000)
    _resolved(bot, priority="P1", hours=50, prevention=())
    _resolved(bot, priority="P2", hours=20)
    # Last week: two items resolved in 40 h on average (this week averages 27.5 h, 31 % faster).
    for hours in (30, 50):
        completed = WEEK_START - timedelta(days=3)
        add_item(
            bot.deps,
            priority="P1",
            created_at=completed - timedelta(hours=hours),
            deadline=completed + timedelta(days=1),
            completed_at=completed,
            status="completed",
        )
    # Open items (for the trend) and next week's deadlines.
    coming = add_item(bot.deps, priority="P1", deadline=MONDAY_9 + timedelta(days=2), title="Rotate keys")
    add_item(bot.deps, priority="P2", deadline=MONDAY_9 + timedelta(days=20))
    with bot.deps.uow() as session:
        session.add(
            Alert(subject_id=coming, kind="overdue", level=2, fired_at=WEEK_START + timedelta(days=2))
        )
        session.add(
            Alert(
                subject_id=coming,
                kind="overdue",
                level=1,
                fired_at=WEEK_START + timedelta(days=1),
                acked_at=WEEK_START + timedelta(days=1, minutes=30),
                acked_by="UALICE",
            )
        )

    result = bot.run_job("weekly-report", at=MONDAY_9)
    bot.deliver()
    assert len(result.outbox_ids) == 2

    posts = channel_posts(fake_slack)
    report, chart_message = posts
    assert validate_blocks(report["blocks"], "message") == []
    seen = text_of(report)
    assert "Weekly Remediation Report — Week of 2026-11-23" in seen
    for heading in ("Executive Summary", "Key Wins", "Areas for Improvement", "Next Week Focus"):
        assert heading in seen
    assert "Issues Resolved: 4 (P0: 2, P1: 1, P2: 1, P3: 0)" in seen
    assert "Business Value Protected: $6,500 MRR (2 validated)" in seen
    assert "Average Resolution Time: 1d 3h (↓31% from last week)" in seen
    assert "On-time Completion: 75%" in seen
    assert "P0 resolved within 24 h: 50%" in seen and "P1 within 72 h: 100%" in seen
    assert "Prevention Measures Documented: 75%" in seen
    assert "Level-2+ Escalations: 1" in seen and "1/2 overdue alerts acknowledged" in seen
    assert coming in seen and "Rotate keys" in seen

    [upload] = fake_slack.files.values()
    assert upload.content.startswith(b"\x89PNG") and upload.channel == "CINCIDENTS"
    assert chart_message.get("files") == [upload.id]
    assert fake_slack.calls_to("files.getUploadURLExternal") and fake_slack.calls_to(
        "files.completeUploadExternal"
    )


def test_weekly_report_posts_once_per_week_however_often_it_runs(bot, fake_slack):
    bot.run_job("weekly-report", at=MONDAY_9)
    again = bot.run_job("weekly-report", at=MONDAY_9 + timedelta(hours=3))
    later = bot.run_job("weekly-report", at=MONDAY_9 + timedelta(days=2))  # same week: same report
    bot.deliver()
    assert again.outbox_ids == [] and later.outbox_ids == []
    assert len(channel_posts(fake_slack)) == 2  # the report and its chart
    assert len(fake_slack.files) == 1


def test_the_reported_week_is_the_last_complete_one_in_the_workspace_zone():
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("America/New_York")
    week = reported_week(datetime(2026, 11, 30, 14, 0, tzinfo=UTC), tz)
    assert week.monday.isoformat() == "2026-11-23" and week.key == "2026-W48"
    assert week.start == datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
    # Sunday night in New York is Monday in UTC: still the week before.
    week = reported_week(datetime(2026, 11, 30, 3, 0, tzinfo=UTC), tz)
    assert week.monday.isoformat() == "2026-11-16"
