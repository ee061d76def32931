"""The post-mortem draft: the incident response plan's post-mortem template, pre-filled from the record.

Sections in the template's order (header fields, Summary, Timeline, Root Cause, Impact, Resolution, Lessons
Learned, Action Items, Prevention). What the record knows is filled in; what only people know is left as a
marked prompt. Pure: the caller passes the data, the time zone to show times in, and people's names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from bot.core.incidents.rules import SEVERITY, measures
from bot.core.mrkdwn import unescape
from bot.core.timing.durations import format_duration

TO_FILL = "_to be filled in_"


@dataclass(frozen=True)
class Event:
    at: datetime
    actor_id: str | None
    summary: str  # mrkdwn, as stored on the timeline
    kind: str = ""
    to_status: str | None = None


@dataclass(frozen=True)
class ActionItem:
    id: str
    title: str
    kind: str
    owner_id: str | None
    deadline: datetime
    status: str


@dataclass(frozen=True)
class Record:
    incident_id: str
    title: str
    severity: str
    impact: str
    users_affected: int | None
    detection: str
    declared_by: str
    commander_id: str
    started_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    mitigated_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    resolution_summary: str | None
    waiver_reason: str | None
    events: list[Event] = field(default_factory=list)
    items: list[ActionItem] = field(default_factory=list)

    @property
    def deployed_at(self) -> datetime | None:
        """When the resolution was deployed: the first move to Monitoring, else the resolution."""
        first = next((e.at for e in self.events if e.to_status == "monitoring"), None)
        return first or self.resolved_at


def plain_text(text: str, names: dict[str, str]) -> str:
    """Stored mrkdwn -> text for a document: ``<@U1>`` -> ``@name``, ``<#C1>`` -> ``#C1``, date tokens ->
    their fallback, escapes undone."""
    text = re.sub(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>", lambda m: "@" + names.get(m.group(1), m.group(1)), text)
    text = re.sub(
        r"<!subteam\^([A-Z0-9]+)(?:\|[^>]*)?>", lambda m: "@" + names.get(m.group(1), m.group(1)), text
    )
    text = re.sub(r"<#([CG][A-Z0-9]+)(?:\|([^>]*))?>", lambda m: "#" + (m.group(2) or m.group(1)), text)
    text = re.sub(r"<!date\^\d+\^[^|>]*\|([^>]*)>", lambda m: m.group(1), text)
    return unescape(text)


def _who(user_id: str | None, names: dict[str, str]) -> str:
    return "@" + names.get(user_id, user_id) if user_id else "—"


def _since(d: timedelta | None) -> str:
    return format_duration(d) if d is not None else "—"


def markdown(record: Record, *, now: datetime, tz: tzinfo, names: dict[str, str]) -> str:
    """The draft as Markdown. Times are shown in `tz` (named once, under the timeline)."""
    m = measures(
        started_at=record.started_at,
        acknowledged_at=record.acknowledged_at,
        mitigated_at=record.mitigated_at,
        resolved_at=record.resolved_at,
        now=now,
    )
    start_day = record.started_at.astimezone(tz).date()

    def at(dt: datetime | None) -> str:
        if dt is None:
            return "--:--"
        local = dt.astimezone(tz)
        return local.strftime("%H:%M") if local.date() == start_day else local.strftime("%b %d %H:%M")

    severity = SEVERITY[record.severity]
    duration = format_duration(m.duration) + ("" if record.resolved_at else " so far (not resolved)")
    affected = f"{record.users_affected:,}" if record.users_affected is not None else TO_FILL
    zone = getattr(tz, "key", None) or str(tz)
    out = [
        f"# Incident Post-Mortem: {record.incident_id}",
        "",
        f"**Date**: {record.started_at.astimezone(tz):%Y-%m-%d}",
        f"**Severity**: {severity.code} - {severity.name}",
        f"**Duration**: {duration}",
        f"**Impact**: {record.impact.strip() or TO_FILL}",
        "",
        "## Summary",
        f"{record.title}. Declared by {_who(record.declared_by, names)} ({record.detection} detection); "
        f"commander {_who(record.commander_id, names)}.",
        "",
        "## Timeline",
        f"- **{at(record.started_at)}** - Incident detected",
        f"- **{at(record.acknowledged_at)}** - Initial response began"
        + (f" (acknowledged by {_who(record.acknowledged_by, names)})" if record.acknowledged_by else ""),
        f"- **{at(record.mitigated_at)}** - Mitigation applied",
        f"- **{at(record.deployed_at)}** - Resolution deployed",
        f"- **{at(record.resolved_at)}** - Incident resolved",
        "",
        f"Every event (times in {zone}):",
    ]
    for e in record.events:
        who = f" ({_who(e.actor_id, names)})" if e.actor_id else ""
        out.append(f"- **{at(e.at)}** - {plain_text(e.summary, names)}{who}")
    out += [
        "",
        "## Root Cause",
        (record.resolution_summary or "").strip() or TO_FILL,
        "",
        "## Impact",
        f"- **Users Affected**: {affected}",
        f"- **Duration**: {duration}",
        f"- **Time to acknowledge**: {_since(m.to_acknowledge)}",
        f"- **Time to mitigate**: {_since(m.to_mitigate)}",
        f"- **Time to resolve**: {_since(m.to_resolve)}",
        f"- **SLO Impact**: {TO_FILL}",
        f"- **Revenue Impact**: {TO_FILL} (if applicable)",
        "",
        "## Resolution",
        (record.resolution_summary or "").strip() or TO_FILL,
        "",
        "## Lessons Learned",
        "### What Went Well",
        f"- {TO_FILL}",
        "",
        "### What Could Be Improved",
        f"- {TO_FILL}",
        "",
        "## Action Items",
    ]
    if record.items:
        for item in record.items:
            done = "x" if item.status in ("completed", "validated") else " "
            out.append(
                f"- [{done}] {item.id} {item.title} ({item.kind}) - Owner: {_who(item.owner_id, names)} "
                f"- Due: {item.deadline.astimezone(tz):%Y-%m-%d}"
            )
    else:
        out.append(f"- [ ] {TO_FILL} - Owner: [Name] - Due: [Date] (use the Add action item button)")
    out += ["", "## Prevention"]
    preventative = [i for i in record.items if i.kind.startswith("prevent")]
    if preventative:
        out += [f"- {i.title} ({i.id})" for i in preventative]
    elif record.waiver_reason:
        out.append(f"Close-out waived: {record.waiver_reason}")
    else:
        out.append(TO_FILL)
    return "\n".join(out) + "\n"
