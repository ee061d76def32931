"""Submissions of the extraction forms.

The input form answers with the preview (``response_action: update``), or with the error next to the field
that holds the problem; the preview answers with what was created. Nothing is created before the preview is
submitted, and a second submission of the same preview creates nothing (the service takes the draft once).
"""

from __future__ import annotations

import json
import re
from typing import Any

from slack_bolt import App

from bot.core.errors import UserError
from bot.deps import Deps
from bot.services.extraction import create as extraction_create
from bot.services.extraction import files as slack_files
from bot.services.extraction import preview as service
from bot.slack.blocks import extraction as blocks
from bot.slack.ids import ExtractInput, View

_INDEX = re.compile(r"[0-9]{1,4}")  # a ticked option's value: an index the form wrote (str.isdigit takes "²")


def _values(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    state = ((body.get("view") or {}).get("state") or {}).get("values") or {}
    out: dict[str, dict[str, Any]] = {}
    for block_id, actions in state.items():
        for _action_id, value in (actions or {}).items():
            out[block_id] = value or {}
    return out


def _meta(body: dict[str, Any]) -> dict[str, Any]:
    try:
        data = json.loads((body.get("view") or {}).get("private_metadata") or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _error(field: str, message: str) -> dict[str, Any]:
    plain = message.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").replace("`", "")
    return {"response_action": "errors", "errors": {field: plain[:300]}}


def register(app: App, deps: Deps) -> None:
    @app.view(View.EXTRACT_INPUT.value)
    def on_input(ack: Any, body: dict[str, Any]) -> None:
        user_id = body["user"]["id"]
        values, meta = _values(body), _meta(body)
        text = (values.get(ExtractInput.TEXT.value) or {}).get("value") or ""
        files = (values.get(ExtractInput.FILE.value) or {}).get("files") or []
        source = ((values.get(ExtractInput.SOURCE.value) or {}).get("value") or "").strip() or None
        if text and files:
            ack(**_error(ExtractInput.TEXT.value, "Paste the document or attach it, not both."))
            return
        if not text and not files:
            ack(**_error(ExtractInput.TEXT.value, "Paste the document here, or attach a .md or .txt file."))
            return
        field = ExtractInput.FILE.value if files else ExtractInput.TEXT.value
        try:
            if files:
                meta_file = slack_files.file_meta(deps, str(files[0].get("id") or ""))
                document = service.read_file(deps, meta_file, source=source)
            else:
                document = service.read_pasted(text, source=source)
            preview = service.prepare(
                deps,
                user_id=user_id,
                channel_id=str(meta.get("channel") or user_id),
                document=document,
                incident_id=meta.get("incident") or None,
            )
        except service.NothingActionable as problem:
            ack(response_action="update", view=blocks.nothing_modal(problem))
            return
        except UserError as err:
            ack(**_error(field, err.message))
            return
        ack(response_action="update", view=blocks.preview_modal(preview))

    @app.view(View.EXTRACT_PREVIEW.value)
    def on_preview(ack: Any, body: dict[str, Any]) -> None:
        draft_id = str(_meta(body).get("draft") or "")
        values = _values(body)
        picked = [
            int(option["value"])
            for block_id, value in values.items()
            if block_id.startswith(ExtractInput.PICK.value)
            for option in (value.get("selected_options") or [])
            if _INDEX.fullmatch(str(option.get("value", "")))
        ]
        if not draft_id:  # the "nothing to track" and "created" views have no submit button
            ack()
            return
        try:
            created = extraction_create.create_from_draft(
                deps, draft_id=draft_id, user_id=body["user"]["id"], picked=picked
            )
        except UserError as err:  # nothing ticked, or the draft is gone: said next to the first group
            ack(**_error(blocks.pick_block_id(0), err.message))
            return
        ack(
            response_action="update",
            view=blocks.created_modal(created.source, created.ids, again=created.again),
        )
