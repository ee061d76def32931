"""Incident modal submissions: declare, post update, resolve, add action item.

Bad input is answered next to its field (``response_action: errors``) and changes nothing. The view id is
the request key, so submitting the same modal twice declares (or posts) once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App

from bot.core.errors import UserError
from bot.core.incidents import rules
from bot.deps import Deps
from bot.services.incidents import lifecycle as incidents
from bot.services.incidents import review as incident_review
from bot.slack import forms
from bot.slack.forms import Field
from bot.slack.ids import IncidentInput as F
from bot.slack.ids import View

# The names are those the services give their inputs (`DeclareForm`, `post_update`, `ActionItemForm`).
DECLARE = {
    "title": Field(F.TITLE),
    "severity": Field(F.SEVERITY, "select"),
    "impact": Field(F.IMPACT),
    "users_affected": Field(F.USERS_AFFECTED),
    "commander_id": Field(F.COMMANDER, "user"),
    "detection": Field(F.DETECTION, "select"),
}
UPDATE = {
    "note": Field(F.NOTE, also=("summary",)),  # first: a problem that names no input is shown here
    "status": Field(F.STATUS, "select"),
    "impact": Field(F.IMPACT),
    "eta": Field(F.ETA),
    "next_in": Field(F.NEXT_UPDATE, also=("next_update",)),
}
RESOLVE = {"summary": Field(F.SUMMARY)}
ACTION_ITEM = {
    "title": Field(F.ITEM_TITLE),
    "owner_id": Field(F.ITEM_OWNER, "user"),
    "priority": Field(F.ITEM_PRIORITY, "select"),
    "due": Field(F.ITEM_DUE, "date", also=("deadline",)),
    "kind": Field(F.ITEM_KIND, "select"),
}


def _key(view: dict[str, Any]) -> str:
    return f"incident-view:{view['id']}"


def register(app: App, deps: Deps) -> None:
    def count(view: View, outcome: str) -> None:
        deps.metrics.actions.labels(kind="view_submission", id=view.value, outcome=outcome).inc()

    def refuse(ack: Any, view: View, refusal: dict[str, Any]) -> None:
        count(view, "refused")
        ack(**refusal)

    def submit(
        ack: Any,
        which: View,
        body: dict[str, Any],
        read: forms.Form,
        use_case: Callable[..., Any],
        /,
        *,
        of_incident: bool = True,
        counted: Callable[[Any], str] = lambda _result: "ok",
        **args: Any,
    ) -> Any:
        """Run `use_case` for the submitter, once per modal (its view id is the request key), about the
        incident the modal names unless `of_incident` is False; a refusal is shown next to its input. The
        use case's result, None when it refused."""
        try:
            if of_incident:
                args["incident_id"] = rules.parse_incident_id(read.raw_meta)
            result = use_case(deps, actor_id=body["user"]["id"], request_key=_key(body["view"]), **args)
        except UserError as err:
            return refuse(ack, which, read.refusal(err))
        ack()
        count(which, counted(result))
        return result

    @app.view(View.INCIDENT_DECLARE.value)
    def on_declare(ack: Any, body: dict[str, Any], view: dict[str, Any]) -> None:
        form = forms.read(view, DECLARE)
        values = {**form.values, "detection": form["detection"] or "manual"}
        outcome = submit(
            ack,
            View.INCIDENT_DECLARE,
            body,
            form,
            incidents.declare,
            of_incident=False,
            counted=lambda outcome: "ok" if outcome.changed else "repeat",
            form=incidents.DeclareForm(**values),
        )
        if outcome is not None and outcome.changed and deps.settings.incident_channel_per_incident:
            incidents.open_incident_channel(deps, outcome.incident.id)

    @app.view(View.INCIDENT_UPDATE.value)
    def on_update(ack: Any, body: dict[str, Any], view: dict[str, Any]) -> None:
        form = forms.read(view, UPDATE)
        values = {**form.values, "note": form["note"] or ""}  # an empty impact keeps the incident's
        submit(ack, View.INCIDENT_UPDATE, body, form, incidents.post_update, **values)

    @app.view(View.INCIDENT_RESOLVE.value)
    def on_resolve(ack: Any, body: dict[str, Any], view: dict[str, Any]) -> None:
        form = forms.read(view, RESOLVE)
        submit(ack, View.INCIDENT_RESOLVE, body, form, incidents.resolve, summary=form["summary"] or "")

    @app.view(View.INCIDENT_ACTION_ITEM.value)
    def on_action_item(ack: Any, body: dict[str, Any], view: dict[str, Any]) -> None:
        form = forms.read(view, ACTION_ITEM)
        if (unreadable := form.read_errors()) is not None:
            return refuse(ack, View.INCIDENT_ACTION_ITEM, unreadable)
        values = {**form.values, "title": form["title"] or "", "kind": form["kind"] or "preventative"}
        item = incident_review.ActionItemForm(**values)
        submit(ack, View.INCIDENT_ACTION_ITEM, body, form, incident_review.add_action_item, form=item)
