"""The owner's answer to an issue closed as not planned: Cancel the item, or Keep open (the issue is
reopened). The button only names the item: it is read again and the presser's permission checked again."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.core.errors import AlreadyDone, UserError
from bot.core.items.rules import looks_like_item_id
from bot.deps import Deps
from bot.services.items.steps import actor_for
from bot.services.trackers import links
from bot.slack import dedupe, replies
from bot.slack.ids import Action


def register(app: App, deps: Deps) -> None:
    def answering(cancel: bool) -> Any:
        def on_press(ack: Any, body: dict[str, Any]) -> None:
            ack()
            key = dedupe.press_key(body)
            if dedupe.seen(deps, key):
                return
            action = (body.get("actions") or [{}])[0]
            item_id = str(action.get("value") or "")[:64]
            if not looks_like_item_id(item_id):
                replies.tell(deps, body, ":warning: That button names no item.")
                return
            actor = actor_for(deps, str((body.get("user") or {}).get("id") or ""))
            try:
                view = links.answer_not_planned(
                    deps,
                    actor=actor,
                    item_id=item_id,
                    cancel=cancel,
                    after=dedupe.claiming(key, deps.now()),
                )
            except AlreadyDone:
                return
            except UserError as err:
                replies.tell(deps, body, f":warning: {err.message}")
                return
            replies.tell(deps, body, view.message)

        return on_press

    app.action(Action.TRACKER_CANCEL.value)(answering(True))
    app.action(Action.TRACKER_KEEP_OPEN.value)(answering(False))
