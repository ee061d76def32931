"""Block Kit for lists of items: `/remediate list`, the daily status view and the Home tab. Pure builders.

Every list is bounded: a section shows a handful of items and says how many more there are and where to
see them, so no reply can exceed Slack's block limits however many items exist.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.core.items.boards import HomeData, Page, Section, StatusBoard
from bot.core.timing.durations import PRIORITIES
from bot.slack.blocks.format import date, day
from bot.slack.blocks.items.cards import item_row
from bot.slack.blocks.items.text import item_line
from bot.slack.blocks.replies import context, section
from bot.slack.ids import Action

Blocks = list[dict[str, Any]]
HOME_SECTION_ROWS = 8  # rows per Home section: 5 sections * (2 + 8) + header and team stays under 100


def list_reply(title: str, page: Page, now: datetime, *, more_hint: str) -> tuple[str, Blocks]:
    """One row per item with an Open button; at most 20 rows (a page), then how to see the rest."""
    if not page.items:
        return f"{title}: nothing.", [section(f"*{title}*\nNothing here. :tada:")]
    first, last = page.offset + 1, page.offset + len(page.items)
    head = f"*{title}* — {first} to {last} of {page.total}, most urgent first"
    blocks: Blocks = [section(head)]
    blocks += [item_row(item, now) for item in page.items]
    if last < page.total:
        blocks.append(context(f"{page.total - last} more: {more_hint}"))
    return f"{title}: {page.total} item(s)", blocks


def _lines(sec: Section, now: datetime, *, more: str, with_owner: bool = True) -> str:
    if not sec.items:
        return "_None_"
    lines = [f"• {item_line(item, now, with_owner=with_owner)}" for item in sec.items]
    if sec.total > len(sec.items):
        lines.append(f"_…and {sec.total - len(sec.items)} more: {more}_")
    return "\n".join(lines)


def status_view(board: StatusBoard, now: datetime) -> tuple[str, Blocks]:
    """The process document's daily status view: Completed today, In progress, Blocked / at risk, Alerts."""
    overdue_total = sum(board.overdue_by_priority.values())
    by_priority = ", ".join(
        f"{p}: {board.overdue_by_priority[p]}" for p in PRIORITIES if board.overdue_by_priority.get(p)
    )
    alerts = [
        f"• {board.due_soon} item(s) due within 24 h",
        f"• {overdue_total} item(s) overdue" + (f" ({by_priority})" if by_priority else ""),
    ]
    blocks: Blocks = [
        section(f":clipboard: *Remediation Status — {day(board.day_start)}*"),
        section(
            f"*Completed today* ({board.completed_today.total})\n"
            + _lines(board.completed_today, now, more="`/remediate list completed`")
        ),
        section(
            f"*In progress* ({board.in_progress.total})\n"
            + _lines(board.in_progress, now, more="`/remediate list open --status in_progress`")
        ),
        section(
            f"*Blocked / at risk* ({board.at_risk.total})\n"
            + _lines(board.at_risk, now, more="`/remediate list overdue`")
        ),
        section("*Alerts*\n" + "\n".join(alerts)),
    ]
    if board.overdue is not None:
        blocks.append(
            section(
                f"*Overdue* ({board.overdue.total})\n"
                + _lines(board.overdue, now, more="`/remediate list overdue`")
            )
        )
    if board.upcoming is not None:
        blocks.append(
            section(
                f"*Due in the next 7 days* ({board.upcoming.total})\n"
                + _lines(board.upcoming, now, more="`/remediate list upcoming`")
            )
        )
    blocks.append(
        context(f"As of {date(now)}. At risk: blocked, overdue, or due within 24 h with no progress in 48 h.")
    )
    text = (
        f"Remediation status: {board.in_progress.total} in progress, "
        f"{board.at_risk.total} blocked or at risk, {overdue_total} overdue"
    )
    return text, blocks


def _home_section(
    title: str, sec: Section, now: datetime, *, key: str, more: str, with_owner: bool = True
) -> Blocks:
    blocks: Blocks = [section(f"*{title}* ({sec.total})")]
    if not sec.items:
        blocks.append(context("Nothing here."))
        return blocks
    blocks += [
        item_row(item, now, with_owner=with_owner, where=key) for item in sec.items[:HOME_SECTION_ROWS]
    ]
    if sec.total > min(len(sec.items), HOME_SECTION_ROWS):
        blocks.append(context(f"{sec.total - min(len(sec.items), HOME_SECTION_ROWS)} more: {more}"))
    return blocks


def home_view(data: HomeData, now: datetime) -> dict[str, Any]:
    """The Home tab: the person's open items (overdue first, then due within 24 h, then later), items
    waiting for their validation, items they reported, and team counts. At most 100 blocks, always."""
    team = ", ".join(f"{p}: {data.team_open.get(p, 0)}" for p in PRIORITIES)
    blocks: Blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "Remediation items"}},
        section(
            f"*Team:* {sum(data.team_open.values())} open ({team}) · {data.team_overdue} overdue · "
            f"{data.team_blocked} blocked · {data.team_to_validate} awaiting validation"
        ),
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Track a new item"},
                    "action_id": Action.ITEM_NEW.value,
                    "value": "home",
                    "style": "primary",
                }
            ],
        },
        {"type": "divider"},
    ]
    mine = "`/remediate list mine`"
    blocks += _home_section(
        ":rotating_light: Your overdue items", data.overdue, now, key="overdue", more=mine, with_owner=False
    )
    blocks += _home_section(
        ":hourglass_flowing_sand: Yours, due within 24 h",
        data.due_soon,
        now,
        key="soon",
        more=mine,
        with_owner=False,
    )
    blocks += _home_section(
        "Your other open items", data.later, now, key="later", more=mine, with_owner=False
    )
    blocks.append({"type": "divider"})
    blocks += _home_section(
        ":mag: Waiting for your validation",
        data.to_validate,
        now,
        key="validate",
        more="`/remediate list completed`",
    )
    blocks += _home_section(
        "Items you reported", data.reported, now, key="reported", more="`/remediate list open`"
    )
    blocks.append(context(f"Updated {date(now)}. `/remediate help` lists every command."))
    return {"type": "home", "blocks": blocks[:100]}
