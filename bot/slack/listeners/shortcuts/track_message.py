"""The message shortcut "Track as remediation item": the create form, pre-filled with the message's text and
a link back to it."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App

from bot.deps import Deps
from bot.services.people import SLACK_DOWN
from bot.slack.blocks.items.modals import create_modal
from bot.slack.ids import Shortcut
from bot.slack.text import from_slack

log = logging.getLogger(__name__)


def register(app: App, deps: Deps) -> None:
    @app.shortcut(Shortcut.TRACK_MESSAGE.value)
    def on_track_message(ack: Any, body: dict[str, Any], client: Any) -> None:
        ack()
        message = body.get("message") or {}
        channel = (body.get("channel") or {}).get("id") or ""
        ts = message.get("ts") or body.get("message_ts") or ""
        text = from_slack(message.get("text") or "").strip()
        title = next((line.strip() for line in text.splitlines() if line.strip()), "")
        permalink = ""
        try:
            permalink = client.chat_getPermalink(channel=channel, message_ts=ts).get("permalink") or ""
        except SLACK_DOWN as exc:  # the form is still useful without the link
            log.warning("chat.getPermalink %s/%s failed: %s", channel, ts, exc)
        source = permalink or f"message {ts} in channel {channel}"
        client.views_open(
            trigger_id=body["trigger_id"],
            view=create_modal(
                meta={"channel": channel, "message_ts": ts},
                title=title[:200],
                description=text[:3000],
                source=source[:500],
            ),
        )
