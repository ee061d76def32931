"""Buttons and boxes of extraction previews.

The Review button under a document shared with the bot in a DM opens its preview (or, once used, what it
created). In the preview: a row's "Create" box is remembered as it is ticked; a page button shows another
page; a row's Edit button pushes its edit form. The draft is read again each time and must belong to the
presser; the ticks of the page on screen are kept before anything else.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App

from bot.core.errors import UserError
from bot.deps import Deps
from bot.services.extraction import preview as service
from bot.services.people import SLACK_DOWN
from bot.slack import forms
from bot.slack.blocks import extraction as blocks
from bot.slack.ids import Action, key_of, keyed_pattern

log = logging.getLogger(__name__)


def _action(body: dict[str, Any]) -> dict[str, Any]:
    return dict((body.get("actions") or [{}])[0])


def _index(text: Any) -> int | None:
    picked = forms.indexes([str(text or "")])
    return picked[0] if picked else None


def register(app: App, deps: Deps) -> None:
    @app.action(Action.EXTRACT_REVIEW.value)
    def on_review(ack: Any, body: dict[str, Any], client: Any) -> None:
        ack()
        draft_id = str(_action(body).get("value") or "")[:32]
        try:
            preview = service.load_preview(deps, draft_id=draft_id, user_id=body["user"]["id"])
            view = blocks.preview_or_done(preview)
        except UserError as err:
            view = blocks.message_modal("Review items", err.message)
        client.views_open(trigger_id=body["trigger_id"], view=view)

    def _kept(body: dict[str, Any]) -> service.Preview:
        """The draft behind the preview the action came from, with the page's ticks kept."""
        view = body.get("view") or {}
        draft_id = str(forms.metadata(view).get("draft") or "")[:32]
        ticks = blocks.read_ticks(view)
        return service.set_ticks(deps, draft_id=draft_id, user_id=body["user"]["id"], ticks=ticks)

    @app.action(keyed_pattern(Action.EXTRACT_TICK))
    def on_tick(ack: Any, body: dict[str, Any]) -> None:
        ack()
        index = _index(key_of(str(_action(body).get("action_id") or "")))
        chosen = _action(body).get("selected_options") or []
        view = body.get("view") or {}
        draft_id = str(forms.metadata(view).get("draft") or "")[:32]
        if index is None or not draft_id:
            return
        ticked = any(isinstance(o, dict) and o.get("value") == blocks.TICKED for o in chosen)
        try:
            service.set_ticks(deps, draft_id=draft_id, user_id=body["user"]["id"], ticks={index: ticked})
        except UserError:
            pass  # the preview is gone: its submission says so

    @app.action(keyed_pattern(Action.EXTRACT_PAGE))
    def on_page(ack: Any, body: dict[str, Any], client: Any) -> None:
        ack()
        view = body.get("view") or {}
        if not view.get("id"):  # page buttons live in the preview modal only
            return
        page = _index(_action(body).get("value")) or 0
        try:
            shown = blocks.preview_or_done(_kept(body), page=page)
        except UserError as err:
            shown = blocks.message_modal("Review items", err.message)
        try:
            client.views_update(view_id=view.get("id"), hash=view.get("hash"), view=shown)
        except SLACK_DOWN as exc:  # a newer update won (two quick clicks), or the modal was closed
            log.info("views.update of an extraction preview failed: %s", exc)

    @app.action(keyed_pattern(Action.EXTRACT_EDIT))
    def on_edit(ack: Any, body: dict[str, Any], client: Any) -> None:
        ack()
        view = body.get("view") or {}
        if not view.get("id") or not body.get("trigger_id"):  # Edit buttons live in the preview only
            return
        index = _index(_action(body).get("value"))
        page = _index(forms.metadata(view).get("page")) or 0
        try:
            preview = _kept(body)
            row = next((r for r in preview.rows if r.index == index), None)
            if row is None:
                raise UserError(service.GONE)
            if preview.used:
                raise UserError("This preview was already used to create items; it cannot be edited now.")
            pushed = blocks.edit_modal(row, draft_id=preview.draft_id, page=page, parent=str(view.get("id")))
        except UserError as err:
            pushed = blocks.message_modal("Edit item", err.message)
        client.views_push(trigger_id=body["trigger_id"], view=pushed)
