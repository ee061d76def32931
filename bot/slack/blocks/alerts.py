"""Block Kit for escalation alerts (the process document's overdue alert template). Pure builders.

One alert reads like the template — priority, ID, title, owner, hours overdue, MRR at risk, required
actions — with Acknowledge, Snooze and Post status update controls. Several alerts of one sweep (an outage
catching up) share one message: a line per item with a menu of the same actions, at most MAX_LISTED lines,
then a count and where to see the rest. Every time is a ``<!date^…>`` token; user text is escaped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.core.escalation.ladder import LEVEL_NAMES, PRIORITY_LABELS, AlertView
from bot.core.items.boards import DueSoon
from bot.core.items.impact import money
from bot.core.timing.durations import format_duration
from bot.slack.blocks.format import date, escape, truncate, user, users
from bot.slack.blocks.items.text import open_button
from bot.slack.blocks.replies import context, section
from bot.slack.ids import Action, AlertInput, View, keyed

Blocks = list[dict[str, Any]]
MAX_LISTED = 40  # item lines in a grouped alert; with the head and tail blocks well inside 50

PRIORITY_EMOJI = {"P0": ":red_circle:", "P1": ":large_orange_circle:", "P2": ":large_yellow_circle:"}
SNOOZE_CHOICES = (("2h", "Snooze 2 hours"), ("tomorrow", "Until tomorrow 09:00 (owner's time)"))


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text}, "value": value}


def _state(a: AlertView) -> str | None:
    parts = []
    if a.acked_by:
        parts.append(f":white_check_mark: Acknowledged by {user(a.acked_by)} {date(a.acked_at)}")
    if a.snoozed_until:
        who = f" by {user(a.snoozed_by)}" if a.snoozed_by else ""
        parts.append(f":zzz: Snoozed{who} until {date(a.snoozed_until)}")
    return " · ".join(parts) or None


def _facts(a: AlertView) -> str:
    lines = [
        f"*Issue:* {a.item_id}",
        f"*Title:* {escape(truncate(a.title, 200))}",
        f"*Owner:* {user(a.owner_id)}",
        f"*Overdue:* {a.hours_overdue:.1f} hours (deadline {date(a.deadline)})",
        f"*Business Impact:* {money(a.mrr_at_risk)} MRR at risk",
        "*Required Actions:*",
        *(f"{n}. {escape(action)}" for n, action in enumerate(a.required_actions, 1)),
    ]
    return "\n".join(lines)


def _controls(a: AlertView) -> dict[str, Any]:
    elements: list[dict[str, Any]] = []
    if not a.acked_by:
        elements.append(
            {
                "type": "button",
                "text": {"type": "plain_text", "text": "Acknowledge"},
                "action_id": keyed(Action.ALERT_ACK, a.alert_id),
                "value": str(a.alert_id),
                "style": "primary",
            }
        )
    elements.append(
        {
            "type": "static_select",
            "placeholder": {"type": "plain_text", "text": "Snooze…"},
            "action_id": keyed(Action.ALERT_SNOOZE, a.alert_id),
            "options": [_option(text, value) for value, text in SNOOZE_CHOICES],
        }
    )
    elements.append(
        {
            "type": "button",
            "text": {"type": "plain_text", "text": "Post status update"},
            "action_id": keyed(Action.ALERT_STATUS_UPDATE, a.alert_id),
            "value": str(a.alert_id),
        }
    )
    elements.append(open_button(a.item_id, "Open item"))
    return {"type": "actions", "block_id": f"alert-{a.alert_id}", "elements": elements}


def _menu(a: AlertView) -> dict[str, Any]:
    options = []
    if not a.acked_by:
        options.append(_option("Acknowledge", f"ack:{a.alert_id}"))
    options += [_option(text, f"snooze-{value}:{a.alert_id}") for value, text in SNOOZE_CHOICES]
    options.append(_option("Post status update", f"status:{a.alert_id}"))
    return {"type": "overflow", "action_id": keyed(Action.ALERT_MENU, a.alert_id), "options": options}


def _headline(a: AlertView) -> str:
    emoji = PRIORITY_EMOJI.get(a.priority, ":warning:")
    return f"{emoji} *{escape(a.headline)}*"


def single_alert(a: AlertView, *, to_owner: bool) -> tuple[str, Blocks]:
    """One alert, as the template shows it."""
    blocks: Blocks = [section(_headline(a))]
    if to_owner:
        blocks.append(section(f"Your remediation item is overdue and escalated to *Level {a.level}*."))
    elif a.mentions:
        blocks.append(section(f"*Escalated to:* {users(list(a.mentions))}"))
    blocks.append(section(_facts(a)))
    state = _state(a)
    blocks.append(context(state or f"Fired {date(a.fired_at)}. Acknowledge to tell everyone it is in hand."))
    blocks.append(_controls(a))
    label = PRIORITY_LABELS.get(a.priority, a.priority)
    text = (
        f"{label}: {a.item_id} is {a.hours_overdue:.1f} hours overdue — Level {a.level} escalation: "
        f"{escape(truncate(a.title, 150))}"
    )
    if not to_owner and a.mentions:
        text += f" ({users(list(a.mentions))})"
    return text, blocks


def _line(a: AlertView, *, with_owner: bool) -> str:
    parts = [
        f"{PRIORITY_EMOJI.get(a.priority, ':warning:')} *{a.item_id}*",
        escape(truncate(a.title, 120)),
        f"Level {a.level}",
        f"{a.hours_overdue:.1f} h overdue",
    ]
    if with_owner:
        parts.append(user(a.owner_id))
    if a.mrr_at_risk:
        parts.append(f"{money(a.mrr_at_risk)} MRR at risk")
    line = " · ".join(parts)
    state = _state(a)
    return f"{line}\n{state}" if state else line


def grouped_alerts(alerts: Sequence[AlertView], *, to_owner: bool) -> tuple[str, Blocks]:
    """Many alerts of one sweep in one message: one line each (with a menu), then a count of the rest."""
    levels = sorted({a.level for a in alerts})
    if len(levels) == 1:
        level_text = f"Level {levels[0]} ({LEVEL_NAMES.get(levels[0], '')})"
    else:
        level_text = "Levels " + ", ".join(map(str, levels))
    n = len(alerts)
    if to_owner:
        head = f":rotating_light: *{n} of your remediation items are overdue and escalated ({level_text})*"
    else:
        head = f":rotating_light: *{n} remediation items overdue — escalated to {level_text}*"
    blocks: Blocks = [section(head)]
    mentions = sorted({m for a in alerts for m in a.mentions if m != a.owner_id})
    if not to_owner and mentions:
        blocks.append(section(f"*Escalated to:* {users(mentions)} · owners were told by direct message"))
    for a in list(alerts)[:MAX_LISTED]:
        block = section(_line(a, with_owner=not to_owner))
        block["accessory"] = _menu(a)
        blocks.append(block)
    hidden = n - min(n, MAX_LISTED)
    tail = f"Fired {date(alerts[0].fired_at)}. Use each item's menu to acknowledge, snooze or post an update."
    if hidden:
        tail = f"…and {hidden} more overdue items: `/remediate list overdue`. " + tail
    blocks.append(context(tail))
    priorities = sorted({a.priority for a in alerts})
    text = f"{n} remediation items overdue ({', '.join(priorities)}), escalated to {level_text}"
    return text, blocks


def alert_message(alerts: Sequence[AlertView], *, to_owner: bool) -> tuple[str, Blocks]:
    """The message for the alerts of one sweep that share a channel post or a DM."""
    if len(alerts) == 1:
        return single_alert(alerts[0], to_owner=to_owner)
    return grouped_alerts(alerts, to_owner=to_owner)


def _due_line(d: DueSoon, now: datetime) -> str:
    left = format_duration(d.deadline - now)
    title = escape(truncate(d.title, 150))
    return f"*{d.item_id}* · {title} · {d.priority} · due {date(d.deadline)} (in {left})"


def due_soon_message(items: Sequence[DueSoon], *, now: datetime) -> tuple[str, Blocks]:
    """The "due soon" DM: one item with its Open button, or a line (and button) per item."""
    if len(items) == 1:
        d = items[0]
        block = section(f":hourglass_flowing_sand: *Due within 24 hours*\n{_due_line(d, now)}")
        block["accessory"] = open_button(d.item_id)
        hint = context("Post a note on it or move its deadline if the plan changed: `/remediate help`.")
        left = format_duration(d.deadline - now)
        text = f"Due soon: {d.item_id} {escape(truncate(d.title, 150))} is due in {left}"
        return text, [block, hint]
    head = f":hourglass_flowing_sand: *{len(items)} of your items are due within 24 hours*"
    blocks: Blocks = [section(head)]
    for d in list(items)[:MAX_LISTED]:
        block = section(_due_line(d, now))
        block["accessory"] = open_button(d.item_id)
        blocks.append(block)
    if len(items) > MAX_LISTED:
        blocks.append(context(f"…and {len(items) - MAX_LISTED} more: `/remediate list mine`"))
    return f"{len(items)} of your remediation items are due within 24 hours", blocks


def alert_id_of(raw: object) -> int | None:
    """The alert id a button value, an action id key or a modal's private_metadata carries; None for
    anything else (a forged value, or a number no database column holds)."""
    text = str(raw if raw is not None else "").strip()
    return int(text) if re.fullmatch(r"[0-9]{1,15}", text) else None


def status_update_modal(alert_id: int, item_id: str, title: str) -> dict[str, Any]:
    """The Post status update modal of an alert (private_metadata carries the alert id)."""
    return {
        "type": "modal",
        "callback_id": View.ITEM_STATUS_UPDATE.value,
        "private_metadata": str(alert_id),
        "title": {"type": "plain_text", "text": "Status update"},
        "submit": {"type": "plain_text", "text": "Post"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            section(f"*{item_id}* · {escape(truncate(title, 200))}"),
            {
                "type": "input",
                "block_id": AlertInput.STATUS_TEXT.value,
                "label": {"type": "plain_text", "text": "Where does it stand?"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": AlertInput.STATUS_TEXT.value,
                    "multiline": True,
                    "max_length": 3000,
                    "placeholder": {"type": "plain_text", "text": "Done, next, and what you need"},
                },
            },
            context("Posted in the alert's thread and on the item's timeline; it counts as progress."),
        ],
    }
