"""Incident buttons: Acknowledge, Post update, Resolve (on the card, pages and nudges), Add action item
(on the post-mortem). Each re-reads the incident; the button's value only names it."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.core.errors import UserError
from bot.core.incidents import rules
from bot.core.records import IncidentRecord
from bot.deps import Deps
from bot.services.incidents import closeout as incident_admin
from bot.services.incidents import lifecycle as incidents
from bot.services.incidents.cards import clocks_for
from bot.slack import replies
from bot.slack.blocks.incidents import messages as msgs
from bot.slack.blocks.incidents import modals as views
from bot.slack.ids import Action


def _incident_id(body: dict[str, Any]) -> str:
    action = (body.get("actions") or [{}])[0]
    return rules.parse_incident_id(str(action.get("value") or ""))


def register(app: App, deps: Deps) -> None:
    def count(action: Action, outcome: str) -> None:
        deps.metrics.actions.labels(kind="block_action", id=action.value, outcome=outcome).inc()

    @app.action(Action.INCIDENT_ACK.value)
    def on_ack(ack: Any, body: dict[str, Any]) -> None:
        ack()
        try:
            outcome = incidents.acknowledge(deps, incident_id=_incident_id(body), actor_id=body["user"]["id"])
        except UserError as err:
            count(Action.INCIDENT_ACK, "refused")
            replies.tell(deps, body, f":warning: {err.message}")
            return
        count(Action.INCIDENT_ACK, "ok" if outcome.changed else "repeat")
        inc = outcome.incident
        if not outcome.changed:
            replies.tell(deps, body, msgs.already_acknowledged(IncidentRecord.of(inc)))

    def open_modal(action: Action, body: dict[str, Any], client: Any, build: Any) -> None:
        try:
            inc = incident_admin.get(deps, _incident_id(body))
            if inc.status not in rules.ACTIVE_STATUSES and action is not Action.INCIDENT_ADD_ACTION_ITEM:
                raise UserError(f"{inc.id} is {inc.status}; it takes no more updates from this button.")
        except UserError as err:
            count(action, "refused")
            replies.tell(deps, body, f":warning: {err.message}")
            return
        client.views_open(trigger_id=body["trigger_id"], view=build(inc))
        count(action, "ok")

    @app.action(Action.INCIDENT_UPDATE.value)
    def on_update(ack: Any, body: dict[str, Any], client: Any) -> None:
        ack()
        clocks = clocks_for(deps.settings)
        open_modal(Action.INCIDENT_UPDATE, body, client, lambda inc: views.update_modal(inc, clocks))

    @app.action(Action.INCIDENT_RESOLVE.value)
    def on_resolve(ack: Any, body: dict[str, Any], client: Any) -> None:
        ack()
        clocks = clocks_for(deps.settings)
        open_modal(Action.INCIDENT_RESOLVE, body, client, lambda inc: views.resolve_modal(inc, clocks))

    @app.action(Action.INCIDENT_ADD_ACTION_ITEM.value)
    def on_add_item(ack: Any, body: dict[str, Any], client: Any) -> None:
        ack()
        open_modal(Action.INCIDENT_ADD_ACTION_ITEM, body, client, views.action_item_modal)
