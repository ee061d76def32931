"""`reminders`: "due soon" DMs for items within 24 h of their deadline, then the incident reminders
(status-update nudges, close-outs after monitoring)."""

from __future__ import annotations

from datetime import datetime

from bot.deps import Deps
from bot.jobs.registry import JobResult
from bot.services.incidents.clocks import sweep_incident_reminders
from bot.services.items.reminders import send_due_soon


def run(deps: Deps, now: datetime) -> JobResult:
    ids = send_due_soon(deps, now)
    incident_ids = sweep_incident_reminders(deps, now)
    summary = f"{len(ids)} due-soon DM(s), {len(incident_ids)} incident reminder message(s) queued"
    return JobResult(summary, [*ids, *incident_ids])
