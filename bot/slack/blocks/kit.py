"""The Block Kit pieces every builder uses, and Slack's limits in one place.

Each function returns the plain dict Slack receives, exactly what ``.to_dict()`` of slack_sdk's model for
that piece gives (tests/unit/test_blockkit_kit.py holds every function to the SDK's model, and the fake Slack
validates every payload with those models). They are written as dicts because the models' validation cost
more than the rest of answering a slash command (47 µs a section), on every request. Text is cut to
Slack's limit here (`truncate` marks the cut with "…"), never by hand in a builder; a surface with more
blocks than Slack allows keeps its first blocks and says how many were left out.

Views are assembled as dicts rather than with ``slack_sdk.models.views.View``: the SDK refuses a view
with no blocks, which Slack accepts (an empty Home tab, a modal that only has a title).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.core.mrkdwn import truncate

Block = dict[str, Any]
Blocks = list[Block]

MESSAGE_BLOCKS = 50  # blocks in a message
VIEW_BLOCKS = 100  # blocks in a modal or the Home tab
SECTION_TEXT = 3000  # a section's text, a context element's text
FIELD_TEXT = 2000  # one of a section's fields
SECTION_FIELDS = 10
HEADER_TEXT = 150
BUTTON_TEXT = 75
OPTION_TEXT = 75  # an option's text and its description
MODAL_TITLE = 24  # a modal's title, submit and close labels
HINT_TEXT = 2000
PLACEHOLDER_TEXT = 150
INPUT_VALUE = 3000  # a plain_text_input's initial value


def plain_text(text: str) -> Block:
    """A ``plain_text`` object (no ``emoji`` flag: Slack's default applies)."""
    return {"type": "plain_text", "text": text}


def markdown(text: str) -> Block:
    return {"type": "mrkdwn", "text": text}


def section(text: str, *, accessory: Block | None = None) -> Block:
    """A section of mrkdwn `text` (already escaped), cut to Slack's limit, with an optional accessory."""
    block: Block = {"type": "section", "text": markdown(truncate(text, SECTION_TEXT))}
    if accessory is not None:
        block["accessory"] = accessory
    return block


def fields(pairs: Sequence[tuple[str, str]]) -> Block:
    """A section of ``*label*\\nvalue`` fields (the first ten: Slack's limit)."""
    shown = pairs[:SECTION_FIELDS]
    return {"type": "section", "fields": [markdown(truncate(f"*{k}*\n{v}", FIELD_TEXT)) for k, v in shown]}


def context(text: str) -> Block:
    return {"type": "context", "elements": [markdown(truncate(text, SECTION_TEXT))]}


def header(text: str) -> Block:
    return {"type": "header", "text": plain_text(truncate(text, HEADER_TEXT))}


def divider() -> Block:
    return {"type": "divider"}


def actions(elements: Sequence[Block], *, block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements)}
    if block_id:
        block["block_id"] = block_id
    return block


def button(text: str, action_id: str, value: str, style: str | None = None) -> Block:
    """A button; `style` is ``primary``, ``danger`` or None."""
    element: Block = {
        "type": "button",
        "text": plain_text(truncate(text, BUTTON_TEXT)),
        "action_id": action_id,
        "value": value,
    }
    if style:
        element["style"] = style
    return element


def option(text: str, value: str, description: str | None = None) -> Block:
    item: Block = {"text": plain_text(truncate(text, OPTION_TEXT)), "value": value}
    if description:
        item["description"] = plain_text(truncate(description, OPTION_TEXT))
    return item


def text_input(
    action_id: str | None = None,
    *,
    multiline: bool = False,
    initial: str | None = None,
    placeholder: str | None = None,
    max_length: int | None = None,
) -> Block:
    """A ``plain_text_input``; the initial value is cut to `max_length` (or Slack's 3000)."""
    element: Block = {"type": "plain_text_input", "multiline": multiline}
    if action_id:
        element["action_id"] = action_id
    if initial:
        element["initial_value"] = initial[: max_length or INPUT_VALUE]
    if placeholder:
        element["placeholder"] = plain_text(truncate(placeholder, PLACEHOLDER_TEXT))
    if max_length:
        element["max_length"] = max_length
    return element


def select(
    options: Sequence[Block],
    *,
    action_id: str | None = None,
    initial: str | None = None,
    placeholder: str | None = None,
) -> Block:
    """A ``static_select`` of `options` (dicts from `option`), preselecting the one valued `initial`."""
    element: Block = {"type": "static_select", "options": list(options)}
    if action_id:
        element["action_id"] = action_id
    if placeholder:
        element["placeholder"] = plain_text(truncate(placeholder, PLACEHOLDER_TEXT))
    chosen = next((o for o in options if o["value"] == initial), None)
    if chosen is not None:
        element["initial_option"] = chosen
    return element


def input_block(
    block_id: str,
    label: str,
    element: Block,
    *,
    optional: bool | None = None,
    hint: str | None = None,
) -> Block:
    """An input block; the element answers under the same id as the block (how forms read it back)."""
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain_text(label),
        "element": {**element, "action_id": block_id},
    }
    if optional is not None:
        block["optional"] = optional
    if hint:
        block["hint"] = plain_text(truncate(hint, HINT_TEXT))
    return block


def capped(blocks: Blocks, limit: int) -> Blocks:
    """`blocks` within Slack's `limit`: the first ones, and a last line saying how many are not shown."""
    if len(blocks) <= limit:
        return blocks
    left_out = len(blocks) - (limit - 1)
    return [*blocks[: limit - 1], context(f"… and {left_out} more not shown.")]


def modal(
    *,
    title: str,
    blocks: Blocks,
    callback_id: str | None = None,
    submit: str | None = None,
    close: str = "Cancel",
    metadata: str | None = None,
) -> Block:
    """A modal view (title and button labels cut to 24 characters, at most 100 blocks)."""
    view: Block = {"type": "modal", "title": plain_text(truncate(title, MODAL_TITLE))}
    if callback_id:
        view["callback_id"] = callback_id
    if submit:
        view["submit"] = plain_text(truncate(submit, MODAL_TITLE))
    view["close"] = plain_text(truncate(close, MODAL_TITLE))
    if metadata is not None:
        view["private_metadata"] = metadata
    view["blocks"] = capped(blocks, VIEW_BLOCKS)
    return view


def home(blocks: Blocks) -> Block:
    """The Home tab (at most 100 blocks)."""
    return {"type": "home", "blocks": capped(blocks, VIEW_BLOCKS)}
