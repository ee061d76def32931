"""The scheduler's set-up: every registry job on its trigger, coalesced, with catch-up after downtime."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from apscheduler.triggers.cron import CronTrigger

from bot.jobs.registry import JOBS
from bot.jobs.scheduler import build_scheduler, catch_up_window, missed_slot
from tests.support import make_settings


def _deps(now: datetime, **overrides):
    settings = make_settings("sqlite://", "http://127.0.0.1:9/api/", **overrides)
    return SimpleNamespace(settings=settings, clock=lambda: now)


MONDAY = datetime(2026, 11, 23, tzinfo=UTC)


def test_a_digest_slot_missed_earlier_the_same_day_is_caught_up():
    deps = _deps(MONDAY, catch_up_grace_minutes=24 * 60)  # a long grace: the same day is the limit
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
    deps = _deps(MONDAY, catch_up_grace_minutes=7 * 24 * 60)  # a long grace: the week is the limit
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
        assert job.misfire_grace_time == int(catch_up_window(spec, _deps(now)).total_seconds())
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


def test_by_default_a_missed_slot_is_caught_up_only_within_three_hours_of_its_time():
    deps = _deps(MONDAY)
    digest, weekly = JOBS["digest"], JOBS["weekly-report"]
    nine = MONDAY + timedelta(hours=9)
    assert missed_slot(digest, deps, nine + timedelta(hours=2)) == nine
    assert missed_slot(digest, deps, nine + timedelta(hours=3)) == nine  # the boundary is included
    assert missed_slot(digest, deps, nine + timedelta(hours=4)) is None
    assert missed_slot(weekly, deps, nine + timedelta(hours=2)) == nine
    assert missed_slot(weekly, deps, nine + timedelta(hours=4)) is None
    assert missed_slot(weekly, deps, MONDAY + timedelta(days=2, hours=20, minutes=30)) is None


def test_the_grace_is_a_setting():
    deps = _deps(MONDAY, catch_up_grace_minutes=30)
    nine = MONDAY + timedelta(hours=9)
    assert missed_slot(JOBS["digest"], deps, nine + timedelta(minutes=30)) == nine
    assert missed_slot(JOBS["digest"], deps, nine + timedelta(minutes=31)) is None
