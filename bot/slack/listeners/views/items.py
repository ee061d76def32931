"""Submissions of the item modals: create, add a note, reassign, validate.

A problem with a field keeps the modal open with the message next to that field
(``response_action: errors``); nothing is written. The same form submitted twice (same view id) acts once
(`bot.slack.dedupe`); the second gets the first one's answer. The item is read again and the submitter's
permission checked again by the service: the modal's private_metadata only says which item and where its
card is (a sealed surface, see `bot.slack.item_surfaces`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App

from bot.core.errors import AlreadyDone, UserError
from bot.deps import Deps
from bot.services.items import changes as service
from bot.services.items import entry as forms_service
from bot.slack import dedupe, forms
from bot.slack.blocks.items.cards import card_modal
from bot.slack.forms import Field
from bot.slack.ids import ItemInput, View
from bot.slack.item_surfaces import publish_home, queue_redraw, redraw, unseal

# The names are those the services give their inputs (for the create form: `ItemEntry`'s fields).
CREATE = {
    "title": Field(ItemInput.TITLE),  # first: a problem that names no input is shown here
    "priority": Field(ItemInput.PRIORITY, "select"),
    "kind": Field(ItemInput.KIND, "select"),
    "owner_id": Field(ItemInput.OWNER, "user"),
    "deadline": Field(ItemInput.DEADLINE),
    "description": Field(ItemInput.DESCRIPTION),
    "systems": Field(ItemInput.SYSTEMS),
    "criteria": Field(ItemInput.CRITERIA),
    "incident_id": Field(ItemInput.INCIDENT),
    "source_ref": Field(ItemInput.SOURCE),
    "note": Field(ItemInput.NOTE),
    "mrr_at_risk": Field(ItemInput.MRR),
    "force": Field(ItemInput.FORCE, "checkboxes"),
}
NOTE = {"text": Field(ItemInput.NOTE)}
REASSIGN = {"owner_id": Field(ItemInput.NEW_OWNER, "user")}


# A change of one item by one person: (actor_id, item_id, after) -> the item as it is now.
Change = Callable[[str, str, Any], service.ItemView]


def validate_form(criteria_seen: int | None) -> dict[str, Field]:
    """The validate form; without criteria there is no checklist, and their problems show at the outcome."""
    at = None if criteria_seen else ItemInput.OUTCOME.value
    return {
        "outcome": Field(ItemInput.OUTCOME, "select"),
        "ticked": Field(ItemInput.CHECKLIST, "checkboxes", prefix=True, also=("criteria",), error_at=at),
        "prevention": Field(ItemInput.PREVENTION),
        "evidence": Field(ItemInput.EVIDENCE),
        "reason": Field(ItemInput.REASON),
    }


def register(app: App, deps: Deps) -> None:
    @app.view(View.ITEM_CREATE.value)
    def on_create(ack: Any, body: dict[str, Any]) -> None:
        user_id, key, form = body["user"]["id"], dedupe.view_key(body), forms.read(body.get("view"), CREATE)
        try:
            if (first := dedupe.seen(deps, key)) is not None:
                raise AlreadyDone(first.key, first.owner)
            entry = forms_service.ItemEntry(**{**form.values, "force": bool(form["force"])})
            after = dedupe.claiming(key, deps.now())
            view = forms_service.create_from_entry(deps, actor_id=user_id, entry=entry, after=after)
        except AlreadyDone as done:  # the same form again: show what it created the first time
            first = dedupe.seen(deps, key)
            view = service.show_item(deps, item_id=first.owner if first else done.owner)
        except UserError as err:
            ack(**form.refusal(err))
            return
        from_home, notice = form.meta.get("from") == "home", f":white_check_mark: Created *{view.item.id}*."
        ack(
            response_action="update",
            view=card_modal(
                view.record,
                view.entries,
                deps.now(),
                notice=notice,
                from_home=from_home,
                dashboard=deps.settings.dashboard_base,
            ),
        )
        if from_home:
            publish_home(deps, user_id)

    def change_card(
        ack: Any, body: dict[str, Any], form: forms.Form, change: Change, at: str | None = None
    ) -> None:
        """A form that changes the item on a card: acted on once, a refusal shown next to its input (or at
        `at`), the card redrawn where it was (the sealed surface)."""
        item_id = str(form.meta.get("id") or "")
        surface, key = unseal(deps, form.meta.get("surface"), item_id), dedupe.view_key(body)
        if dedupe.seen(deps, key):  # the same form again: it was acted on
            return ack()
        after = dedupe.claiming(
            key, deps.now(), then=queue_redraw(surface, deps.now(), dashboard=deps.settings.dashboard_base)
        )
        try:
            view = change(body["user"]["id"], item_id, after)
        except AlreadyDone:
            return ack()
        except UserError as err:
            return ack(**form.refusal(err, at=at))
        ack()
        redraw(deps, surface, view)

    @app.view(View.ITEM_NOTE.value)
    def on_note(ack: Any, body: dict[str, Any]) -> None:
        form = forms.read(body.get("view"), NOTE)
        verb, text = str(form.meta.get("verb") or ""), form["text"] or ""
        change_card(
            ack,
            body,
            form,
            lambda actor_id, item_id, after: forms_service.note_or_move(
                deps, actor_id=actor_id, item_id=item_id, verb=verb, text=text, after=after
            ),
        )

    @app.view(View.ITEM_REASSIGN.value)
    def on_reassign(ack: Any, body: dict[str, Any]) -> None:
        form = forms.read(body.get("view"), REASSIGN)
        owner = form["owner_id"] or ""
        change_card(
            ack,
            body,
            form,
            lambda actor_id, item_id, after: forms_service.reassign(
                deps, actor_id=actor_id, item_id=item_id, owner=owner, after=after
            ),
        )

    @app.view(View.ITEM_VALIDATE.value)
    def on_validate(ack: Any, body: dict[str, Any]) -> None:
        seen = forms.metadata(body.get("view")).get("n")
        criteria_seen = seen if isinstance(seen, int) and not isinstance(seen, bool) else None
        form = forms.read(body.get("view"), validate_form(criteria_seen))
        change_card(
            ack,
            body,
            form,
            lambda actor_id, item_id, after: forms_service.validate(
                deps,
                actor_id=actor_id,
                item_id=item_id,
                criteria_seen=criteria_seen,
                after=after,
                **form.values,
            ),
            at=ItemInput.OUTCOME.value,
        )
