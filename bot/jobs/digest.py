"""`digest`: the daily standup digest, once per digest day."""

from __future__ import annotations

from datetime import datetime

from bot.deps import Deps
from bot.jobs.registry import JobResult
from bot.services.reports.digest import post_daily_digest


def run(deps: Deps, now: datetime) -> JobResult:
    posted = post_daily_digest(deps, now)
    return JobResult(posted.summary, posted.outbox_ids)
