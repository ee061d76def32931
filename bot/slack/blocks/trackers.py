"""Messages about an item's issue in GitHub or Jira: the question an issue closed as not planned asks the
item's owner, and the issue as a link (card, `show`, digest, Home). Plain data in, blocks out."""

from __future__ import annotations

from typing import Any

from bot.core.mrkdwn import escape
from bot.core.records import ItemRecord
from bot.slack.ids import Action


def not_planned_question(item: ItemRecord, issue: str) -> tuple[str, list[dict[str, Any]]]:
    text = (
        f"{issue} was closed as not planned. Cancel {item.id} ({item.title}) too, or keep it open "
        "(the issue is reopened)?"
    )
    shown = (
        f":grey_question: *{escape(issue)}* was closed as not planned.\n"
        f"*{item.id}* {escape(item.title)} is still open here. Cancel it too, or keep it open (the issue is "
        "reopened)?"
    )
    return text, [
        {"type": "section", "text": {"type": "mrkdwn", "text": shown[:3000]}},
        {
            "type": "actions",
            "block_id": f"tracker_not_planned:{item.id}"[:255],
            "elements": [
                {
                    "type": "button",
                    "action_id": Action.TRACKER_CANCEL.value,
                    "text": {"type": "plain_text", "text": "Cancel the item"},
                    "style": "danger",
                    "value": item.id,
                },
                {
                    "type": "button",
                    "action_id": Action.TRACKER_KEEP_OPEN.value,
                    "text": {"type": "plain_text", "text": "Keep open"},
                    "value": item.id,
                },
            ],
        },
    ]


def issue_link(tracker: str, number: str, url: str | None) -> str:
    """``<url|GitHub #42>`` (mrkdwn), or the name alone while the issue is being created."""
    name = f"{tracker} #{number}" if tracker == "GitHub" else f"{tracker} {number}"
    if not number:
        return f"{tracker} (being created)"
    if url and url.startswith(("https://", "http://")) and "|" not in url and ">" not in url:
        return f"<{url}|{escape(name)}>"
    return escape(name)
