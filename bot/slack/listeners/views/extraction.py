"""Submissions of the extraction forms.

The input form answers with the preview (``response_action: update``), or with the error next to the field
that holds the problem; the preview answers with what was created. Nothing is created before the preview is
submitted, and a second submission of the same preview creates nothing (the service takes the draft once).
"""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.core.errors import UserError
from bot.deps import Deps
from bot.services.extraction import create as extraction_create
from bot.services.extraction import preview as service
from bot.slack import forms
from bot.slack.blocks import extraction as blocks
from bot.slack.forms import Field
from bot.slack.ids import ExtractInput, View

INPUT = {
    "text": Field(ExtractInput.TEXT, strip=False),  # first: a problem that names no input is shown here
    "file_ids": Field(ExtractInput.FILE, "files", also=("file",)),
    "source": Field(ExtractInput.SOURCE),
}
PREVIEW = {"picked": Field(ExtractInput.PICK, "checkboxes", prefix=True)}


def register(app: App, deps: Deps) -> None:
    @app.view(View.EXTRACT_INPUT.value)
    def on_input(ack: Any, body: dict[str, Any]) -> None:
        user_id, form = body["user"]["id"], forms.read(body.get("view"), INPUT)
        try:
            document = service.read_input(deps, **form.values)
            preview = service.prepare(
                deps,
                user_id=user_id,
                channel_id=str(form.meta.get("channel") or user_id),
                document=document,
                incident_id=form.meta.get("incident") or None,
            )
        except service.NothingActionable as problem:
            return ack(response_action="update", view=blocks.nothing_modal(problem))
        except UserError as err:
            return ack(**form.refusal(err))
        ack(response_action="update", view=blocks.preview_modal(preview))

    @app.view(View.EXTRACT_PREVIEW.value)
    def on_preview(ack: Any, body: dict[str, Any]) -> None:
        form = forms.read(body.get("view"), PREVIEW)
        draft_id = str(form.meta.get("draft") or "")
        if not draft_id:  # the "nothing to track" and "created" views have no submit button
            return ack()
        try:
            created = extraction_create.create_from_draft(
                deps, draft_id=draft_id, user_id=body["user"]["id"], picked=forms.indexes(form["picked"])
            )
        except UserError as err:  # nothing ticked, or the draft is gone: said next to the first group
            return ack(**form.refusal(err))
        ack(
            response_action="update",
            view=blocks.created_modal(created.source, created.ids, again=created.again),
        )
