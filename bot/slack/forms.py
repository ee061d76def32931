"""Reading a submitted modal: ``view.state.values`` -> typed values by name, and a refusal -> field errors.

A form is a mapping from the names a use case gives its inputs (``title``, ``deadline``) to the modal's
inputs (`Field`: block id and kind). `read` turns a submission into a `Form` whose `values` are typed per
kind and keyed by those names: nothing is judged here but the shape Slack sent (a number input that holds
no number). What is *allowed* — lengths, ranges, dates in the past, priorities — is decided once, by the
service; its `UserError` names the input (`UserError.field`, or several at once with `Invalid`) and
`Form.refusal` puts each message next to that input (``response_action: errors``), keyed by block id.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from bot.core.errors import UserError
from bot.core.mrkdwn import unescape

Kind = Literal[
    "text", "number", "select", "multi_select", "user", "users", "date", "time", "datetime", "checkboxes",
    "files",
]  # fmt: skip

MAX_ERROR = 150  # characters of a field error; Slack shows it under the input, on one or two lines
_INDEX = re.compile(r"[0-9]{1,4}")
_DATE_TOKEN = re.compile(r"<!date\^[^|>]*\|([^>]*)>")


@dataclass(frozen=True)
class Field:
    """One input of a modal. `prefix`: the input is split over blocks ``<block_id>_0``, ``_1`` … (a long
    checkbox list in groups of ten); their values are read as one list. `also`: more names the use case
    may give this input's problems. `error_at`: the block that shows its error, when not `block_id`
    (a split input shows it at its first group). `strip=False` keeps a text as typed (a pasted document)."""

    block_id: str
    kind: Kind = "text"
    prefix: bool = False
    also: tuple[str, ...] = ()
    error_at: str | None = None
    strip: bool = True

    @property
    def shown_at(self) -> str:
        return self.error_at or (f"{self.block_id}_0" if self.prefix else self.block_id)


@dataclass(frozen=True)
class Form:
    """A submitted modal. `values`: typed value per name (None, or [] for the list kinds, when empty);
    `errors`: what could not be read, by block id; `meta`: the view's private_metadata as a JSON object
    ({} when it is not one); `raw_meta`: the private_metadata as sent."""

    spec: Mapping[str, Field]
    values: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    raw_meta: str = ""

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def refusal(self, err: UserError | str, *, at: str | None = None) -> dict[str, Any]:
        """The ack that keeps the modal open with the problems next to their inputs. A problem that names
        no input of this form (or a bare message) is shown at `at`, else at the form's first input."""
        problems = err.problems if isinstance(err, UserError) else {}
        message = err.message if isinstance(err, UserError) else err
        errors: dict[str, str] = {}
        for name, text in (problems or {"": message}).items():
            block = self._block_of(name) or at or self._first()
            errors.setdefault(block, plain(text))
        return {"response_action": "errors", "errors": errors}

    def read_errors(self) -> dict[str, Any] | None:
        """The refusal for what could not be read, or None when everything could."""
        if not self.errors:
            return None
        return {"response_action": "errors", "errors": {k: plain(v) for k, v in self.errors.items()}}

    def _block_of(self, name: str) -> str | None:
        for key, spec in self.spec.items():
            if name == key or name in spec.also:
                return spec.shown_at
        return None

    def _first(self) -> str:
        return next(iter(self.spec.values())).shown_at


def plain(message: str) -> str:
    """A field error is plain text: a date token shows its fallback, the escaped text a message quotes
    shows as typed (it cannot ping from there), without the backticks that only mean something in mrkdwn."""
    text = _DATE_TOKEN.sub(r"\1", message)
    text = unescape(text).replace("`", "")
    return text[:MAX_ERROR]


def read(view: Mapping[str, Any] | None, spec: Mapping[str, Field]) -> Form:
    """The submitted `view` (``body["view"]``) read against `spec`."""
    view = view or {}
    state = (view.get("state") or {}).get("values") or {}
    blocks = state if isinstance(state, dict) else {}
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, spec_field in spec.items():
        elements = [
            _element(actions)
            for block_id, actions in blocks.items()
            if block_id == spec_field.block_id
            or (spec_field.prefix and re.fullmatch(re.escape(spec_field.block_id) + r"_[0-9]{1,4}", block_id))
        ]
        try:
            values[name] = _typed(spec_field, elements)
        except ValueError as problem:
            values[name] = None
            errors[spec_field.shown_at] = str(problem)
    raw_meta = str(view.get("private_metadata") or "")
    return Form(spec=spec, values=values, errors=errors, meta=_meta(raw_meta), raw_meta=raw_meta)


def _element(actions: Any) -> dict[str, Any]:
    """The one element's state in a block (an input block holds exactly one)."""
    if not isinstance(actions, dict):
        return {}
    for value in actions.values():
        if isinstance(value, dict):
            return value
    return {}


_LIST_KINDS = {"multi_select", "users", "checkboxes", "files"}


def _typed(spec: Field, elements: list[dict[str, Any]]) -> Any:
    kind = spec.kind
    if kind in _LIST_KINDS:
        return [v for element in elements for v in _list(kind, element)]
    element = elements[0] if elements else {}
    if kind == "text":
        text = str(element.get("value") or "")
        return (text.strip() if spec.strip else text) or None
    if kind == "number":
        return _number(element.get("value"))
    if kind == "select":
        option = element.get("selected_option")
        return str(option["value"]) if isinstance(option, dict) and option.get("value") else None
    if kind == "user":
        return str(element.get("selected_user") or "") or None
    if kind == "date":
        return _parsed(element.get("selected_date"), date.fromisoformat, "Pick a date in the date picker.")
    if kind == "time":
        return _parsed(element.get("selected_time"), time.fromisoformat, "Pick a time in the time picker.")
    if kind == "datetime":
        return _parsed(
            element.get("selected_date_time"),
            lambda v: datetime.fromtimestamp(int(v), tz=UTC),
            "Pick a date and a time.",
        )
    raise AssertionError(f"unknown field kind {kind}")  # pragma: no cover - Kind lists them all


def _list(kind: Kind, element: dict[str, Any]) -> list[str]:
    if kind == "users":
        return [str(u) for u in element.get("selected_users") or [] if u]
    if kind == "files":
        return [str(f.get("id")) for f in element.get("files") or [] if isinstance(f, dict) and f.get("id")]
    options = element.get("selected_options") or []
    return [str(o["value"]) for o in options if isinstance(o, dict) and o.get("value") is not None]


def _number(raw: Any) -> Decimal | None:
    text = str(raw or "").strip()
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError("Give a number.") from None
    if not value.is_finite():
        raise ValueError("Give a number.")
    return value


def _parsed(raw: Any, parse: Any, message: str) -> Any:
    if raw in (None, ""):
        return None
    try:
        return parse(str(raw))
    except (ValueError, OverflowError, OSError):
        raise ValueError(message) from None


def indexes(values: list[str]) -> list[int]:
    """Ticked options whose values are indexes the form wrote (1-4 ASCII digits); anything else is dropped
    (str.isdigit would take "²")."""
    return [int(v) for v in values if _INDEX.fullmatch(v)]


def metadata(view: Mapping[str, Any] | None) -> dict[str, Any]:
    """The view's private_metadata as a JSON object ({} when it is not one)."""
    return _meta(str((view or {}).get("private_metadata") or ""))


def _meta(raw: str) -> dict[str, Any]:
    try:
        data = json.loads(raw or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
