"""file_shared: remember the newest file each person shares in a channel (for `/remediate extract` there),
and read a document shared with the bot in a DM, answering there with a button that opens its preview."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.deps import Deps
from bot.services.extraction import preview as service
from bot.slack.ids import Event


def register(app: App, deps: Deps) -> None:
    @app.event(Event.FILE_SHARED.value)
    def on_file_shared(event: dict[str, Any], context: Any) -> None:
        user_id = str(event.get("user_id") or "")
        channel_id = str(event.get("channel_id") or "")
        file_id = str(event.get("file_id") or (event.get("file") or {}).get("id") or "")
        if not (user_id and channel_id and file_id) or user_id == context.get("bot_user_id"):
            return  # incomplete, or the bot's own upload (a weekly report chart)
        if channel_id.startswith("D"):  # a DM the bot is in is a DM with the bot
            service.answer_file_in_dm(deps, user_id=user_id, channel_id=channel_id, file_id=file_id)
        else:
            service.remember_file(deps, user_id=user_id, channel_id=channel_id, file_id=file_id)
