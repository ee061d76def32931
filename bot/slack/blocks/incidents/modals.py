"""Incident modals (declare, post update, resolve, add action item) and the show/list replies. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.core.incidents.detail import IncidentDetail
from bot.core.incidents.rules import ACTIVE_STATUSES, SEVERITY, IncidentClocks
from bot.core.items.rules import KINDS
from bot.core.records import IncidentRecord, TimelineEntry
from bot.core.timing.durations import format_duration
from bot.slack.blocks.format import date, escape, plain, truncate, user
from bot.slack.blocks.incidents import messages as msgs
from bot.slack.blocks.kit import input_block, modal, option, plain_text, select, text_input
from bot.slack.blocks.replies import context, section
from bot.slack.ids import IncidentInput as F
from bot.slack.ids import View

Blocks = list[dict[str, Any]]


def _input(
    field: F, label: str, element: dict[str, Any], *, optional: bool = False, hint: str | None = None
) -> dict[str, Any]:
    return input_block(field.value, label, element, optional=optional, hint=hint)


def severity_options() -> list[dict[str, Any]]:
    return [option(f"{code} — {sev.name}", code, sev.definition) for code, sev in SEVERITY.items()]


def severity_help(clocks: IncidentClocks) -> str:
    """Each level's definition and its clocks (the help text under the severity menu)."""
    lines = []
    for code, sev in SEVERITY.items():
        parts = []
        if (d := clocks.response.get(code)) is not None:
            parts.append(f"respond in {format_duration(d)}")
        if (d := clocks.update.get(code)) is not None:
            parts.append(f"updates every {format_duration(d)}")
        if (d := clocks.resolution.get(code)) is not None:
            parts.append(f"resolve in {format_duration(d)}")
        lines.append(f"{code}: {sev.definition} ({', '.join(parts)})")
    return "\n".join(lines)


def declare_modal(*, user_id: str, channel: str, clocks: IncidentClocks, title: str = "") -> dict[str, Any]:
    blocks: Blocks = [
        section(
            f"Declaring posts an announcement to <#{channel}> with *Acknowledge*, *Post update* and "
            "*Resolve* buttons, and starts the severity clocks."
        ),
        _input(
            F.TITLE,
            "Title",
            text_input(initial=title, placeholder="What is broken, e.g. API returns 500s", max_length=200),
        ),
        _input(
            F.SEVERITY,
            "Severity",
            select(severity_options(), placeholder="P0, P1, P2 or P3"),
            hint=severity_help(clocks),
        ),
        _input(
            F.IMPACT,
            "Impact",
            text_input(multiline=True, placeholder="Who or what is affected, and how", max_length=2000),
            optional=True,
        ),
        _input(
            F.USERS_AFFECTED,
            "Users affected",
            text_input(placeholder="A number, e.g. 1200", max_length=15),
            optional=True,
        ),
        _input(
            F.COMMANDER,
            "Incident commander",
            {
                "type": "users_select",
                "initial_user": user_id,
                "placeholder": plain_text("Who runs the response"),
            },
            optional=True,
            hint="Defaults to you.",
        ),
        _input(
            F.DETECTION,
            "Detection",
            select(
                [
                    option("Manual (a person noticed)", "manual"),
                    option("Automated (monitoring)", "automated"),
                ],
                initial="manual",
                placeholder="How it was detected",
            ),
            optional=True,
        ),
    ]
    return modal(
        callback_id=View.INCIDENT_DECLARE.value,
        title="Declare an incident",
        submit="Declare",
        blocks=blocks,
        metadata="",
    )


def update_modal(inc: IncidentRecord, clocks: IncidentClocks) -> dict[str, Any]:
    statuses = [option(s.capitalize(), s) for s in ACTIVE_STATUSES]
    cadence = clocks.update.get(inc.severity)
    blocks: Blocks = [
        section(msgs.ref_line(inc) + f"\nNow: *{inc.status.capitalize()}*"),
        _input(F.STATUS, "Status", select(statuses, initial=inc.status, placeholder="Where it stands")),
        _input(
            F.NOTE,
            "What changed",
            text_input(multiline=True, placeholder="e.g. Rolled back deploy 42", max_length=2000),
        ),
        _input(
            F.IMPACT,
            "Impact",
            text_input(multiline=True, initial=inc.impact, max_length=2000),
            optional=True,
        ),
        _input(
            F.ETA, "ETA", text_input(initial=inc.eta, placeholder="If known", max_length=200), optional=True
        ),
        _input(
            F.NEXT_UPDATE,
            "Next update in",
            text_input(
                placeholder=f"{format_duration(cadence)} ({inc.severity} cadence)" if cadence else "e.g. 30m",
                max_length=10,
            ),
            optional=True,
            hint="A duration such as 30m or 2h; empty keeps the severity's cadence.",
        ),
    ]
    return modal(
        callback_id=View.INCIDENT_UPDATE.value,
        title="Post an update",
        submit="Post update",
        blocks=blocks,
        metadata=inc.id,
    )


def resolve_modal(inc: IncidentRecord, clocks: IncidentClocks) -> dict[str, Any]:
    monitoring = format_duration(clocks.monitoring_for(inc.severity))
    blocks: Blocks = [
        section(msgs.ref_line(inc)),
        _input(
            F.SUMMARY,
            "Root cause and fix",
            text_input(multiline=True, placeholder="root cause: …; fixed by …", max_length=3000),
        ),
        context(
            f"Resolving starts {monitoring} of monitoring; the incident closes by itself when it ends "
            "unless it is reopened."
        ),
    ]
    return modal(
        callback_id=View.INCIDENT_RESOLVE.value,
        title="Resolve incident",
        submit="Resolve",
        blocks=blocks,
        metadata=inc.id,
    )


def action_item_modal(inc: IncidentRecord) -> dict[str, Any]:
    priorities = [option(f"{code} — {sev.name}", code) for code, sev in SEVERITY.items()]
    kinds = [option(k.capitalize(), k) for k in KINDS]
    blocks: Blocks = [
        section(f"A remediation item linked to {msgs.ref_line(inc)}"),
        _input(
            F.ITEM_TITLE, "Action", text_input(placeholder="e.g. Add a canary for deploys", max_length=200)
        ),
        _input(F.ITEM_OWNER, "Owner", {"type": "users_select", "placeholder": plain_text("Who owns it")}),
        _input(F.ITEM_PRIORITY, "Priority", select(priorities, initial=inc.severity, placeholder="Priority")),
        _input(F.ITEM_DUE, "Deadline", {"type": "datepicker", "placeholder": plain_text("Due by")}),
        _input(
            F.ITEM_KIND,
            "Kind",
            select(kinds, initial="preventative", placeholder="Kind"),
            hint="P0 and P1 incidents close only with a preventative item (or a waiver).",
        ),
    ]
    return modal(
        callback_id=View.INCIDENT_ACTION_ITEM.value,
        title="Add action item",
        submit="Add",
        blocks=blocks,
        metadata=inc.id,
    )


def state_value(values: dict[str, Any], field: F) -> str | None:
    """The value of one input of a submitted modal (text, select, user or date), or None when empty."""
    element = (values.get(field.value) or {}).get(field.value) or {}
    for key in ("value", "selected_user", "selected_date"):
        if element.get(key):
            return str(element[key])
    option = element.get("selected_option")
    return str(option["value"]) if isinstance(option, dict) and option.get("value") else None


def metadata(view: dict[str, Any]) -> str:
    return str(view.get("private_metadata") or "")


# --- replies -------------------------------------------------------------------------------------------


def event_line(ev: TimelineEntry) -> str:
    who = f" — {user(ev.actor_id)}" if ev.actor_id else ""
    return f"{date(ev.at, '{date_short} {time}')} {truncate(ev.summary, 300)}{who}"


def show_reply(info: IncidentDetail, clocks: IncidentClocks, *, now: datetime) -> tuple[str, Blocks]:
    inc = info.incident
    text, blocks = msgs.card(inc, clocks)
    blocks = [b for b in blocks if b.get("type") != "actions"]  # an ephemeral reply does not act
    if inc.resolution_summary:
        blocks.append(section(f"*Resolution:* {escape(truncate(inc.resolution_summary, 2500))}"))
    if info.held:
        blocks.append(section(f":lock: Held open after monitoring. {msgs.close_out_rule(inc.id)}"))
    items = [msgs.item_line(i) for i in info.items]
    blocks.append(section("*Action items*\n" + ("\n".join(items[:15]) if items else "_none yet_")))
    events = info.events[-20:]
    lines = [event_line(e) for e in events]
    if lines:
        more = len(info.events) - len(events)
        head = "*Timeline*" + (f" (last {len(events)} of {len(info.events)})" if more else "")
        blocks.append(section(truncate(head + "\n" + "\n".join(lines), 3000)))
    blocks.append(
        context(f"Open {msgs.age_text(inc, now)} · `/incident postmortem {inc.id}` drafts the review")
    )
    return text, blocks


def list_reply(
    rows: Sequence[IncidentRecord], total: int, *, include_closed: bool, now: datetime
) -> tuple[str, Blocks]:
    which = "All incidents" if include_closed else "Open incidents"
    if not rows:
        none = (
            "No incidents yet."
            if include_closed
            else "No open incidents. `/incident list all` shows closed ones."
        )
        return none, [section(none)]
    lines = [
        f"*{inc.id}* · {inc.severity} · {inc.status.capitalize()} · {escape(plain(inc.title, 80))} · "
        f"{user(inc.commander_id)} · started {date(inc.started_at)}"
        + (f" (open {msgs.age_text(inc, now)})" if inc.status in ACTIVE_STATUSES else "")
        for inc in rows
    ]
    blocks: Blocks = [section(f"*{which}* ({total})")]
    for start in range(0, len(lines), 10):
        blocks.append(section("\n".join(lines[start : start + 10])))
    if total > len(rows):
        blocks.append(context(f"Showing the newest {len(rows)} of {total}."))
    text = f"{which}: " + ", ".join(inc.id for inc in rows)
    return text, blocks
