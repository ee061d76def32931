"""Block Kit checked by slack_sdk's own models: a second, independent opinion on Slack's limits.

``tests.fakes.blockkit_limits`` states Slack's rules by hand; this module asks the SDK instead. Each block
is parsed with ``Block.parse`` (a view with ``View(**view)``) and every object the SDK built is checked by
the rules of its own ``validate_json()``, so a limit the hand-written rules get wrong, or forget, is still
caught.

``sdk_message_errors(blocks)`` and ``sdk_view_errors(view)`` return error strings in the fake's
``invalid_blocks`` / ``invalid_arguments`` shape: the SDK's message, the model that raised it, and a
``[json-pointer:...]`` to the object (the SDK names the attribute, not its path), e.g. ``"slack_sdk
ButtonElement: value attribute cannot exceed 2000 characters [json-pointer:/blocks/0/elements/0]"``.
An empty list means the SDK found nothing wrong.

How the SDK's models are used, and why:

* ``validate_json()`` checks one object only, and stops at its first broken rule; nested objects are
  checked by ``to_dict()``, which raises without saying where. So the check walks the parsed tree and
  runs, on each object, the rules ``validate_json()`` runs (its ``@JsonValidator`` methods), one by one,
  for every error with a precise pointer; then ``to_dict()`` on each block reaches what the walk cannot
  see (the text objects inside confirm dialogs).
* One SDK rule is stricter than Slack and is skipped: ``View._validate_blocks_length`` refuses a view
  with no blocks ("views must contain between 1 and 100 blocks"). Slack's reference for ``view.blocks``
  states a maximum of 100 and no minimum, and the fake has always accepted ``"blocks": []`` (an empty
  Home tab, a modal that shows only its title; ``blockkit_limits`` and the fake's own tests rely on it).
  The SDK rule still applies to more than 100 blocks.
* The SDK never refuses an unknown type: ``Block.parse`` and ``BlockElement.parse`` log a warning and
  return ``None``, and the payload would pass. Slack refuses a type it does not know, and slack_sdk 3.48
  knows every block and element type Slack documents, so a block or element the SDK skipped is an error.
  The walk finds them as objects (or list entries) in the payload that have no model after parsing.
* Some elements keep ``options``, ``option_groups`` and ``initial_option`` as the dicts they were given
  (``static_select``, ``radio_buttons``, ``overflow`` in slack_sdk 3.48), so the SDK never checks those
  options' limits; the check builds the SDK's ``Option``/``OptionGroup`` from them, as ``checkboxes``
  and ``multi_static_select`` do themselves.
* A payload too malformed to build a model from (a missing required argument, a text object without
  ``type``) makes the SDK's constructors raise ``TypeError``/``KeyError``; Slack refuses those payloads
  too, so they are errors here.
* The SDK has no model for a message: ``slack_sdk.models.messages.Message`` is unmaintained, warns on
  import and checks attachments only. So the one rule stated here rather than asked of the SDK is
  Slack's 50-block limit for a message (a view's 100 is ``View``'s own rule).
* Where the SDK is looser than Slack (an overflow menu with one option, a header of ``mrkdwn``) the
  hand-written rules still catch it; this module does not add rules of its own to close those gaps.
"""

from __future__ import annotations

import functools
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.basic_objects import JsonObject
from slack_sdk.models.blocks import Block, Option, OptionGroup
from slack_sdk.models.views import View

MAX_MESSAGE_BLOCKS = 50  # Slack's limit; the SDK has no message model that states it

# How the SDK's constructors and validators fail on a malformed or over-limit payload. Anything else
# raised while checking is a bug here and should surface (the fake answers it with HTTP 500).
_MODEL_FAILURES = (SlackObjectFormationError, TypeError, KeyError, ValueError, AttributeError)
# Attributes some element models keep as the raw dicts they were given, and the model each dict is.
_KEPT_AS_GIVEN: dict[str, type[JsonObject]] = {
    "options": Option,
    "initial_options": Option,
    "initial_option": Option,
    "option_groups": OptionGroup,
}


def sdk_message_errors(blocks: Any) -> list[str]:
    """What slack_sdk's models refuse in the ``blocks`` of a message (chat.postMessage, chat.update,
    chat.postEphemeral, a response URL)."""
    if not isinstance(blocks, list):
        return [_err("must be an array", "/blocks")]
    errors = []
    if len(blocks) > MAX_MESSAGE_BLOCKS:
        errors.append(_err(f"a message has no more than {MAX_MESSAGE_BLOCKS} blocks", "/blocks"))
    return errors + _blocks_errors(blocks, "/blocks")


def sdk_view_errors(view: Any) -> list[str]:
    """What slack_sdk's models refuse in a ``view`` (views.open/update/push/publish, a view_submission
    ack's update or push). Pointers are rooted at ``/view``."""
    if not isinstance(view, dict):
        return [_err("must be an object", "/view")]
    blocks = view.get("blocks")
    errors = _blocks_errors(blocks, "/view/blocks") if isinstance(blocks, list) else []
    try:
        model = View(**view)
    except _MODEL_FAILURES as e:
        # Often a block the per-block check has already reported; otherwise the view itself.
        return errors or [_err(f"slack_sdk View could not be built: {_reason(e)}", "/view")]
    # The blocks were checked one by one above (for their pointers); View's own rules count them.
    return _tree_errors(view, model, "/view", skip=("blocks",)) + errors


def _blocks_errors(blocks: list[Any], at: str) -> list[str]:
    errors: list[str] = []
    for i, raw in enumerate(blocks):
        errors += _block_errors(raw, f"{at}/{i}")
    return errors


def _block_errors(raw: Any, at: str) -> list[str]:
    if not isinstance(raw, dict):
        return [_err("must be an object", at)]
    try:
        block = Block.parse(raw)
    except _MODEL_FAILURES as e:
        return [_err(f"slack_sdk could not build a {raw.get('type')!r} block: {_reason(e)}", at)]
    if block is None:
        return [_err(f"slack_sdk does not know the block type {raw.get('type')!r}", f"{at}/type")]
    errors = _tree_errors(raw, block, at)
    if not errors:
        try:
            block.to_dict()
        except _MODEL_FAILURES as e:
            errors.append(_err(f"slack_sdk {type(block).__name__}: {_reason(e)}", at))
    return errors


def _tree_errors(raw: Any, model: JsonObject, at: str, skip: tuple[str, ...] = ()) -> list[str]:
    """``validate_json()`` on ``model`` and on every model under it, next to the ``raw`` dict it came from;
    a dict or list in ``raw`` that left no model behind is something the SDK did not recognise."""
    name = type(model).__name__
    errors = []
    for rule in _rules(model):
        try:
            rule()
        except _MODEL_FAILURES as e:
            errors.append(_err(f"slack_sdk {name}: {_reason(e)}", at))
    if not isinstance(raw, dict):
        return errors
    for key in sorted(model.attributes - set(skip)):
        given, kept = raw.get(key), getattr(model, key, None)
        where = f"{at}/{key}"
        if key in _KEPT_AS_GIVEN and _unparsed(kept):
            errors += _built_errors(_KEPT_AS_GIVEN[key], kept, where)
        elif isinstance(given, list) and given:
            if not isinstance(kept, list) or len(kept) != len(given) or any(k is None for k in kept):
                errors.append(_err(f"slack_sdk {name} did not recognise every item of {key}", where))
                continue
            for i, (g, k) in enumerate(zip(given, kept, strict=True)):
                if isinstance(k, JsonObject):
                    errors += _tree_errors(g, k, f"{where}/{i}")
        elif isinstance(given, dict) and given:
            if kept is None:
                errors.append(
                    _err(f"slack_sdk {name} did not recognise {key} ({given.get('type')!r})", where)
                )
            elif isinstance(kept, JsonObject):
                errors += _tree_errors(given, kept, where)
    return errors


def _rules(model: JsonObject) -> list[Any]:
    """The ``@JsonValidator`` methods ``model.validate_json()`` would run, in its order, less the one
    Slack does not apply (see the module docstring)."""
    names = _rule_names(type(model))
    if isinstance(model, View) and model.blocks == []:
        # Slack accepts a view with no blocks; the SDK's lower bound of 1 is its own.
        names = tuple(n for n in names if n != "_validate_blocks_length")
    return [getattr(model, n) for n in names]


@functools.cache
def _rule_names(cls: type) -> tuple[str, ...]:
    return tuple(
        name
        for name in sorted(dir(cls))
        if not name.startswith("__") and hasattr(getattr(cls, name, None), "validator")
    )


def _unparsed(value: Any) -> bool:
    return isinstance(value, dict) or (isinstance(value, list) and any(isinstance(v, dict) for v in value))


def _built_errors(model: type[JsonObject], value: Any, at: str) -> list[str]:
    """Build ``model`` from a dict (or each dict of a list) and check it with ``to_dict()``, which also
    checks what it holds (an option group's options)."""
    items = list(enumerate(value)) if isinstance(value, list) else [(None, value)]
    errors = []
    for i, item in items:
        where = at if i is None else f"{at}/{i}"
        try:
            model(**item).to_dict()
        except _MODEL_FAILURES as e:
            errors.append(_err(f"slack_sdk {model.__name__}: {_reason(e)}", where))
    return errors


def _reason(e: Exception) -> str:
    return f"{type(e).__name__}: {e}" if not isinstance(e, SlackObjectFormationError) else str(e)


def _err(message: str, pointer: str) -> str:
    return f"{message} [json-pointer:{pointer}]"
