"""Modals for remediation items: create (also from a message), add a note, reassign, validate. Pure builders.

Each input's block_id and action_id are the same `ItemInput` value, so a field error lands next to it.
"""

from __future__ import annotations

import json
from typing import Any

from bot.core.items.rules import KINDS, MAX_TITLE
from bot.core.records import ItemRecord
from bot.core.timing.durations import PRIORITIES
from bot.slack.blocks.format import escape, truncate
from bot.slack.blocks.items.cards import checklist
from bot.slack.blocks.items.text import item_line
from bot.slack.blocks.replies import context, section
from bot.slack.ids import ItemInput, View

CHECKLIST_CHUNK = 10  # Slack allows ten options per checkbox group


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _text_input(
    field: ItemInput,
    label: str,
    *,
    optional: bool = True,
    multiline: bool = False,
    initial: str | None = None,
    placeholder: str | None = None,
    max_length: int | None = None,
    hint: str | None = None,
) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": field.value, "multiline": multiline}
    if initial:
        element["initial_value"] = initial[: max_length or 3000]
    if placeholder:
        element["placeholder"] = _plain(placeholder[:150])
    if max_length:
        element["max_length"] = max_length
    block: dict[str, Any] = {
        "type": "input",
        "block_id": field.value,
        "label": _plain(label),
        "optional": optional,
        "element": element,
    }
    if hint:
        block["hint"] = _plain(hint)
    return block


def _select(field: ItemInput, label: str, options: list[tuple[str, str]], initial: str) -> dict[str, Any]:
    opts = [{"text": _plain(text), "value": value} for value, text in options]
    chosen = next(o for o in opts if o["value"] == initial)
    return {
        "type": "input",
        "block_id": field.value,
        "label": _plain(label),
        "element": {
            "type": "static_select",
            "action_id": field.value,
            "options": opts,
            "initial_option": chosen,
        },
    }


def _modal(
    callback: View, title: str, submit: str, blocks: list[dict[str, Any]], meta: dict
) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": callback.value,
        "title": _plain(truncate(title, 24)),
        "submit": _plain(submit),
        "close": _plain("Cancel"),
        "private_metadata": json.dumps(meta, separators=(",", ":")),
        "blocks": blocks,
    }


PRIORITY_TEXT = {
    "P0": "P0 — critical (24 h)",
    "P1": "P1 — high (72 h)",
    "P2": "P2 — medium (7 days)",
    "P3": "P3 — low (30 days)",
}


def create_modal(
    *,
    meta: dict[str, Any],
    title: str = "",
    description: str = "",
    source: str = "",
    priority: str = "P2",
    owner_id: str | None = None,
) -> dict[str, Any]:
    """The create form: the same fields as `/remediate track new`, optionally pre-filled (shortcut)."""
    owner: dict[str, Any] = {
        "type": "input",
        "block_id": ItemInput.OWNER.value,
        "label": _plain("Owner"),
        "optional": True,
        "element": {
            "type": "users_select",
            "action_id": ItemInput.OWNER.value,
            "placeholder": _plain("Who does the work"),
        },
    }
    if owner_id:
        owner["element"]["initial_user"] = owner_id
    force = {
        "type": "input",
        "block_id": ItemInput.FORCE.value,
        "label": _plain("Back-filling"),
        "optional": True,
        "element": {
            "type": "checkboxes",
            "action_id": ItemInput.FORCE.value,
            "options": [{"text": _plain("Allow a deadline in the past"), "value": "force"}],
        },
    }
    blocks = [
        _text_input(
            ItemInput.TITLE,
            "Title",
            optional=False,
            initial=title[:MAX_TITLE],
            max_length=MAX_TITLE,
            placeholder="Fix async/await chain in SMD startup",
        ),
        _select(ItemInput.PRIORITY, "Priority", [(p, PRIORITY_TEXT[p]) for p in PRIORITIES], priority),
        owner,
        _text_input(
            ItemInput.DEADLINE,
            "Deadline",
            placeholder="tomorrow 17:00, +3d, friday, 2026-12-01T12:00",
            hint="In your time zone. Empty: the default for the priority.",
        ),
        _select(ItemInput.KIND, "Kind", [(k, k.capitalize()) for k in KINDS], "corrective"),
        _text_input(
            ItemInput.DESCRIPTION, "Description", multiline=True, initial=description, max_length=3000
        ),
        _text_input(ItemInput.SYSTEMS, "Affected systems", placeholder="websocket, smd"),
        _text_input(
            ItemInput.CRITERIA,
            "Success criteria",
            multiline=True,
            placeholder="One per line, e.g. Startup completes without DeterministicStartupError",
            hint="Name the test that proves one, and CI ticks it: … --test tests/test_boot.py::test_start",
        ),
        _text_input(ItemInput.SOURCE, "Source (analysis or message)", initial=source, max_length=500),
        _text_input(ItemInput.INCIDENT, "Incident", placeholder="INC-20251010-001"),
        _text_input(ItemInput.MRR, "MRR at risk per month", placeholder="50000"),
        _text_input(ItemInput.NOTE, "First note", multiline=True, max_length=3000),
        force,
    ]
    return _modal(View.ITEM_CREATE, "Track an item", "Create", blocks, meta)


# The note form also asks for the reason of a move that needs one: (title, label, submit, placeholder).
_NOTE_PURPOSES = {
    "": ("Add a note", "Note", "Add note", "Identified async/await issue in smd.py:465"),
    "block": ("Block item", "What is in the way", "Block", "Waiting for staging environment access"),
    "cancel": ("Cancel item", "Why it is dropped", "Cancel item", "Superseded by P0-20250908-001"),
    "send_back": ("Send back", "What still fails", "Send back", "Startup still fails on a cold cache"),
}


def note_modal(item: ItemRecord, meta: dict[str, Any]) -> dict[str, Any]:
    """A note, or with ``meta["verb"]`` (block, cancel, send_back) the reason for that move."""
    title, label, submit, placeholder = _NOTE_PURPOSES.get(str(meta.get("verb") or ""), _NOTE_PURPOSES[""])
    blocks = [
        section(f"*{item.id}* · {escape(truncate(item.title, 200))}"),
        _text_input(
            ItemInput.NOTE, label, optional=False, multiline=True, max_length=3000, placeholder=placeholder
        ),
    ]
    return _modal(View.ITEM_NOTE, title, submit, blocks, meta)


def reassign_modal(item: ItemRecord, meta: dict[str, Any]) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "users_select", "action_id": ItemInput.NEW_OWNER.value}
    if item.owner_id:
        element["initial_user"] = item.owner_id
    blocks = [
        section(f"*{item.id}* · {escape(truncate(item.title, 200))}"),
        {
            "type": "input",
            "block_id": ItemInput.NEW_OWNER.value,
            "label": _plain("New owner"),
            "element": element,
        },
    ]
    return _modal(View.ITEM_REASSIGN, "Reassign", "Reassign", blocks, meta)


def checklist_block_id(chunk: int) -> str:
    return f"{ItemInput.CHECKLIST.value}_{chunk}"


def validate_modal(item: ItemRecord, meta: dict[str, Any], now: Any) -> dict[str, Any]:
    """Tick each success criterion, confirm prevention measures, attach evidence, pass or send back."""
    blocks: list[dict[str, Any]] = [section(item_line(item, now))]
    if item.criteria:
        blocks.append(section("*Success criteria*\n" + checklist(item.criteria)))
        for start in range(0, len(item.criteria), CHECKLIST_CHUNK):
            options = []
            initial = []
            for i, c in enumerate(item.criteria[start : start + CHECKLIST_CHUNK], start):
                shown = truncate(escape(truncate(f"{i + 1}. {c.get('text', '')}", 60)), 75)
                option = {"text": {"type": "mrkdwn", "text": shown}, "value": str(i)}
                options.append(option)
                if c.get("done"):
                    initial.append(option)
            element: dict[str, Any] = {
                "type": "checkboxes",
                "action_id": checklist_block_id(start // CHECKLIST_CHUNK),
                "options": options,
            }
            if initial:
                element["initial_options"] = initial
            blocks.append(
                {
                    "type": "input",
                    "block_id": checklist_block_id(start // CHECKLIST_CHUNK),
                    "label": _plain(
                        "Criteria met"
                        if start == 0
                        else f"Criteria met ({start + 1} to {start + len(options)})"
                    ),
                    "optional": True,
                    "element": element,
                }
            )
    else:
        blocks.append(context("This item has no success criteria."))
    if item.prevention:
        blocks.append(
            section("*Prevention measures recorded*\n" + "\n".join(f"• {escape(p)}" for p in item.prevention))
        )
    blocks += [
        _text_input(
            ItemInput.PREVENTION,
            "Prevention measures to add",
            multiline=True,
            placeholder="One per line, e.g. Added startup integration tests",
            hint="At least one prevention measure must be recorded to validate.",
        ),
        _text_input(
            ItemInput.EVIDENCE,
            "Evidence",
            multiline=True,
            placeholder="One per line: kind reference note, e.g. test tests/test_boot.py::test_start passes",
            hint="Kinds: code (path:L10-L20), commit (hash), test (file::name), link (URL).",
        ),
        {
            "type": "input",
            "block_id": ItemInput.OUTCOME.value,
            "label": _plain("Outcome"),
            "element": {
                "type": "radio_buttons",
                "action_id": ItemInput.OUTCOME.value,
                "options": [
                    {"text": _plain("Validated: the fix works"), "value": "pass"},
                    {"text": _plain("Failed: send it back to In Progress"), "value": "fail"},
                ],
                "initial_option": {"text": _plain("Validated: the fix works"), "value": "pass"},
            },
        },
        _text_input(
            ItemInput.REASON,
            "Why it failed",
            multiline=True,
            max_length=3000,
            hint="Needed only to send it back.",
        ),
    ]
    return _modal(View.ITEM_VALIDATE, "Validate item", "Submit", blocks, meta)
