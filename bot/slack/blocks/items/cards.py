"""Block Kit for remediation items: one-line summaries, the item card and notices. Pure builders.

Everything a person typed goes through `escape()`; every time is a `<!date^…>` token.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

from bot.core.items import lifecycle as lc
from bot.core.items.lifecycle import (
    BLOCKED,
    CANCELLED,
    COMPLETED,
    IDENTIFIED,
    IN_PROGRESS,
    LABELS,
    PLANNED,
    is_open,
)
from bot.core.records import ItemRecord, TimelineEntry
from bot.slack.blocks.format import date, escape, truncate, user
from bot.slack.blocks.items.text import due_text, item_line, money, open_button, status_text
from bot.slack.blocks.replies import context, section
from bot.slack.blocks.trackers import issue_link
from bot.slack.ids import Action, View

CARD_EVENTS = 5  # timeline entries shown on a card
CARD_EVIDENCE = 10
_RUN_URL = re.compile(r"https?://[^\s<>|`]{1,2000}")


def item_row(item: ItemRecord, now: datetime, *, with_owner: bool = True, where: str = "") -> dict[str, Any]:
    """One block: the item's line with an Open button (`where` keeps its action_id unique on the surface)."""
    block = section(item_line(item, now, with_owner=with_owner))
    block["accessory"] = open_button(item.id, where=where)
    return block


def _button(text: str, action: Action, item_id: str, style: str | None = None) -> dict[str, Any]:
    b: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action.value,
        "value": item_id,
    }
    if style:
        b["style"] = style
    return b


def card_buttons(item: ItemRecord) -> list[dict[str, Any]]:
    """The buttons that make sense for the item's status (the handlers check again)."""
    out = []
    if item.status in (IDENTIFIED, PLANNED):
        out.append(_button("Start", Action.ITEM_START, item.id, "primary"))
    out.append(_button("Add note", Action.ITEM_NOTE, item.id))
    if item.status == IN_PROGRESS:
        out.append(_button("Mark completed", Action.ITEM_COMPLETE, item.id, "primary"))
    if item.status == COMPLETED:
        out.append(_button("Validate", Action.ITEM_VALIDATE, item.id, "primary"))
    if item.status == BLOCKED:
        out.append(_button("Unblock", Action.ITEM_UNBLOCK, item.id))
    if is_open(item.status) or item.status == COMPLETED:
        out.append(_button("Reassign", Action.ITEM_REASSIGN, item.id))
    more = [(verb, text) for verb, text in REASONED_MOVES if verb in _more_moves(item.status)]
    if len(more) == 1:  # an overflow menu needs two options; one move is a plain button
        verb, text = more[0]
        out.append(_button(text, Action.ITEM_OVERFLOW, f"{verb}:{item.id}"))
    elif more:
        out.append(
            {
                "type": "overflow",
                "action_id": Action.ITEM_OVERFLOW.value,
                "options": [
                    {"text": {"type": "plain_text", "text": text}, "value": f"{verb}:{item.id}"}
                    for verb, text in more
                ],
            }
        )
    return out


# Moves that need a reason, offered in the card's overflow menu (each opens a form asking why).
REASONED_MOVES = ((lc.BLOCK, "Block…"), (lc.CANCEL, "Cancel item…"), (lc.SEND_BACK, "Send back…"))


def _more_moves(status: str) -> set[str]:
    return {m.verb for m in lc.allowed_moves(status)}


def _fields(item: ItemRecord, now: datetime) -> list[dict[str, Any]]:
    pairs = [
        ("Owner", user(item.owner_id)),
        ("Reporter", user(item.reporter_id)),
        ("Deadline", due_text(item, now)),
        ("Priority · kind", f"{item.priority} · {item.kind}"),
        *([("Issue", issue_link(*issue))] if (issue := getattr(item, "issue", None)) else []),
        ("Systems", escape(", ".join(item.systems)) or "—"),
        ("MRR at risk", money(item.mrr_at_risk)),
    ]
    if item.users_affected is not None:
        pairs.append(("Users affected", f"{item.users_affected:,}"))
    if item.availability_impact is not None:
        pairs.append(("Availability impact", f"{item.availability_impact:g}%"))
    source = [s for s in (item.incident_id, item.source_ref) if s]
    if source:
        pairs.append(("Source", escape(truncate(" · ".join(source), 300))))
    return [{"type": "mrkdwn", "text": truncate(f"*{k}*\n{v}", 2000)} for k, v in pairs[:10]]


def checklist(criteria: Sequence[dict[str, Any]]) -> str:
    lines = []
    for c in criteria:
        box = ":ballot_box_with_check:" if c.get("done") else ":white_large_square:"
        line = f"{box} {escape(c.get('text', ''))}"
        if c.get("test"):  # the test that proves it in CI (`--test`)
            line += f" · test `{truncate(escape(str(c['test'])).replace('`', chr(39)), 200)}`"
        lines.append(line)
    return "\n".join(lines)


def evidence_line(ev: dict[str, Any]) -> str:
    ref = escape(str(ev.get("ref", ""))).replace("`", "'")
    line = f"*{escape(str(ev.get('kind', '')))}* `{truncate(ref, 200)}`"
    if ev.get("note"):
        line += " — " + escape(truncate(str(ev["note"]), 300))
    if ev.get("commit") and ev.get("commit") != ev.get("ref"):
        line += f" at `{escape(str(ev['commit'])[:12])}`"
    run_url = str(ev.get("run_url") or "")
    if _RUN_URL.fullmatch(run_url):  # a CI report's run: a link
        line += f" · <{escape(run_url)}|CI run>"
    if ev.get("by"):
        line += f" ({user(ev['by'])})"
    return line


def event_line(ev: TimelineEntry) -> str:
    who = user(ev.actor_id) if ev.actor_id else "_the bot_"
    return f"{date(ev.at)} {who}: {truncate(ev.summary, 400)}"


def dashboard_link(dashboard: str, item_id: str) -> str:
    """ "Open in dashboard" for the item's page there (`dashboard`: the dashboard's base address), or ""."""
    return f" · <{dashboard}/items/{quote(item_id, safe='')}|Open in dashboard>" if dashboard else ""


def item_card(
    item: ItemRecord,
    events: Sequence[TimelineEntry],
    now: datetime,
    *,
    buttons: bool = True,
    dashboard: str = "",
) -> list[dict[str, Any]]:
    """The item card: fields, checklist, prevention, evidence, latest timeline entries and buttons; with
    `dashboard` (the web dashboard's base address, when it is set up) a link to the item's page there.

    At most 10 blocks, each within Slack's limits however long the lists grow."""
    link = dashboard_link(dashboard, item.id)
    head = f"*{item.id}* · {status_text(item.status)}{link}\n*{escape(item.title)}*"
    blocks: list[dict[str, Any]] = [section(head)]
    blocks.append({"type": "section", "fields": _fields(item, now)})
    if item.description:
        blocks.append(section(escape(truncate(item.description, 1500))))
    if item.status in (BLOCKED, CANCELLED) and item.status_reason:
        label = "Blocked" if item.status == BLOCKED else "Cancelled"
        blocks.append(section(f"*{label}:* {escape(truncate(item.status_reason, 1000))}"))
    if item.criteria:
        done = sum(1 for c in item.criteria if c.get("done"))
        blocks.append(
            section(f"*Success criteria* ({done}/{len(item.criteria)})\n" + checklist(item.criteria))
        )
    if item.prevention:
        blocks.append(
            section("*Prevention measures*\n" + "\n".join(f"• {escape(p)}" for p in item.prevention))
        )
    if item.evidence:
        shown = item.evidence[-CARD_EVIDENCE:]
        more = len(item.evidence) - len(shown)
        text = "*Evidence*\n" + "\n".join(f"• {evidence_line(e)}" for e in shown)
        if more:
            text += f"\n_…and {more} earlier_"
        blocks.append(section(text))
    if events:
        lines = [event_line(e) for e in list(events)[:CARD_EVENTS]]
        blocks.append(context("*Latest:*\n" + "\n".join(lines)))
    if buttons:
        blocks.append({"type": "actions", "block_id": f"item:{item.id}", "elements": card_buttons(item)})
    return blocks


def card_text(item: ItemRecord) -> str:
    """Fallback text of a card (notifications, screen readers)."""
    return f"{item.id}: {escape(truncate(item.title, 150))} ({LABELS.get(item.status, item.status)})"


def card_modal(
    item: ItemRecord,
    events: Sequence[TimelineEntry],
    now: datetime,
    *,
    notice: str | None = None,
    from_home: bool = False,
    dashboard: str = "",
) -> dict[str, Any]:
    """The card in a modal (opened from the Home tab or a list, or shown after creating an item)."""
    blocks = item_card(item, events, now, dashboard=dashboard)
    if notice:
        blocks.insert(0, section(notice))
    return {
        "type": "modal",
        "callback_id": View.ITEM_CARD.value,
        "title": {"type": "plain_text", "text": truncate(item.id, 24)},
        "close": {"type": "plain_text", "text": "Close"},
        "private_metadata": json.dumps({"id": item.id, "home": from_home}, separators=(",", ":")),
        "blocks": blocks,
    }
