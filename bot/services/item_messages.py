"""What the bot says about remediation items in the messages services queue: DMs and one-line summaries.

Pure builders plus `notify`, which queues DMs in the caller's unit of work. The Slack layer's card builds on
the same lines (`bot.slack.blocks.items`). User text is escaped; every time is a ``<!date^…>`` token.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.core.durations import format_duration
from bot.core.lifecycle import EMOJI, LABELS, is_open
from bot.core.mrkdwn import date, escape, truncate, user
from bot.services import outbox
from storage.models import RemediationItem


class ActionIds:
    """Action ids of the buttons in queued messages. They are bot.slack.ids.Action's values, which services
    may not import; tests/unit/test_item_messages.py keeps the two equal."""

    ITEM_OPEN = "item_open"


def open_action_id(item_id: str, where: str = "") -> str:
    """Open buttons carry the id (and the section they sit in) in the action_id too, so that several can
    share a message or the Home tab. The listener reads the id from the button's value."""
    return f"{ActionIds.ITEM_OPEN}:{where + ':' if where else ''}{item_id}"


def status_text(status: str) -> str:
    return f"{EMOJI.get(status, '')} {LABELS.get(status, status)}".strip()


def due_text(item: RemediationItem, now: datetime) -> str:
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


def item_line(item: RemediationItem, now: datetime, *, with_owner: bool = True) -> str:
    """``*P0-20250908-001* · Title · In Progress · @owner · due …`` (mrkdwn, safe)."""
    parts = [f"*{item.id}*", escape(truncate(item.title, 120)), status_text(item.status)]
    if with_owner:
        parts.append(user(item.owner_id))
    parts.append(due_text(item, now))
    return " · ".join(parts)


def open_button(item_id: str, text: str = "Open", *, where: str = "") -> dict[str, Any]:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": open_action_id(item_id, where),
        "value": item_id,
    }


def notice(item: RemediationItem, headline: str, now: datetime) -> tuple[str, list[dict[str, Any]]]:
    """A DM about an item: the headline (mrkdwn, safe), the item's line and an Open button."""
    block: dict[str, Any] = {
        "type": "section",
        "text": {"type": "mrkdwn", "text": truncate(f"{headline}\n{item_line(item, now)}", 3000)},
        "accessory": open_button(item.id),
    }
    fallback = truncate(f"{headline} {item.id}: {escape(truncate(item.title, 150))}", 3000)
    return fallback, [block]


def notify(
    session: Session,
    *,
    now: datetime,
    item: RemediationItem,
    actor_id: str | None,
    headline: str,
    to: Iterable[str | None],
) -> int:
    """DM `headline` about `item` to each of `to` once, except the person who made the change.
    Returns how many DMs were queued."""
    sent = 0
    for user_id in dict.fromkeys(u for u in to if u and u != actor_id and not u.startswith("S")):
        text, blocks = notice(item, headline, now)
        outbox.send_dm(session, now=now, user_id=user_id, text=text, blocks=blocks)
        sent += 1
    return sent
