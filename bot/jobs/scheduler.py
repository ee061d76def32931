"""The in-process APScheduler (3.x): every job of the registry on its trigger, plus a catch-up at start.

Jobs claim their period in the database, so every replica may run a scheduler: the first to claim a period
does the work, the others find it claimed. After downtime, the interval jobs run at start and the cron
jobs (digest, weekly report) run once if their last slot is still within its catch-up window and came after
the bot's first start (recorded once, for good, by the first scheduler to start): a new install never posts
a digest or a report for a time before it existed.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.deps import Deps
from bot.jobs.registry import JOBS, JobResult, JobSpec
from storage import queries

log = logging.getLogger(__name__)


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


def first_start(deps: Deps, started: datetime) -> datetime:
    """When the bot first started: `started` (this start) unless an earlier start was recorded."""
    with deps.uow() as session:
        return queries.record_first_start(session, now=started, owner=deps.worker_id)


def _catch_up(deps: Deps, spec: JobSpec, slot: datetime, started: datetime) -> None:
    """Run the cron job whose `slot` was missed while the bot was down, unless the bot did not exist yet."""
    first = first_start(deps, started)  # a failure is logged by the scheduler, with its trace
    if slot < first:
        log.info(
            "%s: the %s slot came before the bot's first start (%s); not caught up",
            spec.name,
            slot.isoformat(),
            first.isoformat(),
        )
        return
    _safe_run(deps, spec)


def _record_first_start(deps: Deps, started: datetime) -> None:
    try:
        first_start(deps, started)
    except Exception:  # the catch-ups record it too, and so does any later start
        log.exception("could not record the bot's first start")


def missed_slot(spec: JobSpec, deps: Deps, now: datetime) -> datetime | None:
    """The latest slot of a cron job at or before `now` that is still worth running late, if any.

    Worth it means within the shorter of the job's `catch_up` window and CATCH_UP_GRACE_MINUTES after the
    slot and, for a job caught up within a day (the digest), on the same day in TIMEZONE: yesterday's
    standup is never posted this morning. Running it then is safe whether or not it already ran: the job
    claims its period.
    """
    trigger = spec.trigger(deps.settings)
    if not isinstance(trigger, CronTrigger):
        return None
    window = catch_up_window(spec, deps)
    slot = None
    t = trigger.get_next_fire_time(None, now - window)
    while t is not None and t <= now:
        slot = t
        t = trigger.get_next_fire_time(t, t + timedelta(seconds=1))
    if slot is None:
        return None
    tz = deps.settings.tz
    if window < timedelta(days=1) and slot.astimezone(tz).date() != now.astimezone(tz).date():
        return None
    return slot


def catch_up_window(spec: JobSpec, deps: Deps) -> timedelta:
    """How late after its slot a cron job may still run: the job's own window, capped by the setting."""
    return min(spec.catch_up, timedelta(minutes=deps.settings.catch_up_grace_minutes))


def _warm_up() -> None:
    """Import the plotting library once at start, so the weekly report does not pay for it on its slot."""
    try:
        from bot.services.reports import charts

        charts.weekly_chart_png([], title="warm-up")
    except Exception:  # only an optimisation; the report renders (and reports errors) on its own
        log.debug("chart warm-up failed", exc_info=True)


def build_scheduler(deps: Deps) -> BackgroundScheduler:
    """Every job on its trigger (coalesced: one run for any number of missed fires, however late within
    its catch-up window), plus a run at start for the interval jobs and for any cron slot missed while the
    bot was down (after its first start, which a job at start records). A job never runs twice at once in
    a process (max_instances 1)."""
    scheduler = BackgroundScheduler(
        timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3 * 3600}
    )
    now = deps.clock()
    for spec in JOBS.values():
        trigger = spec.trigger(deps.settings)
        scheduler.add_job(
            _safe_run,
            trigger=trigger,
            args=(deps, spec),
            id=spec.name,
            name=spec.name,
            misfire_grace_time=max(1, int(catch_up_window(spec, deps).total_seconds())),
        )
        slot = missed_slot(spec, deps, now) if isinstance(trigger, CronTrigger) else None
        if not isinstance(trigger, CronTrigger) or slot is not None:
            scheduler.add_job(
                _safe_run if slot is None else _catch_up,
                trigger="date",
                run_date=now + timedelta(seconds=5),
                args=(deps, spec) if slot is None else (deps, spec, slot, now),
                id=f"{spec.name}-catch-up",
                name=f"{spec.name} (catch-up at start)",
            )
    scheduler.add_job(
        _record_first_start,
        trigger="date",
        run_date=now,
        args=(deps, now),
        id="first-start",
        name="first start",
    )
    scheduler.add_job(_warm_up, trigger="date", run_date=now, id="warm-up", name="chart warm-up")
    return scheduler
