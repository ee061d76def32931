"""Submissions of the item modals: create, add a note, reassign, validate.

A problem with a field keeps the modal open with the message next to that field
(``response_action: errors``); nothing is written. The same form submitted twice (same view id) acts once
(`bot.slack.dedupe`); the second gets the first one's answer. The item is read again and the submitter's
permission checked again by the service: the modal's private_metadata only says which item and where its
card is (a sealed surface, see `bot.slack.item_surfaces`).
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from slack_bolt import App

from bot.core.errors import AlreadyDone, UserError
from bot.core.items import lifecycle as lc
from bot.core.items import rules
from bot.core.timing.deadlines import parse_deadline
from bot.deps import Deps
from bot.services.items import changes as service
from bot.services.people.refs import resolve_user
from bot.services.people.users import get_person
from bot.slack import dedupe
from bot.slack.blocks.items.cards import card_modal
from bot.slack.blocks.items.modals import checklist_block_id
from bot.slack.ids import ItemInput, View
from bot.slack.item_surfaces import publish_home, queue_redraw, redraw, unseal

log = logging.getLogger(__name__)

_DATE_TOKEN = re.compile(r"<!date\^[^|>]*\|([^>]*)>")
_INDEX = re.compile(r"[0-9]{1,4}")  # a ticked option's value: an index the form wrote (str.isdigit takes "²")


class FieldError(UserError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def _values(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    state = ((body.get("view") or {}).get("state") or {}).get("values") or {}
    out: dict[str, dict[str, Any]] = {}
    for block_id, actions in state.items():
        for _action_id, value in (actions or {}).items():
            out[block_id] = value or {}
    return out


def _text(values: dict[str, dict[str, Any]], field: ItemInput) -> str:
    return str((values.get(field.value) or {}).get("value") or "").strip()


def _option(values: dict[str, dict[str, Any]], field: ItemInput) -> str | None:
    selected = (values.get(field.value) or {}).get("selected_option") or {}
    return selected.get("value")


def _meta(body: dict[str, Any]) -> dict[str, Any]:
    try:
        data = json.loads((body.get("view") or {}).get("private_metadata") or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _errors(field: str, message: str) -> dict[str, Any]:
    plain = _DATE_TOKEN.sub(r"\1", message)  # a modal's error is plain text: show a date token's fallback
    plain = plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").replace("`", "")
    return {"response_action": "errors", "errors": {field: plain[:300]}}


def _checked(field: str, message: Exception | str) -> Any:
    return _errors(field, message.message if isinstance(message, UserError) else str(message))


def register(app: App, deps: Deps) -> None:
    @app.view(View.ITEM_CREATE.value)
    def on_create(ack: Any, body: dict[str, Any]) -> None:
        user_id = body["user"]["id"]
        key = dedupe.view_key(body)
        values = _values(body)
        try:
            if (first := dedupe.seen(deps, key)) is not None:
                raise AlreadyDone(first.key, first.owner)
            fields = _create_fields(deps, user_id, values)
            view = service.create_item(
                deps, actor_id=user_id, after=dedupe.claiming(key, deps.now()), **fields
            )
        except AlreadyDone as done:  # the same form again: show what it created the first time
            first = dedupe.seen(deps, key)
            view = service.show_item(deps, item_id=first.owner if first else done.owner)
        except FieldError as err:
            ack(**_errors(err.field, err.message))
            return
        except UserError as err:
            ack(**_errors(ItemInput.TITLE.value, err.message))
            return
        notice = f":white_check_mark: Created *{view.item.id}*."
        from_home = _meta(body).get("from") == "home"
        modal = card_modal(view.record, view.entries, deps.now(), notice=notice, from_home=from_home)
        ack(response_action="update", view=modal)
        if from_home:
            publish_home(deps, user_id)

    @app.view(View.ITEM_NOTE.value)
    def on_note(ack: Any, body: dict[str, Any]) -> None:
        meta = _meta(body)
        item_id, verb = str(meta.get("id") or ""), str(meta.get("verb") or "")
        surface = unseal(deps, meta.get("surface"), item_id)
        text = _text(_values(body), ItemInput.NOTE)
        key = dedupe.view_key(body)
        if dedupe.seen(deps, key):  # the same form again: it was acted on
            ack()
            return
        after = dedupe.claiming(key, deps.now(), then=queue_redraw(surface, deps.now()))
        try:
            if verb in (lc.BLOCK, lc.CANCEL, lc.SEND_BACK):
                view = service.move(
                    deps,
                    actor=service.actor_for(deps, body["user"]["id"]),
                    item_id=item_id,
                    verb=verb,
                    reason=text,
                    after=after,
                )
            else:
                view = service.add_note(
                    deps, actor=service.Actor(body["user"]["id"]), item_id=item_id, text=text, after=after
                )
        except AlreadyDone:
            ack()
            return
        except UserError as err:
            ack(**_errors(ItemInput.NOTE.value, err.message))
            return
        ack()
        redraw(deps, surface, view)

    @app.view(View.ITEM_REASSIGN.value)
    def on_reassign(ack: Any, body: dict[str, Any]) -> None:
        meta = _meta(body)
        surface = unseal(deps, meta.get("surface"), str(meta.get("id") or ""))
        chosen = (_values(body).get(ItemInput.NEW_OWNER.value) or {}).get("selected_user") or ""
        key = dedupe.view_key(body)
        if dedupe.seen(deps, key):
            ack()
            return
        try:
            owner_id = resolve_user(deps, chosen)
            view = service.assign(
                deps,
                actor=service.actor_for(deps, body["user"]["id"]),
                item_id=str(meta.get("id") or ""),
                owner_id=owner_id,
                after=dedupe.claiming(key, deps.now(), then=queue_redraw(surface, deps.now())),
            )
        except AlreadyDone:
            ack()
            return
        except UserError as err:
            ack(**_errors(ItemInput.NEW_OWNER.value, err.message))
            return
        ack()
        redraw(deps, surface, view)

    @app.view(View.ITEM_VALIDATE.value)
    def on_validate(ack: Any, body: dict[str, Any]) -> None:
        meta = _meta(body)
        surface = unseal(deps, meta.get("surface"), str(meta.get("id") or ""))
        values = _values(body)
        key = dedupe.view_key(body)
        if dedupe.seen(deps, key):
            ack()
            return
        try:
            evidence = _evidence(_text(values, ItemInput.EVIDENCE))
        except UserError as err:
            ack(**_errors(ItemInput.EVIDENCE.value, err.message))
            return
        ticked = [
            int(o["value"])
            for block_id, v in values.items()
            if block_id.startswith(ItemInput.CHECKLIST.value)
            for o in (v.get("selected_options") or [])
            if _INDEX.fullmatch(str(o.get("value", "")))
        ]
        criteria_seen = meta.get("n") if isinstance(meta.get("n"), int) else None
        try:
            view = service.validate_item(
                deps,
                actor=service.actor_for(deps, body["user"]["id"]),
                item_id=str(meta.get("id") or ""),
                passed=_option(values, ItemInput.OUTCOME) != "fail",
                ticked=ticked,
                criteria_seen=criteria_seen,
                prevention=_text(values, ItemInput.PREVENTION).splitlines(),
                evidence=evidence,
                reason=_text(values, ItemInput.REASON) or None,
                after=dedupe.claiming(key, deps.now(), then=queue_redraw(surface, deps.now())),
            )
        except AlreadyDone:
            ack()
            return
        except service.FieldProblem as err:
            field = {
                "criteria": checklist_block_id(0) if criteria_seen else ItemInput.OUTCOME.value,
                "prevention": ItemInput.PREVENTION.value,
                "reason": ItemInput.REASON.value,
            }.get(err.field, ItemInput.OUTCOME.value)
            ack(**_errors(field, err.message))
            return
        except UserError as err:
            ack(**_errors(ItemInput.OUTCOME.value, err.message))
            return
        ack()
        redraw(deps, surface, view)


def _create_fields(deps: Deps, user_id: str, values: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The create form's values, each checked on its own so that an error lands next to its field."""
    fields: dict[str, Any] = {}
    checks: list[tuple[ItemInput, Any]] = [
        (ItemInput.TITLE, lambda: fields.update(title=rules.clean_title(_text(values, ItemInput.TITLE)))),
        (
            ItemInput.PRIORITY,
            lambda: fields.update(priority=rules.parse_priority(_option(values, ItemInput.PRIORITY) or "P2")),
        ),
        (
            ItemInput.KIND,
            lambda: fields.update(kind=rules.parse_kind(_option(values, ItemInput.KIND) or "corrective")),
        ),
        (
            ItemInput.INCIDENT,
            lambda: fields.update(incident_id=rules.normalise_incident_id(_text(values, ItemInput.INCIDENT))),
        ),
        (
            ItemInput.MRR,
            lambda: fields.update(
                mrr_at_risk=rules.parse_money(_text(values, ItemInput.MRR))
                if _text(values, ItemInput.MRR)
                else None
            ),
        ),
        (
            ItemInput.SYSTEMS,
            lambda: fields.update(
                systems=rules.clean_list(
                    rules.split_systems([_text(values, ItemInput.SYSTEMS)]),
                    what="system",
                    limit=rules.MAX_SYSTEM_NAME,
                    max_items=rules.MAX_SYSTEMS,
                )
            ),
        ),
        (
            ItemInput.CRITERIA,
            lambda: fields.update(
                criteria=rules.clean_list(
                    _text(values, ItemInput.CRITERIA).splitlines(),
                    what="success criterion",
                    limit=rules.MAX_TEXT,
                    max_items=rules.MAX_CRITERIA,
                )
            ),
        ),
    ]
    for field, check in checks:
        try:
            check()
        except UserError as err:
            raise FieldError(field.value, err.message) from None
    for field, name, what, limit in (
        (ItemInput.DESCRIPTION, "description", "description", rules.MAX_DESCRIPTION),
        (ItemInput.SOURCE, "source_ref", "source", rules.MAX_SOURCE),
        (ItemInput.NOTE, "note", "note", rules.MAX_TEXT),
    ):
        try:
            text = rules.clean_text(_text(values, field), what=what, limit=limit, required=False)
        except UserError as err:  # next to the field that is too long, not the title
            raise FieldError(field.value, err.message) from None
        fields[name] = text if name == "description" else text or None
    fields["force"] = bool((values.get(ItemInput.FORCE.value) or {}).get("selected_options"))
    owner = (values.get(ItemInput.OWNER.value) or {}).get("selected_user")
    if owner:
        try:
            fields["owner_id"] = resolve_user(deps, owner)
        except UserError as err:
            raise FieldError(ItemInput.OWNER.value, err.message) from None
    when = _text(values, ItemInput.DEADLINE)
    if when:
        try:
            deadline = parse_deadline(when, now=deps.now(), tz=get_person(deps, user_id).tz)
            rules.check_deadline(deadline, deps.now(), force=fields["force"])
        except UserError as err:
            raise FieldError(ItemInput.DEADLINE.value, err.message) from None
        fields["deadline"] = deadline
    return fields


def _evidence(text: str) -> list[tuple[str, str, str | None]]:
    """Lines of ``kind reference note…`` -> evidence entries."""
    out = []
    for line in text.splitlines():
        words = line.split()
        if not words:
            continue
        if len(words) < 2:
            raise UserError(
                f"`{rules.shown(line)}`: write the kind, then the reference, e.g. commit abc123f."
            )
        kind = rules.parse_evidence_kind(words[0])
        ref = rules.clean_text(words[1], what="evidence reference", limit=rules.MAX_EVIDENCE_REF)
        out.append((kind, ref, " ".join(words[2:]) or None))
    return out
