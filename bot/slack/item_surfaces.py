"""Where an item card is shown, and how to redraw it in place after a change.

A card lives in an ephemeral command reply (redrawn through its response URL), in a normal message
(redrawn with ``chat.update`` queued in the same transaction as the change), in a modal (``views.update``)
or on the Home tab (republished). Modals opened from a card carry its surface in ``private_metadata``,
sealed (`seal`): a submission whose surface was not written by this app for that very item (`unseal`)
redraws nothing, so a form can never be made to overwrite another message, modal or Home tab; and a
response URL is used only when it is Slack's (`bot.slack.response_urls`), wherever it came from.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import asdict, dataclass
from typing import Any

from sqlmodel import Session

from bot.core.errors import UserError
from bot.deps import Deps
from bot.services import outbox
from bot.services.items.changes import ItemView, show_item
from bot.services.items.reports import home_data
from bot.services.people import SLACK_DOWN
from bot.slack import replies
from bot.slack.blocks.items.cards import card_modal, card_text, item_card
from bot.slack.blocks.items.lists import home_view
from bot.slack.blocks.replies import notice_modal, section
from bot.slack.ids import View
from bot.slack.response_urls import Responder, slack_response_url
from storage import queries

log = logging.getLogger(__name__)


@dataclass
class Surface:
    kind: str = "none"  # ephemeral | message | view | home | none
    channel: str | None = None
    ts: str | None = None
    response_url: str | None = None
    view_id: str | None = None
    user_id: str | None = None
    home: str | None = None  # "1": the card modal was opened from the Home tab, which is redrawn too

    def to_meta(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_meta(cls, data: dict[str, Any] | None) -> Surface:
        if not isinstance(data, dict):  # not what this app writes: no surface to redraw
            return cls()
        fields = {k: str(v) for k, v in data.items() if k in cls.__dataclass_fields__ and v is not None}
        return cls(**fields)

    @classmethod
    def of_action(cls, body: dict[str, Any]) -> Surface:
        """The surface a button was pressed on."""
        container = body.get("container") or {}
        user_id = (body.get("user") or {}).get("id")
        if container.get("type") == "message":
            if container.get("is_ephemeral"):
                return cls("ephemeral", response_url=body.get("response_url"), user_id=user_id)
            return cls(
                "message",
                channel=container.get("channel_id") or (body.get("channel") or {}).get("id"),
                ts=container.get("message_ts"),
                user_id=user_id,
            )
        view = body.get("view") or {}
        if view.get("type") == "home":
            return cls("home", user_id=user_id)
        if view.get("callback_id") == View.ITEM_CARD.value:
            try:
                from_home = bool(json.loads(view.get("private_metadata") or "{}").get("home"))
            except (ValueError, AttributeError):
                from_home = False
            return cls("view", view_id=view.get("id"), user_id=user_id, home="1" if from_home else None)
        return cls("none", user_id=user_id)


def _seal_key(deps: Deps) -> bytes:
    secret = deps.settings.slack_signing_secret.get_secret_value().encode("utf-8")
    return hmac.new(secret, b"remediate item surface v1", hashlib.sha256).digest()


def _signature(deps: Deps, fields: dict[str, Any], item_id: str) -> str:
    message = json.dumps([item_id, fields], sort_keys=True, separators=(",", ":")).encode("utf-8")
    return hmac.new(_seal_key(deps), message, hashlib.sha256).hexdigest()[:32]


def seal(deps: Deps, surface: Surface, item_id: str) -> dict[str, Any]:
    """The surface for a modal's private_metadata, signed for `item_id`."""
    fields = surface.to_meta()
    return {**fields, "sig": _signature(deps, fields, item_id)}


def unseal(deps: Deps, data: Any, item_id: str) -> Surface:
    """The surface `seal` wrote for `item_id`; no surface at all for anything else."""
    if not isinstance(data, dict):
        return Surface()
    fields = {k: v for k, v in data.items() if k != "sig"}
    if not hmac.compare_digest(str(data.get("sig") or ""), _signature(deps, fields, item_id)):
        return Surface()
    return Surface.from_meta(fields)


def card_blocks(
    view: ItemView, now: Any, *, notice: str | None = None, dashboard: str = ""
) -> list[dict[str, Any]]:
    blocks = item_card(view.record, view.entries, now, dashboard=dashboard)
    if notice:
        blocks.insert(0, section(notice))
    return blocks


def queue_redraw(surface: Surface, now: Any, *, dashboard: str = "") -> Any:
    """The `after` hook for a service: a card in a normal message is updated in the same transaction."""

    def after(session: Session, view: ItemView) -> None:
        if surface.kind != "message" or not surface.channel or not surface.ts:
            return
        ref = f"msg:{surface.channel}:{surface.ts}"
        queries.put_message_ref(session, ref=ref, channel=surface.channel, ts=surface.ts, now=now)
        outbox.update_message(
            session,
            now=now,
            ref=ref,
            text=card_text(view.record),
            blocks=card_blocks(view, now, dashboard=dashboard),
        )

    return after


def redraw(deps: Deps, surface: Surface, view: ItemView, *, notice: str | None = None) -> None:
    """After the change committed: redraw the card on surfaces that cannot be updated through the outbox."""
    now = deps.now()
    try:
        response_url = slack_response_url(surface.response_url, api_url=deps.settings.slack_api_url)
        if surface.kind == "ephemeral" and response_url:
            Responder(response_url)(
                replace_original=True,
                text=card_text(view.record),
                blocks=card_blocks(view, now, notice=notice, dashboard=deps.settings.dashboard_base),
            )
        elif surface.kind == "view" and surface.view_id:
            modal = card_modal(
                view.record,
                view.entries,
                now,
                notice=notice,
                from_home=bool(surface.home),
                dashboard=deps.settings.dashboard_base,
            )
            deps.client.views_update(view_id=surface.view_id, view=modal)
            if surface.home and surface.user_id:
                publish_home(deps, surface.user_id)
        elif surface.kind == "home" and surface.user_id:
            publish_home(deps, surface.user_id)
    except SLACK_DOWN as exc:  # the change is committed; a stale card is not worth failing the request
        log.warning("could not redraw the card of %s on %s: %s", view.item.id, surface.kind, exc)


def tell(
    deps: Deps, surface: Surface, message: str, *, body: dict[str, Any], item_id: str | None = None
) -> None:
    """Show a refusal to the person who pressed a button (`body`), where they pressed it and to them alone:
    a private message under a message (`bot.slack.replies`), or a warning on top of the card in a modal;
    elsewhere (the Home tab) a small modal. Nothing is written: a refusal leaves the database as it was."""
    text = f":warning: {message}"
    trigger_id = body.get("trigger_id")
    view = _shown(deps, item_id) if surface.kind == "view" and surface.view_id and item_id else None
    if surface.kind in ("ephemeral", "message"):
        replies.tell(deps, body, text)
    elif view is not None:
        redraw(deps, surface, view, notice=text)
    elif trigger_id:
        try:
            deps.client.views_open(trigger_id=trigger_id, view=notice_modal("Not done", text))
        except SLACK_DOWN as exc:
            log.warning("could not tell %s: %s", surface.user_id, exc)
    else:
        log.info("a refusal with nowhere to show it (surface %s): %s", surface.kind, message)


def _shown(deps: Deps, item_id: str) -> ItemView | None:
    try:
        return show_item(deps, item_id=item_id)
    except UserError:  # the item is gone: the refusal is shown in a small modal instead
        return None


def publish_home(deps: Deps, user_id: str) -> None:
    """Build the person's Home tab now and queue its publication."""
    data = home_data(deps, user_id=user_id)
    now = deps.now()
    view = home_view(data, now)
    with deps.uow() as session:
        outbox.publish_home(session, now=now, user_id=user_id, view=view)
