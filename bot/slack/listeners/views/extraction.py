"""Submissions of the extraction forms.

The input form answers with the preview (``response_action: update``), or with the error next to the field
that holds the problem; the preview answers with what was created. Nothing is created before the preview is
submitted, and a second submission of the same preview creates nothing (the service takes the draft once).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App

from bot.core.errors import UserError
from bot.core.extraction_preview import RowChange
from bot.deps import Deps
from bot.services.extraction import create as extraction_create
from bot.services.extraction import preview as service
from bot.services.people import SLACK_DOWN
from bot.slack import forms
from bot.slack.blocks import extraction as blocks
from bot.slack.forms import Field
from bot.slack.ids import ExtractInput, View

log = logging.getLogger(__name__)

INPUT = {
    "text": Field(ExtractInput.TEXT, strip=False),  # first: a problem that names no input is shown here
    "file_ids": Field(ExtractInput.FILE, "files", also=("file",)),
    "source": Field(ExtractInput.SOURCE),
}
EDIT = {
    "title": Field(ExtractInput.TITLE),
    "priority": Field(ExtractInput.PRIORITY, "select"),
    "owner": Field(ExtractInput.OWNER, "user"),
    "deadline": Field(ExtractInput.DEADLINE, "date"),
    "kind": Field(ExtractInput.KIND, "select"),
}


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
        view = body.get("view")
        draft_id = str(forms.metadata(view).get("draft") or "")[:32]
        if not draft_id:  # the "nothing to track", "reading" and "created" views have no submit button
            return ack()
        try:
            created = extraction_create.create_from_draft(
                deps, draft_id=draft_id, user_id=body["user"]["id"], ticks=blocks.read_ticks(view)
            )
        except UserError as err:  # nothing ticked, or the draft is gone: said above the rows
            return ack(response_action="update", view=_refused_preview(deps, body, draft_id, err.message))
        ack(
            response_action="update",
            view=blocks.created_modal(created.source, created.ids, again=created.again),
        )

    @app.view(View.EXTRACT_EDIT.value)
    def on_edit(ack: Any, body: dict[str, Any], client: Any) -> None:
        form = forms.read(body.get("view"), EDIT)
        if (problems := form.read_errors()) is not None:
            return ack(**problems)
        draft_id = str(form.meta.get("draft") or "")[:32]
        row = forms.indexes([str(form.meta.get("row", ""))])
        page = forms.indexes([str(form.meta.get("page", ""))])
        change = RowChange(
            title=form["title"],
            priority=form["priority"],
            owner_id=form["owner"],
            due_day=form["deadline"],
            kind=form["kind"],
        )
        try:
            if not row:
                raise UserError(service.GONE)
            preview = service.edit(
                deps, draft_id=draft_id, user_id=body["user"]["id"], index=row[0], change=change
            )
        except UserError as err:
            return ack(**form.refusal(err))
        ack()  # back to the preview, updated below
        parent = str(form.meta.get("parent") or "")
        if parent:
            try:
                client.views_update(
                    view_id=parent, view=blocks.preview_or_done(preview, page=page[0] if page else 0)
                )
            except SLACK_DOWN as exc:
                log.warning("views.update of the extraction preview %s failed: %s", parent, exc)


def _refused_preview(deps: Deps, body: dict[str, Any], draft_id: str, message: str) -> dict[str, Any]:
    """Slack shows ``errors`` only next to input blocks, and a preview has none: the same page again with
    the problem above its rows, or only the problem when the preview is gone or someone else's."""
    page = forms.indexes([str(forms.metadata(body.get("view")).get("page") or "")])
    try:
        preview = service.load_preview(deps, draft_id=draft_id, user_id=body["user"]["id"])
    except UserError:
        return blocks.message_modal("Review items", message)
    return blocks.preview_modal(preview, page=page[0] if page else 0, problem=message)
