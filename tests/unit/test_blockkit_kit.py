"""Every piece `bot.slack.blocks.kit` builds is exactly what slack_sdk's own model of that piece gives:
the kit writes dicts (the models' validation is too slow for every request), the SDK stays the reference."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
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
from bot.slack.blocks import kit

words = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=4000)
short = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=200)
ids = st.from_regex(r"[a-z][a-z0-9_.:-]{0,40}", fullmatch=True)


def _plain(text: str) -> PlainTextObject:
    return PlainTextObject(text=text)


@given(words)
def test_text_objects_and_simple_blocks(text: str) -> None:
    assert kit.plain_text(text[:150]) == PlainTextObject(text=text[:150]).to_dict()
    assert kit.markdown(text) == MarkdownTextObject(text=text).to_dict()
    cut = truncate(text, kit.SECTION_TEXT)
    assert kit.section(text) == SectionBlock(text=MarkdownTextObject(text=cut)).to_dict()
    assert kit.context(text) == ContextBlock(elements=[MarkdownTextObject(text=cut)]).to_dict()
    head = truncate(text, kit.HEADER_TEXT)
    assert kit.header(text) == HeaderBlock(text=_plain(head)).to_dict()
    assert kit.divider() == DividerBlock().to_dict()


@given(st.lists(st.tuples(short, short), min_size=1, max_size=14))
def test_fields_keep_ten(pairs: list[tuple[str, str]]) -> None:
    texts = [MarkdownTextObject(text=truncate(f"*{k}*\n{v}", kit.FIELD_TEXT)) for k, v in pairs[:10]]
    assert kit.fields(pairs) == SectionBlock(fields=texts).to_dict()


@given(short, ids, short, st.sampled_from([None, "primary", "danger"]))
def test_button(text: str, action_id: str, value: str, style: str | None) -> None:
    expected = ButtonElement(
        text=_plain(truncate(text, kit.BUTTON_TEXT)), action_id=action_id, value=value, style=style
    ).to_dict()
    assert kit.button(text, action_id, value, style) == expected


@given(short, short, st.one_of(st.none(), short))
def test_option(text: str, value: str, description: str | None) -> None:
    desc = _plain(truncate(description, kit.OPTION_TEXT)) if description else None
    expected = Option(text=_plain(truncate(text, kit.OPTION_TEXT)), value=value, description=desc).to_dict()
    assert kit.option(text, value, description) == expected


@given(
    st.one_of(st.none(), ids),
    st.booleans(),
    st.one_of(st.none(), words),
    st.one_of(st.none(), short),
    st.one_of(st.none(), st.integers(1, 3000)),
)
def test_text_input(
    action_id: str | None,
    multiline: bool,
    initial: str | None,
    placeholder: str | None,
    max_length: int | None,
) -> None:
    expected = PlainTextInputElement(
        action_id=action_id,
        multiline=multiline,
        initial_value=initial[: max_length or kit.INPUT_VALUE] if initial else None,
        placeholder=_plain(truncate(placeholder, kit.PLACEHOLDER_TEXT)) if placeholder else None,
        max_length=max_length or None,
    ).to_dict()
    built = kit.text_input(
        action_id, multiline=multiline, initial=initial, placeholder=placeholder, max_length=max_length
    )
    assert built == expected


@pytest.mark.parametrize("optional", [None, True, False])
@pytest.mark.parametrize("hint", [None, "A hint", "h" * 2500])
def test_input_block(optional: bool | None, hint: str | None) -> None:
    element: dict[str, Any] = kit.text_input(multiline=True)
    expected = InputBlock(
        block_id="title",
        label=_plain("Title"),
        element={**element, "action_id": "title"},
        optional=optional,
        hint=_plain(truncate(hint, kit.HINT_TEXT)) if hint else None,
    ).to_dict()
    assert kit.input_block("title", "Title", element, optional=optional, hint=hint) == expected
