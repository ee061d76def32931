"""`weekly-report`: the weekly executive report and its chart, once per week."""

from __future__ import annotations

from datetime import datetime

from bot.deps import Deps
from bot.jobs.registry import JobResult
from bot.services.reports.weekly import post_weekly_report


def run(deps: Deps, now: datetime) -> JobResult:
    posted = post_weekly_report(deps, now)
    return JobResult(posted.summary, posted.outbox_ids)
