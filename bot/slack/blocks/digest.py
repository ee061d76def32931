"""Block Kit for the daily standup digest ("P0 Remediation Status — <date>"). Pure builder.

Each item line carries its ID and an Open button. A section shows at most its share of Slack's 50 blocks;
what does not fit is counted with a pointer to `/remediate list`, never cut mid-item.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from bot.core.items.lifecycle import IN_PROGRESS, LABELS, VALIDATED
from bot.core.reports.digest import Digest, DigestIncident, DigestItem, RiskLine, Section
from bot.slack.blocks.format import date, escape, truncate, user
from bot.slack.blocks.items.text import open_button
from bot.slack.blocks.replies import context, section
from bot.slack.blocks.trackers import issue_link

Blocks = list[dict[str, Any]]
T = TypeVar("T")

# Lines per section: 4 titles, 4 "more" lines, header, as-of and alerts leave 39 of Slack's 50 blocks.
SHOWN = {"completed": 8, "in_progress": 12, "at_risk": 12, "incidents": 6}


def _item_block(text: str, item_id: str) -> dict[str, Any]:
    block = section(truncate(text, 2900))
    block["accessory"] = open_button(item_id)
    return block


def _title(item: DigestItem) -> str:
    """The title, and the linked issue as a link when there is one."""
    title = escape(truncate(item.title, 150))
    return f"{title} · {issue_link(*item.issue)}" if item.issue else title


def _completed(item: DigestItem) -> dict[str, Any]:
    if item.status == VALIDATED and item.validated_at is not None:
        when = f"validated {date(item.validated_at)}"
    else:
        when = f"completed {date(item.completed_at)}"
    text = f":white_check_mark: *{item.id}* · {_title(item)} · {user(item.owner_id)} · {when}"
    return _item_block(text, item.id)


def _in_progress(item: DigestItem) -> dict[str, Any]:
    status = "" if item.status == IN_PROGRESS else f" · {LABELS.get(item.status, item.status)}"
    text = f"*{item.id}* · {_title(item)} (Owner: {user(item.owner_id)}, Due: {date(item.deadline)}){status}"
    return _item_block(text, item.id)


def _at_risk(line: RiskLine) -> dict[str, Any]:
    item = line.item
    why = escape(truncate("; ".join(line.reasons), 400))
    text = (
        f":warning: *{item.id}* · {_title(item)} · {user(item.owner_id)} · due {date(item.deadline)}\n_{why}_"
    )
    return _item_block(text, item.id)


def _incident(inc: DigestIncident) -> dict[str, Any]:
    text = (
        f"*{inc.id}* · {escape(truncate(inc.title, 150))} · {inc.severity} · {inc.status} · "
        f"commander {user(inc.commander_id)} · declared {date(inc.declared_at)}"
    )
    if inc.held_open:
        text += "\n_held open: needs a preventative remediation item with an owner, or a waiver_"
    return section(truncate(text, 2900))


def _section(
    title: str,
    sec: Section[T],
    render: Callable[[T], dict[str, Any]],
    *,
    shown: int,
    more: str,
    empty: str,
) -> Blocks:
    if not sec.total:
        return [section(f"*{title}* — {empty}")]
    entries: Sequence[T] = sec.entries[:shown]
    blocks: Blocks = [section(f"*{title}* ({sec.total})")]
    blocks += [render(e) for e in entries]
    hidden = sec.total - len(entries)
    if hidden > 0:
        blocks.append(context(f"…and {hidden} more: {more}"))
    return blocks


def digest_message(d: Digest, *, dashboard: str = "") -> tuple[str, Blocks]:
    """The digest message (fallback text, blocks), always within Slack's limits; with `dashboard` (the web
    dashboard's base address, when it is set up) a link to its overview."""
    link = f" <{dashboard}/|Open in dashboard>" if dashboard else ""
    if d.nothing_open:
        text = f"{d.title}: nothing open."
        line = (
            f":white_check_mark: *{d.title}* — nothing open: no remediation item in progress, blocked or "
            f"due, nothing completed today, no open incident. As of {date(d.now)}.{link}"
        )
        return text, [section(line)]
    blocks: Blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": d.title}},
        context(
            f"As of {date(d.now)}. Open any item with its button; `/remediate list` shows them all.{link}"
        ),
    ]
    blocks += _section(
        "Completed today",
        d.completed,
        _completed,
        shown=SHOWN["completed"],
        more="`/remediate list completed`",
        empty="none yet",
    )
    blocks += _section(
        "In progress",
        d.in_progress,
        _in_progress,
        shown=SHOWN["in_progress"],
        more="`/remediate list open`",
        empty="nothing on track",
    )
    blocks += _section(
        "Blocked / at risk",
        d.at_risk,
        _at_risk,
        shown=SHOWN["at_risk"],
        more="`/remediate list overdue` and `/remediate list blocked`",
        empty="none",
    )
    alerts = d.alert_lines()
    if d.ci is not None:
        alerts += [d.ci.recurrence_line(), d.ci.ci_line()]
    blocks.append(section("*Alerts*\n" + "\n".join(f"• {line}" for line in alerts)))
    blocks += _section(
        "Open incidents",
        d.incidents,
        _incident,
        shown=SHOWN["incidents"],
        more="`/incident list open`",
        empty="none",
    )
    text = (
        f"{d.title}: {d.completed.total} completed today, {d.in_progress.total} in progress, "
        f"{d.at_risk.total} blocked or at risk, {d.due_soon} due within 24 hours, {d.overdue} overdue, "
        f"{d.incidents.total} open incident{'s' if d.incidents.total != 1 else ''}"
    )
    return text, blocks[:50]
