"""The Review button under a document shared with the bot in a DM: open its preview (or, once used, what it
created). The draft is read again and must belong to the presser."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.core.errors import UserError
from bot.deps import Deps
from bot.services.extraction import preview as service
from bot.slack.blocks import extraction as blocks
from bot.slack.ids import Action


def register(app: App, deps: Deps) -> None:
    @app.action(Action.EXTRACT_REVIEW.value)
    def on_review(ack: Any, body: dict[str, Any], client: Any) -> None:
        ack()
        draft_id = str(((body.get("actions") or [{}])[0]).get("value") or "")[:32]
        try:
            preview = service.load_preview(deps, draft_id=draft_id, user_id=body["user"]["id"])
            view = blocks.preview_or_done(preview)
        except UserError as err:
            view = blocks.message_modal("Review items", err.message)
        client.views_open(trigger_id=body["trigger_id"], view=view)
