"""The messages incidents send: the card, status updates, pages, escalations, nudges and close-outs.

Pure builders (plain data in, fallback text and Block Kit out); the services queue what they return.
Every time is a ``<!date>`` token; every text people typed is
escaped.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.core.incidents.postmortem import ActionItem, Record
from bot.core.incidents.rules import (
    ACTIVE_STATUSES,
    CLOSED,
    ESCALATION_EXPECTATIONS,
    RESOLVED,
    SEVERITY,
    IncidentClocks,
    close_out_rule,
    measures,
)
from bot.core.mrkdwn import date, escape, truncate, user, users
from bot.core.records import IncidentRecord, ItemRecord
from bot.core.timing.durations import format_duration
from bot.slack.blocks.kit import actions, button, context, fields, header, section
from bot.slack.ids import Action

Blocks = list[dict[str, Any]]


def status_label(status: str) -> str:
    return status.capitalize()


def age_text(inc: IncidentRecord, now: datetime) -> str:
    return format_duration(now - inc.started_at)


def ref_line(inc: IncidentRecord) -> str:
    """``INC-… · P0 · title`` (escaped), for the top of every message about the incident."""
    return f"*{inc.id}* · {inc.severity} · {escape(inc.title)}"


# --- the card ------------------------------------------------------------------------------------------


def clocks_text(inc: IncidentRecord, clocks: IncidentClocks) -> str:
    """The clocks that apply to the incident in its current state."""
    sev = inc.severity
    if inc.status == CLOSED:
        return f"Closed {date(inc.closed_at)}."
    if inc.status == RESOLVED:
        return (
            f"Resolved {date(inc.resolved_at)} · monitoring until {date(inc.monitoring_until)}; "
            "it closes then unless reopened."
        )
    parts = []
    respond_by = clocks.respond_by(inc)
    if inc.acknowledged_at is None and respond_by is not None:
        parts.append(f"respond by {date(respond_by)} ({format_duration(clocks.response[sev])})")
    cadence = clocks.update.get(sev)
    if cadence is not None:
        parts.append(f"status update every {format_duration(cadence)}, next by {date(inc.next_update_due)}")
    resolve_by = clocks.resolve_by(inc)
    if resolve_by is not None:
        parts.append(f"resolve by {date(resolve_by)} (target {format_duration(clocks.resolution[sev])})")
    levels = [
        f"Level {level} at {date(at)}"
        for level in sorted(clocks.escalation)
        if (at := clocks.escalates_at(inc, level)) is not None
    ]
    if levels:
        parts.append("escalates unresolved to " + ", ".join(levels))
    monitoring = clocks.monitoring.get(sev)
    if monitoring is not None:
        parts.append(f"monitoring {format_duration(monitoring)} after resolution")
    return f"*Clocks ({sev}):* " + " · ".join(parts) if parts else ""


def card(inc: IncidentRecord, clocks: IncidentClocks) -> tuple[str, Blocks]:
    """The announcement, kept current in place: what, how bad, who, where it stands, and the clocks."""
    sev = SEVERITY[inc.severity]
    if inc.acknowledged_at is not None:
        who = f"in {escape(inc.acknowledged_elsewhere)}" if inc.acknowledged_elsewhere else None
        acked = f"{who or user(inc.acknowledged_by)} {date(inc.acknowledged_at)}"
        acked += f" (after {format_duration(inc.acknowledged_at - inc.declared_at)})"
    else:
        acked = "_not yet_"
    affected = f"{inc.users_affected:,}" if inc.users_affected is not None else "—"
    blocks: Blocks = [
        header(f"{inc.id} · {inc.severity} · {inc.title}"),
        fields(
            [
                ("Severity", sev.label),
                ("Status", status_label(inc.status)),
                ("Commander", user(inc.commander_id)),
                ("Declared", f"{user(inc.declared_by)} {date(inc.declared_at)}"),
                ("Impact", escape(truncate(inc.impact, 1500)) or "—"),
                ("Users affected", affected),
                ("Detection", inc.detection.capitalize()),
                ("Acknowledged", acked),
            ]
        ),
    ]
    if inc.channel_id:
        blocks.append(context(f"Incident channel: <#{inc.channel_id}>"))
    clock_line = clocks_text(inc, clocks)
    if clock_line:
        blocks.append(context(clock_line))
    if inc.status in ACTIVE_STATUSES:
        buttons = []
        if inc.acknowledged_at is None:
            buttons.append(button("Acknowledge", Action.INCIDENT_ACK, inc.id, "primary"))
        buttons.append(button("Post update", Action.INCIDENT_UPDATE, inc.id))
        buttons.append(button("Resolve", Action.INCIDENT_RESOLVE, inc.id, "danger"))
        blocks.append(actions(buttons, block_id=f"incident-card:{inc.id}"))
    text = (
        f":rotating_light: {inc.id} ({inc.severity}, {status_label(inc.status)}): {escape(inc.title)} — "
        f"commander {user(inc.commander_id)}"
    )
    return text, blocks


# --- status updates (the status update template of the incident response plan) -----------------------


def status_update(
    inc: IncidentRecord, *, actor_id: str, note: str, reopened: bool = False
) -> tuple[str, Blocks]:
    """INCIDENT UPDATE [Px] / Incident ID / Status / Impact / ETA / Next Update, then what changed."""
    if inc.status == RESOLVED:
        next_update = f"none; monitoring until {date(inc.monitoring_until)}"
    else:
        next_update = date(inc.next_update_due) if inc.next_update_due else "—"
    lines = [
        f":rotating_light: *INCIDENT UPDATE [{inc.severity}]*",
        f"*Incident ID:* {inc.id}",
        f"*Status:* {status_label(inc.status)}" + (" (reopened)" if reopened else ""),
        f"*Impact:* {escape(truncate(inc.impact, 1000)) or '—'}",
        f"*ETA:* {escape(inc.eta) if inc.eta else 'unknown'}",
        f"*Next Update:* {next_update}",
    ]
    quoted = "\n".join("> " + line for line in escape(truncate(note, 2000)).splitlines() if line.strip())
    blocks = [section("\n".join(lines))]
    if quoted:
        blocks.append(section(quoted))
    blocks.append(context(f"Posted by {user(actor_id)} · {escape(inc.title)}"))
    text = (
        f"INCIDENT UPDATE [{inc.severity}] {inc.id} Status: {status_label(inc.status)} — "
        f"{escape(truncate(note, 300))}"
    )
    return text, blocks


# --- pages, escalations, nudges ------------------------------------------------------------------------


def page(
    inc: IncidentRecord,
    *,
    now: datetime,
    clocks: IncidentClocks,
    oncall: list[str],
) -> tuple[str, Blocks]:
    respond = format_duration(clocks.response.get(inc.severity, now - inc.declared_at))
    who = users(oncall) if oncall else user(inc.commander_id)
    head = (
        f":pager: *Page: {inc.id} ({inc.severity}) is not acknowledged* — open {age_text(inc, now)}, "
        f"initial response time for {inc.severity} is {respond}."
    )
    body = (
        f"{who}: acknowledge it now and join the response (commander {user(inc.commander_id)}).\n"
        f"{ref_line(inc)} · status {status_label(inc.status)}"
    )
    blocks = [
        section(head),
        section(body),
        actions(
            [button("Acknowledge", Action.INCIDENT_ACK, inc.id, "primary")],
            block_id=f"incident-page:{inc.id}",
        ),
    ]
    text = (
        f"Page: {inc.id} ({inc.severity}) not acknowledged after {age_text(inc, now)}; "
        "acknowledge it and join the response."
    )
    return text, blocks


def escalation(
    inc: IncidentRecord, *, level: int, now: datetime, targets: list[str], setting_name: str
) -> tuple[str, Blocks]:
    expected = ESCALATION_EXPECTATIONS.get(level, "join the response")
    who = users(targets) if targets else f"_(nobody is configured: set {setting_name})_"
    head = (
        f":arrow_double_up: *Level {level} escalation: {inc.id} ({inc.severity}) is still unresolved* "
        f"— open {age_text(inc, now)}, status {status_label(inc.status)}."
    )
    body = f"{who}: {expected}. Commander {user(inc.commander_id)}.\n{ref_line(inc)}"
    text = (
        f"Level {level} escalation: {inc.id} ({inc.severity}) unresolved after {age_text(inc, now)}; "
        f"{expected}."
    )
    return text, [section(head), section(body)]


def nudge(inc: IncidentRecord, *, now: datetime, clocks: IncidentClocks) -> tuple[str, Blocks]:
    cadence = clocks.update.get(inc.severity)
    every = f" (every {format_duration(cadence)} for {inc.severity})" if cadence else ""
    head = (
        f":hourglass: {user(inc.commander_id)}: the status update for *{inc.id}* ({inc.severity}, open "
        f"{age_text(inc, now)}) was due {date(inc.next_update_due)}{every}."
    )
    body = (
        "Expected: post an update now with the button, or "
        f'`/incident update {inc.id} <status> "what changed"`.'
    )
    blocks = [
        section(head),
        context(body),
        actions([button("Post update", Action.INCIDENT_UPDATE, inc.id)], block_id=f"incident-nudge:{inc.id}"),
    ]
    text = (
        f"Status update overdue for {inc.id} ({inc.severity}, open {age_text(inc, now)}); post an update now."
    )
    return text, blocks


# --- resolution and close-out --------------------------------------------------------------------------


def closed(inc: IncidentRecord, *, actor_id: str | None, waived: bool = False) -> tuple[str, Blocks]:
    by = f" by {user(actor_id)}" if actor_id else " after its monitoring period"
    waiver = f"\nClose-out waived: {escape(inc.waiver_reason)}" if waived and inc.waiver_reason else ""
    text = f"{inc.id} is closed{by}."
    body = (
        f":white_check_mark: *{inc.id}* ({inc.severity}) closed{by} {date(inc.closed_at)}.{waiver}\n"
        f"Post-mortem draft: `/incident postmortem {inc.id}`"
    )
    return text, [section(body)]


def held(inc: IncidentRecord, *, now: datetime) -> tuple[str, Blocks]:
    body = (
        f":lock: *{inc.id}* ({inc.severity}, open {age_text(inc, now)}) finished monitoring but stays "
        f"resolved, not closed. {close_out_rule(inc.id)}\n"
        f"{user(inc.commander_id)}: add a preventative action item from `/incident postmortem {inc.id}`, "
        "or record a waiver."
    )
    return f"{inc.id} is held open: it needs a preventative action item or a waiver.", [section(body)]


def note(text: str) -> tuple[str, Blocks]:
    """A one-line thread note (fallback text and a section)."""
    return text, [section(text)]


def item_line(item: ItemRecord) -> str:
    owner = user(item.owner_id)
    return f"`{item.id}` {escape(item.title)} — {item.kind}, owner {owner}, due {date(item.deadline)}"


def action_item_added(inc: IncidentRecord, item: ItemRecord, *, actor_id: str) -> tuple[str, Blocks]:
    text = f"Action item {item.id} added to {inc.id}: {escape(item.title)}"
    body = f":memo: {user(actor_id)} added an action item to *{inc.id}*: {item_line(item)}"
    return text, [section(body)]


def postmortem(inc: IncidentRecord, *, record: Record, now: datetime) -> tuple[str, Blocks]:
    """The post-mortem message: key figures, the template's timeline with times, the action items so far,
    and the Add action item button. `record` is a `bot.core.incidents.postmortem.Record`."""
    m = measures(
        started_at=inc.started_at,
        acknowledged_at=inc.acknowledged_at,
        mitigated_at=inc.mitigated_at,
        resolved_at=inc.resolved_at,
        now=now,
    )

    def took(d: Any) -> str:
        return format_duration(d) if d is not None else "—"

    timeline = [
        (inc.started_at, "Incident detected"),
        (inc.acknowledged_at, "Initial response began"),
        (inc.mitigated_at, "Mitigation applied"),
        (record.deployed_at, "Resolution deployed"),
        (inc.resolved_at, "Incident resolved"),
    ]
    lines = [f"• {date(at) if at else '—'} — {what}" for at, what in timeline]
    items = [item_line_from_record(i) for i in record.items] or ["_None yet: add them with the button._"]
    blocks: Blocks = [
        header(f"Post-mortem draft: {inc.id}"),
        section(f"*{escape(inc.title)}*"),
        fields(
            [
                ("Severity", SEVERITY[inc.severity].label),
                ("Duration", took(m.duration) + ("" if inc.resolved_at else " so far")),
                ("Time to acknowledge", took(m.to_acknowledge)),
                ("Time to mitigate", took(m.to_mitigate)),
                ("Time to resolve", took(m.to_resolve)),
                ("Users affected", f"{inc.users_affected:,}" if inc.users_affected is not None else "—"),
                ("Impact", escape(truncate(inc.impact, 1500)) or "—"),
            ]
        ),
        section("*Timeline*\n" + "\n".join(lines)),
        section("*Action items*\n" + "\n".join(items[:20])),
        actions(
            [button("Add action item", Action.INCIDENT_ADD_ACTION_ITEM, inc.id, "primary")],
            block_id=f"incident-postmortem:{inc.id}",
        ),
        context("The full draft, in the post-mortem template, is the file in this thread."),
    ]
    text = f"Post-mortem draft for {inc.id}: {escape(inc.title)}"
    return text, blocks


def item_line_from_record(item: ActionItem) -> str:
    """One action item of a post-mortem record (`bot.core.incidents.postmortem.ActionItem`)."""
    return (
        f"• `{item.id}` {escape(item.title)} — {item.kind}, owner {user(item.owner_id)}, "
        f"due {date(item.deadline)}"
    )


def already_acknowledged(inc: IncidentRecord) -> str:
    who = f"in {escape(inc.acknowledged_elsewhere)}" if inc.acknowledged_elsewhere else None
    by = who or f"by {user(inc.acknowledged_by)}"
    return f"{inc.id} was already acknowledged {by} {date(inc.acknowledged_at)}."
