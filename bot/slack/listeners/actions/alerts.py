"""Controls of escalation alerts: Acknowledge, Snooze, Post status update, and the per-item menu of a
grouped alert. Each acks at once, then calls one service, which reads the alert again and checks the
presser; the alert's messages are updated in place through the outbox."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.core.errors import AlreadyDone, UserError
from bot.deps import Deps
from bot.services.escalations import alerts as service
from bot.slack import dedupe, replies
from bot.slack.blocks import alerts as blocks
from bot.slack.ids import Action, key_of, keyed_pattern


def _alert_id(action: dict[str, Any], fallback: str | None = None) -> int | None:
    return blocks.alert_id_of(action.get("value") or fallback or key_of(str(action.get("action_id", ""))))


def register(app: App, deps: Deps) -> None:
    def acknowledge(alert_id: int, body: dict[str, Any]) -> None:
        said = service.acknowledge(
            deps, alert_id=alert_id, actor_id=body["user"]["id"], request_key=dedupe.press_key(body)
        )
        if said:  # a first acknowledgement shows on the alert itself
            replies.tell(deps, body, said)

    def snooze(alert_id: int, body: dict[str, Any], choice: str) -> None:
        said = service.snooze(
            deps,
            alert_id=alert_id,
            actor_id=body["user"]["id"],
            choice=choice,
            request_key=dedupe.press_key(body),
        )
        replies.tell(deps, body, said)

    def open_status_modal(alert_id: int, body: dict[str, Any], client: Any) -> None:
        alert = service.read_alert(deps, alert_id)
        view = blocks.status_update_modal(alert_id, alert.subject_id, str(alert.data.get("title", "")))
        client.views_open(trigger_id=body["trigger_id"], view=view)

    def guarded(handler: Any) -> Any:
        def run(ack: Any, body: dict[str, Any], action: dict[str, Any], client: Any) -> None:
            ack()
            if dedupe.seen(deps, dedupe.press_key(body)):  # this very press again: it acted already
                return
            try:
                handler(body, action, client)
            except AlreadyDone:
                return
            except UserError as err:
                replies.tell(deps, body, f":warning: {err.message}")

        return run

    def on_ack(body: dict[str, Any], action: dict[str, Any], client: Any) -> None:
        alert_id = _alert_id(action)
        if alert_id is not None:
            acknowledge(alert_id, body)

    def on_snooze(body: dict[str, Any], action: dict[str, Any], client: Any) -> None:
        alert_id = _alert_id({}, key_of(str(action.get("action_id", ""))))
        choice = str((action.get("selected_option") or {}).get("value", ""))
        if alert_id is not None:
            snooze(alert_id, body, choice)

    def on_status(body: dict[str, Any], action: dict[str, Any], client: Any) -> None:
        alert_id = _alert_id(action)
        if alert_id is not None:
            open_status_modal(alert_id, body, client)

    def on_menu(body: dict[str, Any], action: dict[str, Any], client: Any) -> None:
        what, _, raw = str((action.get("selected_option") or {}).get("value", "")).partition(":")
        alert_id = _alert_id({}, raw)
        if alert_id is None:
            return
        if what == "ack":
            acknowledge(alert_id, body)
        elif what.startswith("snooze-"):
            snooze(alert_id, body, what.removeprefix("snooze-"))
        elif what == "status":
            open_status_modal(alert_id, body, client)

    app.action(keyed_pattern(Action.ALERT_ACK))(guarded(on_ack))
    app.action(keyed_pattern(Action.ALERT_SNOOZE))(guarded(on_snooze))
    app.action(keyed_pattern(Action.ALERT_STATUS_UPDATE))(guarded(on_status))
    app.action(keyed_pattern(Action.ALERT_MENU))(guarded(on_menu))
