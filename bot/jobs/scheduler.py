"""The in-process APScheduler (3.x): every job of the registry on its trigger, plus a catch-up at start.

Jobs claim their period in the database, so every replica may run a scheduler: the first to claim a period
does the work, the others find it claimed. After downtime, the interval jobs run at start and the cron
jobs (digest, weekly report) run once if their last slot was missed by less than the grace period.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.deps import Deps
from bot.jobs.registry import JOBS, JobResult, JobSpec

log = logging.getLogger(__name__)

CATCH_UP_GRACE = timedelta(hours=3)


def run_job(deps: Deps, spec: JobSpec, now: datetime | None = None) -> JobResult:
    """Run one job as of `now` (default: the deps' clock), with metrics and a log line."""
    now = now or deps.clock()
    started = time.perf_counter()
    try:
        result = spec.load()(deps, now)
    except Exception:
        deps.metrics.job_runs.labels(job=spec.name, outcome="error").inc()
        log.exception("job %s failed at %s", spec.name, now.isoformat())
        raise
    finally:
        deps.metrics.job_duration.labels(job=spec.name).observe(time.perf_counter() - started)
    deps.metrics.job_runs.labels(job=spec.name, outcome="ok").inc()
    log.info("job %s at %s: %s", spec.name, now.isoformat(), result.summary)
    return result


def _safe_run(deps: Deps, spec: JobSpec) -> None:
    try:
        run_job(deps, spec)
    except Exception:  # already logged with its trace by run_job; the scheduler keeps going
        return


def missed_slot(spec: JobSpec, deps: Deps, now: datetime) -> datetime | None:
    """The slot a cron job missed within the grace period before `now`, if any."""
    trigger = spec.trigger(deps.settings)
    if not isinstance(trigger, CronTrigger):
        return None
    slot = trigger.get_next_fire_time(None, now - CATCH_UP_GRACE)
    if slot is not None and slot <= now:
        return slot
    return None


def build_scheduler(deps: Deps) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(
        timezone=UTC,
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": int(CATCH_UP_GRACE.total_seconds()),
        },
    )
    now = deps.clock()
    for spec in JOBS.values():
        trigger = spec.trigger(deps.settings)
        scheduler.add_job(_safe_run, trigger=trigger, args=(deps, spec), id=spec.name, name=spec.name)
        if not isinstance(trigger, CronTrigger) or missed_slot(spec, deps, now):
            scheduler.add_job(
                _safe_run,
                trigger="date",
                run_date=now + timedelta(seconds=5),
                args=(deps, spec),
                id=f"{spec.name}-catch-up",
                name=f"{spec.name} (catch-up at start)",
            )
    return scheduler
