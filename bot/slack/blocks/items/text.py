"""What the bot says about remediation items: one-line summaries, Open buttons and DM notices.

Pure builders (services queue what they return). The Slack layer's card builds on
the same lines (`bot.slack.blocks.items.cards`). User text is escaped; every time is a ``<!date^…>`` token.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.core.items.lifecycle import EMOJI, LABELS, is_open
from bot.core.mrkdwn import date, escape, truncate, user
from bot.core.records import ItemRecord
from bot.core.timing.durations import format_duration
from bot.slack.blocks.trackers import issue_link
from bot.slack.ids import Action


def open_action_id(item_id: str, where: str = "") -> str:
    """Open buttons carry the id (and the section they sit in) in the action_id too, so that several can
    share a message or the Home tab. The listener reads the id from the button's value."""
    return f"{Action.ITEM_OPEN.value}:{where + ':' if where else ''}{item_id}"


def status_text(status: str) -> str:
    return f"{EMOJI.get(status, '')} {LABELS.get(status, status)}".strip()


def due_text(item: ItemRecord, now: datetime) -> str:
    """``due <date> (in 5h)`` / ``due <date> (overdue by 2d 3h)``; finished items show no urgency."""
    when = date(item.deadline)
    if not is_open(item.status):
        return f"due {when}"
    delta = item.deadline - now
    if delta.total_seconds() < 0:
        return f"due {when} (:rotating_light: *overdue by {format_duration(-delta)}*)"
    return f"due {when} (in {format_duration(delta)})"


def money(value: float | None) -> str:
    return "—" if value is None else f"${value:,.0f}/month"


def item_line(item: ItemRecord, now: datetime, *, with_owner: bool = True) -> str:
    """``*P0-20250908-001* · Title · In Progress · @owner · due …`` (mrkdwn, safe)."""
    parts = [f"*{item.id}*", escape(truncate(item.title, 120)), status_text(item.status)]
    if with_owner:
        parts.append(user(item.owner_id))
    parts.append(due_text(item, now))
    issue = getattr(item, "issue", None)  # records carry it; a bare row does not
    if issue is not None and issue[1]:
        parts.append(issue_link(*issue))
    return " · ".join(parts)


def open_button(item_id: str, text: str = "Open", *, where: str = "") -> dict[str, Any]:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": open_action_id(item_id, where),
        "value": item_id,
    }


def notice(item: ItemRecord, headline: str, now: datetime) -> tuple[str, list[dict[str, Any]]]:
    """A DM about an item: the headline (mrkdwn, safe), the item's line and an Open button."""
    block: dict[str, Any] = {
        "type": "section",
        "text": {"type": "mrkdwn", "text": truncate(f"{headline}\n{item_line(item, now)}", 3000)},
        "accessory": open_button(item.id),
    }
    fallback = truncate(f"{headline} {item.id}: {escape(truncate(item.title, 150))}", 3000)
    return fallback, [block]
