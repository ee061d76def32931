"""Incident modal submissions: declare, post update, resolve, add action item.

Bad input is answered next to its field (``response_action: errors``) and changes nothing. The view id is
the request key, so submitting the same modal twice declares (or posts) once.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App

from bot.core.errors import UserError
from bot.core.incidents import rules
from bot.deps import Deps
from bot.services.incidents import lifecycle as incidents
from bot.services.incidents import review as incident_review
from bot.slack.blocks.incidents.modals import metadata, state_value
from bot.slack.ids import IncidentInput as F
from bot.slack.ids import View

log = logging.getLogger(__name__)


def _key(view: dict[str, Any]) -> str:
    return f"incident-view:{view['id']}"


def _plain(message: str) -> str:
    """A field error is plain text: the escaped user text a message quotes shows as typed (it cannot ping
    from there), without the backticks that only mean something in mrkdwn."""
    text = message.replace("`", "").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return text[:150]


def _read(errors: dict[str, str], field: F, parse: Any, raw: Any) -> Any:
    """Parse one field; a UserError becomes that field's error message."""
    try:
        return parse(raw)
    except UserError as err:
        errors[field.value] = err.message[:150]
        return None


def register(app: App, deps: Deps) -> None:
    def count(view: View, outcome: str) -> None:
        deps.metrics.actions.labels(kind="view_submission", id=view.value, outcome=outcome).inc()

    def refuse(ack: Any, view: View, errors: dict[str, str]) -> None:
        count(view, "refused")
        ack(response_action="errors", errors={field: _plain(message) for field, message in errors.items()})

    @app.view(View.INCIDENT_DECLARE.value)
    def on_declare(ack: Any, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = view["state"]["values"]
        errors: dict[str, str] = {}
        title = _read(errors, F.TITLE, rules.clean_title, state_value(values, F.TITLE))
        raw_severity = state_value(values, F.SEVERITY)
        if not raw_severity:
            errors[F.SEVERITY.value] = "Pick a severity: P0 (production down) to P3 (minor issue)."
        severity = _read(errors, F.SEVERITY, rules.parse_severity, raw_severity) if raw_severity else None
        affected = _read(
            errors, F.USERS_AFFECTED, rules.parse_users_affected, state_value(values, F.USERS_AFFECTED)
        )
        impact = _read(
            errors, F.IMPACT, lambda t: rules.clean_text(t, what="impact"), state_value(values, F.IMPACT)
        )
        if errors:
            refuse(ack, View.INCIDENT_DECLARE, errors)
            return
        form = incidents.DeclareForm(
            title=title,
            severity=severity or "",
            impact=impact or "",
            users_affected=affected,
            commander_id=state_value(values, F.COMMANDER),
            detection=state_value(values, F.DETECTION) or "manual",
        )
        outcome = incidents.declare(deps, actor_id=body["user"]["id"], form=form, request_key=_key(view))
        ack()
        count(View.INCIDENT_DECLARE, "ok" if outcome.changed else "repeat")
        if outcome.changed and deps.settings.incident_channel_per_incident:
            incidents.open_incident_channel(deps, outcome.incident.id)

    @app.view(View.INCIDENT_UPDATE.value)
    def on_update(ack: Any, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = view["state"]["values"]
        errors: dict[str, str] = {}
        status = _read(errors, F.STATUS, rules.parse_status, state_value(values, F.STATUS) or "")
        note = _read(
            errors, F.NOTE, lambda t: rules.clean_text(t, what="update"), state_value(values, F.NOTE)
        )
        if note is not None and not note:
            errors[F.NOTE.value] = "Say what changed, e.g. “Rolled back deploy 42”."
        impact = state_value(values, F.IMPACT)
        if impact is not None:
            _read(errors, F.IMPACT, lambda t: rules.clean_text(t, what="impact"), impact)
        next_in = _read(errors, F.NEXT_UPDATE, rules.parse_next_update, state_value(values, F.NEXT_UPDATE))
        if errors:
            refuse(ack, View.INCIDENT_UPDATE, errors)
            return
        try:
            incidents.post_update(
                deps,
                incident_id=rules.parse_incident_id(metadata(view)),
                actor_id=body["user"]["id"],
                status=status,
                note=note or "",
                impact=impact,  # empty keeps what the incident has
                eta=state_value(values, F.ETA),
                next_in=next_in,
                request_key=_key(view),
            )
        except UserError as err:
            refuse(ack, View.INCIDENT_UPDATE, {F.NOTE.value: err.message[:150]})
            return
        ack()
        count(View.INCIDENT_UPDATE, "ok")

    @app.view(View.INCIDENT_RESOLVE.value)
    def on_resolve(ack: Any, body: dict[str, Any], view: dict[str, Any]) -> None:
        summary = state_value(view["state"]["values"], F.SUMMARY) or ""
        try:
            incidents.resolve(
                deps,
                incident_id=rules.parse_incident_id(metadata(view)),
                actor_id=body["user"]["id"],
                summary=summary,
                request_key=_key(view),
            )
        except UserError as err:
            refuse(ack, View.INCIDENT_RESOLVE, {F.SUMMARY.value: err.message[:150]})
            return
        ack()
        count(View.INCIDENT_RESOLVE, "ok")

    @app.view(View.INCIDENT_ACTION_ITEM.value)
    def on_action_item(ack: Any, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = view["state"]["values"]
        form = incident_review.ActionItemForm(
            title=state_value(values, F.ITEM_TITLE) or "",
            owner_id=state_value(values, F.ITEM_OWNER),
            priority=state_value(values, F.ITEM_PRIORITY),
            due=state_value(values, F.ITEM_DUE),
            kind=state_value(values, F.ITEM_KIND) or "preventative",
        )
        errors: dict[str, str] = {}
        if not form.title.strip():
            errors[F.ITEM_TITLE.value] = "Say what has to be done."
        if not form.owner_id:
            errors[F.ITEM_OWNER.value] = "Pick the owner."
        if not form.due:
            errors[F.ITEM_DUE.value] = "Pick the deadline."
        if errors:
            refuse(ack, View.INCIDENT_ACTION_ITEM, errors)
            return
        try:
            incident_review.add_action_item(
                deps,
                incident_id=rules.parse_incident_id(metadata(view)),
                actor_id=body["user"]["id"],
                form=form,
                request_key=_key(view),
            )
        except UserError as err:
            field = (
                F.ITEM_DUE
                if "deadline" in err.message.lower() or "past" in err.message.lower()
                else F.ITEM_TITLE
            )
            refuse(ack, View.INCIDENT_ACTION_ITEM, {field.value: err.message[:150]})
            return
        ack()
        count(View.INCIDENT_ACTION_ITEM, "ok")
