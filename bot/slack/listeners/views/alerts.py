"""The Post status update modal of an escalation alert."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.core.errors import AlreadyDone, UserError
from bot.deps import Deps
from bot.services.escalations import alerts as service
from bot.slack import dedupe, forms
from bot.slack.blocks import alerts as blocks
from bot.slack.forms import Field
from bot.slack.ids import AlertInput, View

STATUS_UPDATE = {"text": Field(AlertInput.STATUS_TEXT)}


def register(app: App, deps: Deps) -> None:
    @app.view(View.ITEM_STATUS_UPDATE.value)
    def on_submit(ack: Any, body: dict[str, Any], view: dict[str, Any]) -> None:
        form, key = forms.read(view, STATUS_UPDATE), dedupe.view_key(body)
        alert_id = blocks.alert_id_of(form.raw_meta)
        if alert_id is None:
            return ack(**form.refusal("This form lost its alert; open it again."))
        if dedupe.seen(deps, key):  # the same form again: it was posted
            return ack()
        try:
            service.post_status_update(
                deps, alert_id=alert_id, actor_id=body["user"]["id"], text=form["text"] or "", request_key=key
            )
        except AlreadyDone:
            return ack()
        except UserError as err:
            return ack(**form.refusal(err))
        ack()
