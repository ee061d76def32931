"""The message shortcut "Extract action items": the thread the message starts (or belongs to) as the
document, in the same preview as `/remediate extract`.

The trigger lasts three seconds and works once: a "Reading the thread…" modal opens at once, then the
thread is read and the modal updated with the preview, or with why it could not be read. Nothing is
created here.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App

from bot.core.errors import UserError
from bot.deps import Deps
from bot.services.extraction import preview as service
from bot.services.extraction import thread
from bot.services.people import SLACK_DOWN
from bot.slack.blocks import extraction as blocks
from bot.slack.ids import Shortcut

log = logging.getLogger(__name__)


def register(app: App, deps: Deps) -> None:
    @app.shortcut(Shortcut.EXTRACT_THREAD.value)
    def on_extract_thread(ack: Any, body: dict[str, Any], client: Any) -> None:
        ack()
        opened = client.views_open(trigger_id=body["trigger_id"], view=blocks.reading_modal(thread.READING))
        view_id = opened["view"]["id"]
        user_id = body["user"]["id"]
        message = body.get("message") or {}
        channel_id = str((body.get("channel") or {}).get("id") or "")
        thread_ts = str(message.get("thread_ts") or message.get("ts") or body.get("message_ts") or "")
        try:
            document = thread.read_thread(deps, channel_id=channel_id, thread_ts=thread_ts)
            view = blocks.preview_modal(
                service.prepare(deps, user_id=user_id, channel_id=channel_id, document=document)
            )
        except service.NothingActionable as problem:
            view = blocks.nothing_modal(problem)
        except UserError as err:
            view = blocks.message_modal("Extract items", err.message)
        try:
            client.views_update(view_id=view_id, view=view)
        except SLACK_DOWN as exc:  # the person closed the modal while the thread was read
            log.info("views.update of the thread preview %s failed: %s", view_id, exc)
