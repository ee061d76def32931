"""The Post status update modal of an escalation alert."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.core.errors import AlreadyDone, UserError
from bot.deps import Deps
from bot.services.escalations import alerts as service
from bot.slack import dedupe
from bot.slack.blocks import alerts as blocks
from bot.slack.ids import AlertInput, View


def register(app: App, deps: Deps) -> None:
    @app.view(View.ITEM_STATUS_UPDATE.value)
    def on_submit(ack: Any, body: dict[str, Any], view: dict[str, Any]) -> None:
        field = AlertInput.STATUS_TEXT.value
        text = (((view.get("state") or {}).get("values") or {}).get(field) or {}).get(field) or {}
        note = str(text.get("value") or "").strip()
        alert_id = blocks.alert_id_of(view.get("private_metadata"))
        if alert_id is None:
            ack(response_action="errors", errors={field: "This form lost its alert; open it again."})
            return
        if not note:
            ack(response_action="errors", errors={field: "Write what changed."})
            return
        key = dedupe.view_key(body)
        if dedupe.seen(deps, key):  # the same form again: it was posted
            ack()
            return
        try:
            service.post_status_update(
                deps,
                alert_id=alert_id,
                actor_id=body["user"]["id"],
                text=note,
                request_key=key,
            )
        except AlreadyDone:
            ack()
            return
        except UserError as err:
            ack(response_action="errors", errors={field: err.message[:150]})
            return
        ack()
