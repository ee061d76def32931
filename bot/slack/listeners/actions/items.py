"""Buttons of the item card and of item rows: Open, Start, Mark completed, Unblock, Add note, Reassign,
Validate, and the Home tab's Track a new item.

Nothing in the payload is trusted beyond its signature: the item is read again from the database and the
presser's permission checked again by the service, so a forged value or a stale button acts on nothing the
presser may not touch.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import App

from bot.core.errors import AlreadyDone, UserError
from bot.core.items import lifecycle as lc
from bot.core.items.rules import looks_like_item_id
from bot.deps import Deps
from bot.services.items import changes as service
from bot.slack import dedupe
from bot.slack.blocks.items.cards import card_modal
from bot.slack.blocks.items.modals import create_modal, note_modal, reassign_modal, validate_modal
from bot.slack.ids import Action
from bot.slack.item_surfaces import Surface, queue_redraw, redraw, seal, tell

log = logging.getLogger(__name__)

# A form about one item: (the item, the form's metadata) -> the modal; and who may open it: raises UserError.
Build = Callable[[service.ItemView, dict[str, Any]], dict[str, Any]]
Check = Callable[[service.ItemView, Any], None]

OPEN_PATTERN = re.compile(rf"^{re.escape(Action.ITEM_OPEN.value)}(:.*)?$")


def _item_id(body: dict[str, Any]) -> str:
    action = (body.get("actions") or [{}])[0]
    return str(action.get("value") or "")[:64]


def _user(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id") or "")


def _open_view(client: Any, body: dict[str, Any], surface: Surface, view: dict[str, Any]) -> None:
    """Open `view` as a modal, stacked on the card when the button was in one."""
    if surface.kind == "view":
        client.views_push(trigger_id=body["trigger_id"], view=view)
    else:
        client.views_open(trigger_id=body["trigger_id"], view=view)


def _refuse(
    deps: Deps,
    surface: Surface,
    body: dict[str, Any],
    err: UserError,
    item_id: str | None = None,
) -> None:
    """Tell the presser why the press did nothing, where they pressed; with the item when `item_id` is one."""
    valid = _valid(item_id) if item_id is not None else None
    tell(deps, surface, err.message, body=body, item_id=valid)


def register(app: App, deps: Deps) -> None:
    @app.action(OPEN_PATTERN)
    def on_open(ack: Any, body: dict[str, Any], client: Any) -> None:
        ack()
        surface = Surface.of_action(body)
        try:
            view = service.show_item(deps, item_id=_item_id(body))
        except UserError as err:
            _refuse(deps, surface, body, err)
            return
        modal = card_modal(
            view.record,
            view.entries,
            deps.now(),
            from_home=surface.kind == "home",
            dashboard=deps.settings.dashboard_base,
        )
        _open_view(client, body, surface, modal)

    def moving(verb: str) -> Callable[..., None]:
        def on_move(ack: Any, body: dict[str, Any]) -> None:
            ack()
            key = dedupe.press_key(body)
            if dedupe.seen(deps, key):  # this very press again (a repeated delivery): it acted already
                return
            surface = Surface.of_action(body)
            item_id = _item_id(body)
            actor = service.actor_for(deps, _user(body))
            now = deps.now()
            try:
                view = service.move(
                    deps,
                    actor=actor,
                    item_id=item_id,
                    verb=verb,
                    after=dedupe.claiming(
                        key, now, then=queue_redraw(surface, now, dashboard=deps.settings.dashboard_base)
                    ),
                )
            except AlreadyDone:
                return
            except UserError as err:
                _refuse(deps, surface, body, err, item_id)
                return
            redraw(deps, surface, view)

        return on_move

    app.action(Action.ITEM_START.value)(moving(lc.START))
    app.action(Action.ITEM_COMPLETE.value)(moving(lc.COMPLETE))
    app.action(Action.ITEM_UNBLOCK.value)(moving(lc.UNBLOCK))

    @app.action(Action.ITEM_OVERFLOW.value)
    def on_more(ack: Any, body: dict[str, Any], client: Any) -> None:
        """Block…, Cancel item…, Send back…: check who may, then ask for the reason."""
        ack()
        surface = Surface.of_action(body)
        action = (body.get("actions") or [{}])[0]
        chosen = (action.get("selected_option") or {}).get("value") or action.get("value") or ""
        verb, _, item_id = str(chosen).partition(":")
        actor = service.actor_for(deps, _user(body))
        try:
            if verb not in (lc.BLOCK, lc.CANCEL, lc.SEND_BACK):
                raise UserError("That is not something I can do to an item.")
            view = service.show_item(deps, item_id=item_id)
            service.require_editor(view.item, actor, "change the status of")
            lc.plan_verb(view.item.id, view.item.status, verb, blocked_from=view.item.blocked_from)
        except UserError as err:
            _refuse(deps, surface, body, err, item_id)
            return
        meta = {"id": view.item.id, "verb": verb, "surface": seal(deps, surface, view.item.id)}
        _open_view(client, body, surface, note_modal(view.record, meta))

    def opens_form(build: Build, check: Check | None = None) -> Callable[..., None]:
        """A button that opens a form about its item (stacked on the card in a modal), for someone `check`
        lets change it; the form carries the item and the card's sealed surface."""

        def on_press(ack: Any, body: dict[str, Any], client: Any) -> None:
            ack()
            surface, item_id = Surface.of_action(body), _item_id(body)
            try:
                view = service.show_item(deps, item_id=item_id)
                if check is not None:
                    check(view, service.actor_for(deps, _user(body)))
            except UserError as err:
                _refuse(deps, surface, body, err, item_id)
                return
            meta = {"id": view.item.id, "surface": seal(deps, surface, view.item.id)}
            _open_view(client, body, surface, build(view, meta))

        return on_press

    app.action(Action.ITEM_NOTE.value)(opens_form(lambda view, meta: note_modal(view.record, meta)))
    app.action(Action.ITEM_REASSIGN.value)(
        opens_form(
            lambda view, meta: reassign_modal(view.record, meta),
            lambda view, actor: service.require_editor(view.item, actor, "reassign"),
        )
    )
    app.action(Action.ITEM_VALIDATE.value)(
        opens_form(
            lambda view, meta: validate_modal(
                view.record, {**meta, "n": len(view.item.criteria)}, deps.now()
            ),
            lambda view, actor: service.check_can_validate(view.item, actor, deps.settings),
        )
    )

    @app.action(Action.ITEM_NEW.value)
    def on_new(ack: Any, body: dict[str, Any], client: Any) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=create_modal(meta={"from": "home"}))


def _valid(item_id: str) -> str | None:
    return item_id if looks_like_item_id(item_id) else None
