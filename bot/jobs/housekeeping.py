"""The `housekeeping` job: trims de-duplication claims and old sent messages."""

from __future__ import annotations

from datetime import datetime

from bot.deps import Deps
from bot.jobs.registry import JobResult
from bot.services.housekeeping import sweep


def run(deps: Deps, now: datetime) -> JobResult:
    swept = sweep(deps, now)
    return JobResult(
        f"deleted {swept.event_claims} event claims and {swept.outbox_deleted} old sent messages; "
        f"compacted {swept.outbox_compacted}"
    )
