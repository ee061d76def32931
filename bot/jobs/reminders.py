"""`reminders`: "due soon" DMs for items within 24 h of their deadline, then the incident reminders
(status-update nudges, close-outs after monitoring)."""

from __future__ import annotations

from datetime import datetime

from bot.deps import Deps
from bot.jobs.clocks import incident_clocks
from bot.jobs.registry import JobResult
from bot.services.reminders import send_due_soon
from bot.slack.blocks import alerts


def run(deps: Deps, now: datetime) -> JobResult:
    ids = send_due_soon(deps, now, render=alerts)
    summary = f"{len(ids)} due-soon DM(s) queued"
    clocks = incident_clocks()
    if clocks is not None:
        incident_ids = list(clocks.sweep_incident_reminders(deps, now))
        summary += f"; {len(incident_ids)} incident reminder message(s)"
        ids += incident_ids
    return JobResult(summary, ids)
