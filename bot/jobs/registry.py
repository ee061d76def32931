"""Every scheduled job, in one place.

A job is a plain function ``run(deps, now) -> JobResult``: the in-process scheduler, ``remediate jobs run
NAME --at …`` and the tests all call it the same way. Jobs are safe to run twice (they claim their period
in the database), so a restart, a misfire catch-up, a manual run or a second replica never posts twice.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.deps import Deps


@dataclass
class JobResult:
    """What a run did: a one-line summary and the outbox messages it queued."""

    summary: str
    outbox_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class JobSpec:
    name: str
    target: str  # "module:function", imported when first run
    description: str
    trigger: Callable[[Settings], BaseTrigger]
    # How late a missed slot still runs (at start after downtime, or when the scheduler was busy). Jobs claim
    # their period, so a late run never repeats a post; this only decides whether it is still worth making.
    catch_up: timedelta = timedelta(hours=3)

    def load(self) -> Callable[[Deps, datetime], JobResult]:
        module, func = self.target.split(":")
        return getattr(importlib.import_module(module), func)  # type: ignore[no-any-return]


def _cron_days(settings: Settings) -> str:
    names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    return ",".join(names[d] for d in settings.digest_weekdays)


def _digest_trigger(settings: Settings) -> BaseTrigger:
    t = settings.digest_clock_time
    return CronTrigger(day_of_week=_cron_days(settings), hour=t.hour, minute=t.minute, timezone=settings.tz)


def _weekly_trigger(settings: Settings) -> BaseTrigger:
    t = settings.digest_clock_time
    return CronTrigger(day_of_week="mon", hour=t.hour, minute=t.minute, timezone=settings.tz)


def _every(minutes: int) -> Callable[[Settings], BaseTrigger]:
    return lambda _settings: IntervalTrigger(minutes=minutes)


JOBS: dict[str, JobSpec] = {
    spec.name: spec
    for spec in (
        JobSpec(
            "escalations",
            "bot.jobs.escalations:run",
            "Escalate overdue remediation items and unacknowledged/unresolved incidents, level by level",
            lambda s: IntervalTrigger(minutes=s.escalation_interval_minutes),
        ),
        JobSpec(
            "reminders",
            "bot.jobs.reminders:run",
            "Due-soon DMs, incident status-update nudges and close-outs after monitoring",
            _every(5),
        ),
        JobSpec(
            "digest",
            "bot.jobs.digest:run",
            "Daily standup digest to the incident channel",
            _digest_trigger,
            catch_up=timedelta(hours=12),  # and only on the same day (see scheduler.missed_slot)
        ),
        JobSpec(
            "weekly-report",
            "bot.jobs.weekly_report:run",
            "Weekly executive report with chart",
            _weekly_trigger,
            catch_up=timedelta(days=6),  # any later day of the week reports the same, last complete week
        ),
        JobSpec(
            "housekeeping",
            "bot.jobs.housekeeping:run",
            "Trim de-duplication claims and sent messages older than their use",
            _every(6 * 60),
        ),
    )
}


class UnknownJob(KeyError):
    def __init__(self, name: str):
        super().__init__(name)
        self.message = f"unknown job '{name}'; known jobs: {', '.join(sorted(JOBS))}"


def get_job(name: str) -> JobSpec:
    try:
        return JOBS[name]
    except KeyError:
        raise UnknownJob(name) from None
