"""Block Kit validation, as Slack applies it when a message or view is sent.

``validate_blocks(blocks, surface)`` and ``validate_view(view, surface)`` are pure functions that
return a list of error strings in the form Slack puts in ``invalid_blocks`` / ``invalid_arguments``
responses, e.g. ``"must be less than 3001 characters [json-pointer:/blocks/0/text/text]"``. An empty
list means Slack would accept the payload. The fake Web API uses them, and unit tests of block builders
can call them directly.

Where this is stricter than Slack (on purpose), it says so:

* ``action_id`` must be unique across the whole message or view; Slack only documents uniqueness within
  one block, but a repeated action_id makes routing ambiguous in this project.
* ``input`` blocks are rejected in messages.

Not modelled: the cumulative 12,000-character limit of ``markdown`` blocks across a message, rich text
element internals, per-element ``initial_*`` values matching one of the options, and Slack's generic
"failed to match all allowed schemas" companion errors.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

SURFACES = ("message", "modal", "home")
MAX_BLOCKS = {"message": 50, "modal": 100, "home": 100}

MAX_ID = 255  # block_id, action_id, callback_id, external_id
MAX_SECTION_TEXT = 3000
MAX_SECTION_FIELDS = 10
MAX_SECTION_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTIONS_ELEMENTS = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_URL = 3000
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_OPTIONS = 100
MAX_CHOICE_OPTIONS = 10  # checkboxes, radio_buttons
OVERFLOW_OPTIONS = (2, 5)
MAX_PLACEHOLDER = 150
MAX_LABEL = 2000
MAX_HINT = 2000
MAX_ALT_TEXT = 2000
MAX_IMAGE_TITLE = 2000
MAX_MODAL_TITLE = 24
MAX_MODAL_BUTTON = 24
MAX_PRIVATE_METADATA = 3000
MAX_TEXT_INPUT_LENGTH = 3000
MAX_MARKDOWN_BLOCK = 12000
MAX_TABLE_ROWS = 100
MAX_TABLE_CELLS = 20

_ALL_SURFACES = frozenset(SURFACES)
# Which surfaces accept each block type.
BLOCK_SURFACES: dict[str, frozenset[str]] = {
    "section": _ALL_SURFACES,
    "divider": _ALL_SURFACES,
    "image": _ALL_SURFACES,
    "actions": _ALL_SURFACES,
    "context": _ALL_SURFACES,
    "header": _ALL_SURFACES,
    "rich_text": _ALL_SURFACES,
    "video": _ALL_SURFACES,
    "input": frozenset({"modal", "home"}),
    "file": frozenset({"message"}),
    "markdown": frozenset({"message"}),
    "table": frozenset({"message"}),
}

_SELECTS = frozenset(
    {
        "static_select",
        "external_select",
        "users_select",
        "conversations_select",
        "channels_select",
        "multi_static_select",
        "multi_external_select",
        "multi_users_select",
        "multi_conversations_select",
        "multi_channels_select",
    }
)
_PICKERS = frozenset({"datepicker", "timepicker", "datetimepicker"})
ACTIONS_ELEMENTS = (
    _SELECTS | _PICKERS | {"button", "checkboxes", "overflow", "radio_buttons", "workflow_button"}
)
ACCESSORY_ELEMENTS = (ACTIONS_ELEMENTS - {"datetimepicker"}) | {"image"}
INPUT_ELEMENTS = (
    _SELECTS
    | _PICKERS
    | {
        "checkboxes",
        "radio_buttons",
        "plain_text_input",
        "email_text_input",
        "url_text_input",
        "number_input",
        "file_input",
        "rich_text_input",
    }
)

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def validate_blocks(blocks: Any, surface: str) -> list[str]:
    """Errors Slack would report for ``blocks`` sent on ``surface`` ("message", "modal" or "home")."""
    checker = _Checker(surface)
    checker.blocks(blocks, "/blocks")
    return checker.errors


def validate_view(view: Any, surface: str) -> list[str]:
    """Errors Slack would report for a ``views.open/update/push`` ("modal") or ``views.publish`` ("home")
    view object. Pointers are rooted at ``/view`` as in Slack's ``response_metadata.messages``."""
    if surface not in ("modal", "home"):
        raise ValueError(f"a view surface is 'modal' or 'home', not {surface!r}")
    checker = _Checker(surface)
    if not isinstance(view, dict):
        return [_err("must be an object", "/view")]
    if view.get("type") != surface:
        checker.add(f"must be {surface!r} here", "/view/type")
    if surface == "modal":
        checker.text(view.get("title"), "/view/title", max_len=MAX_MODAL_TITLE, plain=True, required=True)
        for key in ("submit", "close"):
            checker.text(view.get(key), f"/view/{key}", max_len=MAX_MODAL_BUTTON, plain=True)
        blocks = view.get("blocks")
        has_input = isinstance(blocks, list) and any(
            isinstance(b, dict) and b.get("type") == "input" for b in blocks
        )
        if has_input and view.get("submit") is None:
            checker.add("submit is required when an input block is within the blocks array", "/view/submit")
    for key in ("callback_id", "external_id"):
        checker.string(view.get(key), f"/view/{key}", max_len=MAX_ID)
    checker.string(view.get("private_metadata"), "/view/private_metadata", max_len=MAX_PRIVATE_METADATA)
    checker.blocks(view.get("blocks"), "/view/blocks")
    return checker.errors


def _err(message: str, pointer: str) -> str:
    return f"{message} [json-pointer:{pointer}]"


class _Checker:
    """Walks one message or view, collecting errors and the ids seen so far."""

    def __init__(self, surface: str) -> None:
        if surface not in _ALL_SURFACES:
            raise ValueError(f"surface must be one of {SURFACES}, not {surface!r}")
        self.surface = surface
        self.errors: list[str] = []
        self.block_ids: set[str] = set()
        self.action_ids: set[str] = set()

    def add(self, message: str, pointer: str) -> None:
        self.errors.append(_err(message, pointer))

    # ---- primitives ------------------------------------------------------------------------------

    def string(self, value: Any, at: str, *, max_len: int, required: bool = False, min_len: int = 0) -> None:
        if value is None:
            if required:
                self.add("is required", at)
            return
        if not isinstance(value, str):
            self.add("must be a string", at)
        elif len(value) > max_len:
            self.add(f"must be less than {max_len + 1} characters", at)
        elif len(value) < min_len:
            self.add(f"must be at least {min_len} characters", at)

    def text(
        self,
        value: Any,
        at: str,
        *,
        max_len: int,
        plain: bool = False,
        required: bool = False,
    ) -> None:
        """A text object: {"type": "plain_text"|"mrkdwn", "text": "..."}."""
        if value is None:
            if required:
                self.add("is required", at)
            return
        if not isinstance(value, dict):
            self.add("must be a text object", at)
            return
        kind = value.get("type")
        if kind not in ("plain_text", "mrkdwn"):
            self.add("must be one of plain_text, mrkdwn", f"{at}/type")
        elif plain and kind != "plain_text":
            self.add("must be plain_text", f"{at}/type")
        body = value.get("text")
        if not isinstance(body, str) or not body:
            self.add("must be a non-empty string", f"{at}/text")
        elif len(body) > max_len:
            self.add(f"must be less than {max_len + 1} characters", f"{at}/text")
        if "emoji" in value and kind == "mrkdwn":
            self.add("emoji is only allowed in plain_text", f"{at}/emoji")
        if "verbatim" in value and kind == "plain_text":
            self.add("verbatim is only allowed in mrkdwn", f"{at}/verbatim")

    def array(self, value: Any, at: str, *, min_items: int, max_items: int, what: str) -> list[Any]:
        if not isinstance(value, list):
            self.add(f"{what} must be an array", at)
            return []
        if len(value) > max_items:
            self.add(f"must provide no more than {max_items} items", at)
        if len(value) < min_items:
            self.add(f"must provide at least {min_items} items", at)
        return value

    def unique_id(self, value: Any, at: str, seen: set[str], what: str) -> None:
        if value is None:
            return
        self.string(value, at, max_len=MAX_ID, min_len=1)
        if isinstance(value, str):
            if value in seen:
                self.add(f"duplicate {what} {value!r}", at)
            seen.add(value)

    # ---- blocks ----------------------------------------------------------------------------------

    def blocks(self, blocks: Any, at: str) -> None:
        if blocks is None and at.startswith("/view"):
            self.add("is required", at)
            return
        if not isinstance(blocks, list):
            self.add("must be an array", at)
            return
        limit = MAX_BLOCKS[self.surface]
        if len(blocks) > limit:
            self.add(f"must provide no more than {limit} items", at)
        for i, block in enumerate(blocks):
            self.block(block, f"{at}/{i}")

    def block(self, block: Any, at: str) -> None:
        if not isinstance(block, dict):
            self.add("must be an object", at)
            return
        kind = block.get("type")
        if kind not in BLOCK_SURFACES:
            self.add(f"unknown block type {kind!r}", f"{at}/type")
            return
        if self.surface not in BLOCK_SURFACES[kind]:
            self.add(f"{kind} blocks are not allowed in a {self.surface}", f"{at}/type")
        self.unique_id(block.get("block_id"), f"{at}/block_id", self.block_ids, "block_id")
        getattr(self, f"_block_{kind}")(block, at)

    def _block_section(self, block: dict[str, Any], at: str) -> None:
        text, fields = block.get("text"), block.get("fields")
        if text is None and fields is None:
            self.add("must provide text or fields", at)
        self.text(text, f"{at}/text", max_len=MAX_SECTION_TEXT)
        if fields is not None:
            items = self.array(
                fields, f"{at}/fields", min_items=1, max_items=MAX_SECTION_FIELDS, what="fields"
            )
            for i, field in enumerate(items):
                self.text(field, f"{at}/fields/{i}", max_len=MAX_SECTION_FIELD_TEXT, required=True)
        if block.get("accessory") is not None:
            self.element(block["accessory"], f"{at}/accessory", ACCESSORY_ELEMENTS, "a section accessory")

    def _block_divider(self, block: dict[str, Any], at: str) -> None:
        pass

    def _block_header(self, block: dict[str, Any], at: str) -> None:
        self.text(block.get("text"), f"{at}/text", max_len=MAX_HEADER_TEXT, plain=True, required=True)

    def _block_image(self, block: dict[str, Any], at: str) -> None:
        self._image_source(block, at)
        self.text(block.get("title"), f"{at}/title", max_len=MAX_IMAGE_TITLE, plain=True)

    def _block_actions(self, block: dict[str, Any], at: str) -> None:
        items = self.array(
            block.get("elements"),
            f"{at}/elements",
            min_items=1,
            max_items=MAX_ACTIONS_ELEMENTS,
            what="elements",
        )
        for i, element in enumerate(items):
            self.element(element, f"{at}/elements/{i}", ACTIONS_ELEMENTS, "an actions block")

    def _block_context(self, block: dict[str, Any], at: str) -> None:
        items = self.array(
            block.get("elements"),
            f"{at}/elements",
            min_items=1,
            max_items=MAX_CONTEXT_ELEMENTS,
            what="elements",
        )
        for i, element in enumerate(items):
            where = f"{at}/elements/{i}"
            if isinstance(element, dict) and element.get("type") == "image":
                self._image_source(element, where)
            else:
                self.text(element, where, max_len=MAX_SECTION_TEXT, required=True)

    def _block_input(self, block: dict[str, Any], at: str) -> None:
        self.text(block.get("label"), f"{at}/label", max_len=MAX_LABEL, plain=True, required=True)
        self.text(block.get("hint"), f"{at}/hint", max_len=MAX_HINT, plain=True)
        element = block.get("element")
        if element is None:
            self.add("is required", f"{at}/element")
        else:
            self.element(element, f"{at}/element", INPUT_ELEMENTS, "an input block")

    def _block_file(self, block: dict[str, Any], at: str) -> None:
        self.string(block.get("external_id"), f"{at}/external_id", max_len=MAX_ID, required=True)
        if block.get("source") != "remote":
            self.add("must be 'remote'", f"{at}/source")

    def _block_video(self, block: dict[str, Any], at: str) -> None:
        self.string(block.get("alt_text"), f"{at}/alt_text", max_len=MAX_ALT_TEXT, required=True, min_len=1)
        self.text(block.get("title"), f"{at}/title", max_len=199, plain=True, required=True)
        for key in ("video_url", "thumbnail_url"):
            self.string(block.get(key), f"{at}/{key}", max_len=MAX_URL, required=True, min_len=1)

    def _block_rich_text(self, block: dict[str, Any], at: str) -> None:
        self.array(block.get("elements"), f"{at}/elements", min_items=1, max_items=10_000, what="elements")

    def _block_markdown(self, block: dict[str, Any], at: str) -> None:
        self.string(block.get("text"), f"{at}/text", max_len=MAX_MARKDOWN_BLOCK, required=True, min_len=1)

    def _block_table(self, block: dict[str, Any], at: str) -> None:
        rows = self.array(block.get("rows"), f"{at}/rows", min_items=1, max_items=MAX_TABLE_ROWS, what="rows")
        for i, row in enumerate(rows):
            self.array(row, f"{at}/rows/{i}", min_items=1, max_items=MAX_TABLE_CELLS, what="a row")

    def _image_source(self, obj: dict[str, Any], at: str) -> None:
        if obj.get("image_url") is None and obj.get("slack_file") is None:
            self.add("must provide image_url or slack_file", f"{at}/image_url")
        self.string(obj.get("image_url"), f"{at}/image_url", max_len=MAX_URL, min_len=1)
        self.string(obj.get("alt_text"), f"{at}/alt_text", max_len=MAX_ALT_TEXT, required=True, min_len=1)

    # ---- elements --------------------------------------------------------------------------------

    def element(self, element: Any, at: str, allowed: Iterable[str], where: str) -> None:
        if not isinstance(element, dict):
            self.add("must be an object", at)
            return
        kind = element.get("type")
        if not isinstance(kind, str) or kind not in allowed:
            self.add(f"{kind!r} is not a valid element in {where}", f"{at}/type")
            return
        if kind == "image":
            self._image_source(element, at)
            return
        self.unique_id(element.get("action_id"), f"{at}/action_id", self.action_ids, "action_id")
        self.text(element.get("placeholder"), f"{at}/placeholder", max_len=MAX_PLACEHOLDER, plain=True)
        if element.get("confirm") is not None:
            self.confirm(element["confirm"], f"{at}/confirm")
        if kind == "button":
            self.text(element.get("text"), f"{at}/text", max_len=MAX_BUTTON_TEXT, plain=True, required=True)
            self.string(element.get("value"), f"{at}/value", max_len=MAX_BUTTON_VALUE)
            self.string(element.get("url"), f"{at}/url", max_len=MAX_URL)
            if element.get("style") not in (None, "primary", "danger"):
                self.add("must be one of primary, danger", f"{at}/style")
        elif kind == "workflow_button":
            self.text(element.get("text"), f"{at}/text", max_len=MAX_BUTTON_TEXT, plain=True, required=True)
            if not isinstance(element.get("workflow"), dict):
                self.add("is required", f"{at}/workflow")
        elif kind == "overflow":
            low, high = OVERFLOW_OPTIONS
            self.options(element.get("options"), f"{at}/options", low, high, plain=True, allow_url=True)
        elif kind in ("checkboxes", "radio_buttons"):
            self.options(element.get("options"), f"{at}/options", 1, MAX_CHOICE_OPTIONS, plain=False)
        elif kind in ("static_select", "multi_static_select"):
            self._static_select(element, at)
        elif kind in ("plain_text_input",):
            for key in ("min_length", "max_length"):
                value = element.get(key)
                if value is not None and (
                    not isinstance(value, int) or not 0 <= value <= MAX_TEXT_INPUT_LENGTH
                ):
                    self.add(f"must be an integer between 0 and {MAX_TEXT_INPUT_LENGTH}", f"{at}/{key}")
        elif kind == "number_input":
            if not isinstance(element.get("is_decimal_allowed"), bool):
                self.add("is required", f"{at}/is_decimal_allowed")
        elif kind == "datepicker":
            initial = element.get("initial_date")
            if initial is not None and not (isinstance(initial, str) and _DATE.match(initial)):
                self.add("must be in the format YYYY-MM-DD", f"{at}/initial_date")
        elif kind == "timepicker":
            initial = element.get("initial_time")
            if initial is not None and not (isinstance(initial, str) and _TIME.match(initial)):
                self.add("must be in the format HH:mm", f"{at}/initial_time")
        elif kind == "datetimepicker":
            initial = element.get("initial_date_time")
            if initial is not None and (not isinstance(initial, int) or isinstance(initial, bool)):
                self.add("must be a UNIX timestamp in seconds", f"{at}/initial_date_time")
        if kind.startswith("multi_"):
            most = element.get("max_selected_items")
            if most is not None and (not isinstance(most, int) or most < 1):
                self.add("must be at least 1", f"{at}/max_selected_items")

    def _static_select(self, element: dict[str, Any], at: str) -> None:
        options, groups = element.get("options"), element.get("option_groups")
        if (options is None) == (groups is None):
            self.add("must provide exactly one of options or option_groups", at)
        if options is not None:
            self.options(options, f"{at}/options", 1, MAX_OPTIONS, plain=True)
        if groups is not None:
            items = self.array(
                groups, f"{at}/option_groups", min_items=1, max_items=MAX_OPTIONS, what="groups"
            )
            for i, group in enumerate(items):
                where = f"{at}/option_groups/{i}"
                if not isinstance(group, dict):
                    self.add("must be an object", where)
                    continue
                self.text(
                    group.get("label"), f"{where}/label", max_len=MAX_OPTION_TEXT, plain=True, required=True
                )
                self.options(group.get("options"), f"{where}/options", 1, MAX_OPTIONS, plain=True)

    def options(
        self, value: Any, at: str, low: int, high: int, *, plain: bool, allow_url: bool = False
    ) -> None:
        items = self.array(value, at, min_items=low, max_items=high, what="options")
        for i, option in enumerate(items):
            where = f"{at}/{i}"
            if not isinstance(option, dict):
                self.add("must be an object", where)
                continue
            self.text(
                option.get("text"), f"{where}/text", max_len=MAX_OPTION_TEXT, plain=plain, required=True
            )
            self.string(option.get("value"), f"{where}/value", max_len=MAX_OPTION_VALUE, required=True)
            self.text(option.get("description"), f"{where}/description", max_len=MAX_OPTION_TEXT, plain=plain)
            if option.get("url") is not None:
                if allow_url:
                    self.string(option["url"], f"{where}/url", max_len=MAX_URL)
                else:
                    self.add("url is only allowed in overflow menus", f"{where}/url")

    def confirm(self, value: Any, at: str) -> None:
        if not isinstance(value, dict):
            self.add("must be an object", at)
            return
        self.text(value.get("title"), f"{at}/title", max_len=100, plain=True, required=True)
        self.text(value.get("text"), f"{at}/text", max_len=300, required=True)
        self.text(value.get("confirm"), f"{at}/confirm", max_len=30, plain=True, required=True)
        self.text(value.get("deny"), f"{at}/deny", max_len=30, plain=True, required=True)
        if value.get("style") not in (None, "primary", "danger"):
            self.add("must be one of primary, danger", f"{at}/style")
