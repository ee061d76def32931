"""`escalations`: escalate overdue remediation items level by level, then the incident escalations."""

from __future__ import annotations

from datetime import datetime

from bot.deps import Deps
from bot.jobs.clocks import incident_clocks
from bot.jobs.registry import JobResult
from bot.services.escalations import sweep_overdue
from bot.slack.blocks import alerts


def run(deps: Deps, now: datetime) -> JobResult:
    ids = sweep_overdue(deps, now, render=alerts)
    summary = f"{len(ids)} remediation escalation message(s) queued"
    clocks = incident_clocks()
    if clocks is not None:
        incident_ids = list(clocks.sweep_incident_escalations(deps, now))
        summary += f"; {len(incident_ids)} incident page/escalation message(s)"
        ids += incident_ids
    return JobResult(summary, ids)
