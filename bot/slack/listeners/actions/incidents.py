"""Incident buttons: Acknowledge, Post update, Resolve (on the card, pages and nudges), Add action item
(on the post-mortem). Each re-reads the incident; the button's value only names it."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App

from bot.core.errors import UserError
from bot.core.incidents import rules
from bot.core.records import IncidentRecord
from bot.deps import Deps
from bot.services.incidents import closeout as incident_admin
from bot.services.incidents import lifecycle as incidents
from bot.services.incidents.cards import clocks_for
from bot.slack.blocks.incidents import messages as msgs
from bot.slack.blocks.incidents import modals as views
from bot.slack.ids import Action

log = logging.getLogger(__name__)


def _incident_id(body: dict[str, Any]) -> str:
    action = (body.get("actions") or [{}])[0]
    return rules.parse_incident_id(str(action.get("value") or ""))


def _tell(respond: Any, text: str) -> None:
    """An ephemeral answer to the person who pressed the button (the message stays as it is). A button
    that came without a response URL (crafted, or in a modal) gets no answer rather than an error."""
    try:
        respond(text=text, response_type="ephemeral", replace_original=False)
    except Exception as exc:
        log.info("could not answer an incident button: %s", exc)


def register(app: App, deps: Deps) -> None:
    def count(action: Action, outcome: str) -> None:
        deps.metrics.actions.labels(kind="block_action", id=action.value, outcome=outcome).inc()

    @app.action(Action.INCIDENT_ACK.value)
    def on_ack(ack: Any, body: dict[str, Any], respond: Any) -> None:
        ack()
        try:
            outcome = incidents.acknowledge(deps, incident_id=_incident_id(body), actor_id=body["user"]["id"])
        except UserError as err:
            count(Action.INCIDENT_ACK, "refused")
            _tell(respond, f":warning: {err.message}")
            return
        count(Action.INCIDENT_ACK, "ok" if outcome.changed else "repeat")
        inc = outcome.incident
        if not outcome.changed:
            _tell(respond, msgs.already_acknowledged(IncidentRecord.of(inc)))

    def open_modal(action: Action, body: dict[str, Any], respond: Any, client: Any, build: Any) -> None:
        try:
            inc = incident_admin.get(deps, _incident_id(body))
            if inc.status not in rules.ACTIVE_STATUSES and action is not Action.INCIDENT_ADD_ACTION_ITEM:
                raise UserError(f"{inc.id} is {inc.status}; it takes no more updates from this button.")
        except UserError as err:
            count(action, "refused")
            _tell(respond, f":warning: {err.message}")
            return
        client.views_open(trigger_id=body["trigger_id"], view=build(inc))
        count(action, "ok")

    @app.action(Action.INCIDENT_UPDATE.value)
    def on_update(ack: Any, body: dict[str, Any], respond: Any, client: Any) -> None:
        ack()
        clocks = clocks_for(deps.settings)
        open_modal(Action.INCIDENT_UPDATE, body, respond, client, lambda inc: views.update_modal(inc, clocks))

    @app.action(Action.INCIDENT_RESOLVE.value)
    def on_resolve(ack: Any, body: dict[str, Any], respond: Any, client: Any) -> None:
        ack()
        clocks = clocks_for(deps.settings)
        open_modal(
            Action.INCIDENT_RESOLVE, body, respond, client, lambda inc: views.resolve_modal(inc, clocks)
        )

    @app.action(Action.INCIDENT_ADD_ACTION_ITEM.value)
    def on_add_item(ack: Any, body: dict[str, Any], respond: Any, client: Any) -> None:
        ack()
        open_modal(Action.INCIDENT_ADD_ACTION_ITEM, body, respond, client, views.action_item_modal)
