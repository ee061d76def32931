"""The Block Kit pieces every builder uses, made with slack_sdk's models, and Slack's limits in one place.

Each function returns the plain dict Slack receives (``.to_dict()`` of the SDK's model), so builders
keep composing lists and dicts. Text is cut to Slack's limit here (`truncate` marks the cut with "…"),
never by hand in a builder; a surface with more blocks than Slack allows keeps its first blocks and
says how many were left out.

Views are assembled as dicts rather than with ``slack_sdk.models.views.View``: the SDK refuses a view
with no blocks, which Slack accepts (an empty Home tab, a modal that only has a title).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
)

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
    return PlainTextObject(text=text).to_dict()


def markdown(text: str) -> Block:
    return MarkdownTextObject(text=text).to_dict()


def section(text: str, *, accessory: Block | None = None) -> Block:
    """A section of mrkdwn `text` (already escaped), cut to Slack's limit, with an optional accessory."""
    block = SectionBlock(text=MarkdownTextObject(text=truncate(text, SECTION_TEXT))).to_dict()
    if accessory is not None:
        block["accessory"] = accessory
    return block


def fields(pairs: Sequence[tuple[str, str]]) -> Block:
    """A section of ``*label*\\nvalue`` fields (the first ten: Slack's limit)."""
    shown = pairs[:SECTION_FIELDS]
    texts = [MarkdownTextObject(text=truncate(f"*{k}*\n{v}", FIELD_TEXT)) for k, v in shown]
    return SectionBlock(fields=texts).to_dict()


def context(text: str) -> Block:
    return ContextBlock(elements=[MarkdownTextObject(text=truncate(text, SECTION_TEXT))]).to_dict()


def header(text: str) -> Block:
    return HeaderBlock(text=PlainTextObject(text=truncate(text, HEADER_TEXT))).to_dict()


def divider() -> Block:
    return DividerBlock().to_dict()


def actions(elements: Sequence[Block], *, block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements)}
    if block_id:
        block["block_id"] = block_id
    return block


def button(text: str, action_id: str, value: str, style: str | None = None) -> Block:
    """A button; `style` is ``primary``, ``danger`` or None."""
    return ButtonElement(
        text=PlainTextObject(text=truncate(text, BUTTON_TEXT)), action_id=action_id, value=value, style=style
    ).to_dict()


def option(text: str, value: str, description: str | None = None) -> Block:
    desc = PlainTextObject(text=truncate(description, OPTION_TEXT)) if description else None
    text_object = PlainTextObject(text=truncate(text, OPTION_TEXT))
    return Option(text=text_object, value=value, description=desc).to_dict()


def text_input(
    action_id: str | None = None,
    *,
    multiline: bool = False,
    initial: str | None = None,
    placeholder: str | None = None,
    max_length: int | None = None,
) -> Block:
    """A ``plain_text_input``; the initial value is cut to `max_length` (or Slack's 3000)."""
    return PlainTextInputElement(
        action_id=action_id,
        multiline=multiline,
        initial_value=initial[: max_length or INPUT_VALUE] if initial else None,
        placeholder=PlainTextObject(text=truncate(placeholder, PLACEHOLDER_TEXT)) if placeholder else None,
        max_length=max_length or None,
    ).to_dict()


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
    return InputBlock(
        block_id=block_id,
        label=PlainTextObject(text=label),
        element={**element, "action_id": block_id},
        optional=optional,
        hint=PlainTextObject(text=truncate(hint, HINT_TEXT)) if hint else None,
    ).to_dict()


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
