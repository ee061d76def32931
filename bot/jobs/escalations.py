"""`escalations`: escalate overdue remediation items level by level, then page and escalate incidents."""

from __future__ import annotations

from datetime import datetime

from bot.deps import Deps
from bot.jobs.registry import JobResult
from bot.services.escalations.sweep import sweep_overdue
from bot.services.incidents.clocks import sweep_incident_escalations


def run(deps: Deps, now: datetime) -> JobResult:
    ids = sweep_overdue(deps, now)
    incident_ids = sweep_incident_escalations(deps, now)
    summary = (
        f"{len(ids)} remediation escalation message(s), "
        f"{len(incident_ids)} incident page/escalation message(s) queued"
    )
    return JobResult(summary, [*ids, *incident_ids])
