"""The scheduler's set-up: every registry job on its trigger, coalesced, with catch-up after downtime."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from apscheduler.triggers.cron import CronTrigger

from bot.jobs.registry import JOBS
from bot.jobs.scheduler import build_scheduler, missed_slot
from tests.support import make_settings


def _deps(now: datetime, **overrides):
    settings = make_settings("sqlite://", "http://127.0.0.1:9/api/", **overrides)
    return SimpleNamespace(settings=settings, clock=lambda: now)


MONDAY = datetime(2026, 11, 23, tzinfo=UTC)


def test_a_digest_slot_missed_earlier_the_same_day_is_caught_up():
    deps = _deps(MONDAY)
    assert missed_slot(JOBS["digest"], deps, MONDAY + timedelta(hours=10)) == MONDAY + timedelta(hours=9)
    assert missed_slot(JOBS["digest"], deps, MONDAY + timedelta(hours=20)) == MONDAY + timedelta(hours=9)


def test_yesterdays_digest_is_never_caught_up_nor_one_before_its_slot():
    deps = _deps(MONDAY)
    tuesday_8am = MONDAY + timedelta(days=1, hours=8)  # Monday's 09:00 slot is 23 h ago, another day
    assert missed_slot(JOBS["digest"], deps, tuesday_8am) is None
    assert missed_slot(JOBS["digest"], deps, MONDAY + timedelta(hours=8)) is None
    saturday = MONDAY + timedelta(days=5, hours=10)  # no digest on weekends
    assert missed_slot(JOBS["digest"], deps, saturday) is None


def test_the_digest_slot_is_in_the_workspace_zone():
    deps = _deps(MONDAY, timezone="Europe/Berlin", digest_time="09:30")
    assert missed_slot(JOBS["digest"], deps, MONDAY + timedelta(hours=9)) == MONDAY + timedelta(
        hours=8, minutes=30
    )


def test_the_weekly_report_is_caught_up_any_later_day_of_the_week():
    deps = _deps(MONDAY)
    wednesday = MONDAY + timedelta(days=2, hours=15)
    assert missed_slot(JOBS["weekly-report"], deps, wednesday) == MONDAY + timedelta(hours=9)
    assert missed_slot(JOBS["escalations"], deps, wednesday) is None  # interval jobs just run at start


def test_build_scheduler_registers_every_job_coalesced_with_catch_ups():
    now = MONDAY + timedelta(hours=10)
    scheduler = build_scheduler(_deps(now))
    scheduler.start(paused=True)  # the job defaults apply once the jobs reach the job store; nothing runs
    try:
        jobs = {j.id: j for j in scheduler.get_jobs()}
    finally:
        scheduler.shutdown(wait=False)
    for name, spec in JOBS.items():
        job = jobs[name]
        assert job.coalesce is True and job.max_instances == 1
        assert job.misfire_grace_time == int(spec.catch_up.total_seconds())
    assert isinstance(jobs["digest"].trigger, CronTrigger)
    # At start: the interval jobs, and the 09:00 digest and Monday report missed by a 10:00 start.
    assert {j for j in jobs if j.endswith("-catch-up")} == {
        "escalations-catch-up",
        "reminders-catch-up",
        "digest-catch-up",
        "weekly-report-catch-up",
        "housekeeping-catch-up",
    }
    assert "warm-up" in jobs
