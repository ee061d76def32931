"""What a request to /slack/events must be before Bolt sees it: signed by Slack, fresh, and shaped the way
Slack sends it.

`verify` checks ``X-Slack-Request-Timestamp`` (a plain decimal integer within five minutes of now) and
``X-Slack-Signature`` (``v0=`` + hex HMAC-SHA256 of ``v0:{timestamp}:{raw body}`` keyed with the signing
secret, compared in constant time). slack_sdk's verifier passes the timestamp to ``int()``, which takes
``" 1700000000"``, ``"+1700000000"`` and ``"1_700_000_000"``, and raises on ``"abc"`` inside Bolt's
middleware, which then hands the unverified body on: hence a check of our own, first.

`shape` then checks a verified body the way Slack sends one, so that Bolt and the listeners never meet a
body they cannot read:

- ``application/x-www-form-urlencoded`` with ``payload=<JSON object with a type>`` (interactivity) or
  with the fields of a slash command (``command``);
- ``application/json`` with a JSON object with a ``type`` (Events API).

In either object, the envelope fields that Bolt and the listeners read (ids, ``team``, ``user``,
``channel``, ``event``, ``view``, ``actions``, ...) must have the types Slack gives them.

Each refusal says why in a few words from a closed set (never a piece of the request), for the log line
and the answer's body.

`keep_request_bodies_at_debug` keeps request bodies out of Bolt's log lines above DEBUG (Bolt logs the
whole body of a request that fails its verification at INFO, and parts of unhandled ones at WARNING).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

SIGNATURE_WINDOW = 5 * 60  # seconds either side of now, as Slack documents
_TIMESTAMP = re.compile(
    r"[0-9]{1,12}"
)  # ASCII digits only: int() also takes " 17", "+17", "1_7" and non-ASCII digits
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

# Envelope fields and the types Slack gives them (None is always allowed: Slack sends null for some).
_IDS = (
    "type",
    "team_id",
    "user_id",
    "channel_id",
    "enterprise_id",
    "event_id",
    "api_app_id",
    "trigger_id",
    "response_url",
    "callback_id",
    "action_id",
    "block_id",
    "thread_ts",
    "command",
    "function_execution_id",
    "bot_access_token",
    "ts",
    "event_ts",
    "action_ts",
    "value",
    "private_metadata",
    "selected_user",
    "selected_channel",
    "selected_conversation",
    "selected_date",
    "selected_time",
)
_ID_OR_OBJECT = ("team", "user", "channel", "enterprise")  # "T0001" or {"id": "T0001", ...}
_OBJECTS = (
    "event",
    "view",
    "message",
    "previous_message",
    "item",
    "assistant_thread",
    "function_data",
    "container",
    "state",
    "selected_option",
)
# Looked inside, with the same rules (Bolt for ids, the listeners for the rest).
_NESTED = ("event", "message", "previous_message", "item", "assistant_thread", "view")
_MESSAGES = ("event", "message", "previous_message")
_LISTS_OF_OBJECTS = ("authorizations", "actions", "response_urls", "selected_options")
# Fields of a slash command form that every command listener reads.
_COMMAND_FIELDS = ("user_id", "team_id", "channel_id")
# What Bolt reads without looking first, by payload type: each path must lead to a string.
_REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {
    "event_callback": (("event", "type"),),
    "block_actions": (("actions", "0", "action_id"),),
    "view_submission": (("view", "callback_id"), ("view", "type")),
    "view_closed": (("view", "callback_id"),),
    "shortcut": (("callback_id",),),
    "message_action": (("callback_id",),),
    "block_suggestion": (("action_id",),),
    "interactive_message": (("callback_id",),),
    "dialog_submission": (("callback_id",),),
    "dialog_cancellation": (("callback_id",),),
    "dialog_suggestion": (("callback_id",),),
    "workflow_step_edit": (("callback_id",),),
}


@dataclass(frozen=True)
class Refusal:
    """Why a request is refused: the HTTP status and a short reason (never taken from the request)."""

    status: int
    why: str


@dataclass(frozen=True)
class Accepted:
    """A request that may go on to Bolt, with its content type spelled the one way Bolt compares it."""

    content_type: str


def verify(
    timestamp: str | None, signature: str | None, body: bytes, *, secret: bytes, now: float
) -> Refusal | None:
    """None when `body` carries Slack's signature made within SIGNATURE_WINDOW of `now`; else a 401."""
    if timestamp is None or not _TIMESTAMP.fullmatch(timestamp):
        return Refusal(401, "timestamp is not a decimal integer")
    if abs(now - int(timestamp)) > SIGNATURE_WINDOW:
        return Refusal(401, "timestamp outside the five-minute window")
    if signature is None or not _SIGNATURE.fullmatch(signature):
        return Refusal(401, "signature missing or malformed")
    base = b"v0:" + timestamp.encode("ascii") + b":" + body
    expected = "v0=" + hmac.new(secret, base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode("ascii"), signature.encode("ascii")):
        return Refusal(401, "signature does not match")
    return None


def shape(content_type: str | None, body: bytes) -> Accepted | Refusal:
    """Whether a verified `body` is one Slack would send (see the module docstring); a 400 if not."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media not in (FORM, JSON):
        return Refusal(400, "unsupported content type")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return Refusal(400, "body is not UTF-8")
    if media == JSON:
        doc = _json_object(text)
        if doc is None:
            return Refusal(400, "body is not a JSON object")
        problem = _typed(doc) or _envelope(doc)
        return Refusal(400, problem) if problem else Accepted(JSON)
    if text.startswith("{"):  # Bolt would read this form as JSON
        return Refusal(400, "form body is JSON")
    pairs = parse_qsl(text, keep_blank_values=True)
    names = [name for name, _ in pairs]
    fields = dict(pairs)  # as Bolt reads a form: the last of repeated names
    if "payload" in fields:
        if names.count("payload") > 1:
            return Refusal(400, "payload given more than once")
        doc = _json_object(fields["payload"])
        if doc is None:
            return Refusal(400, "payload is not a JSON object")
        problem = _typed(doc) or _envelope(doc)
        return Refusal(400, problem) if problem else Accepted(FORM)
    if "command" in fields:
        if names.count("command") > 1:
            return Refusal(400, "command given more than once")
        if not fields["command"].startswith("/"):
            return Refusal(400, "command does not start with /")
        missing = next((f for f in _COMMAND_FIELDS if not fields.get(f)), None)
        if missing:
            return Refusal(400, f"command without {missing}")
        return Accepted(FORM)
    return Refusal(400, "form has neither payload nor command")


def is_ssl_check(content_type: str | None, body: bytes) -> bool:
    """Slack's certificate check (``ssl_check=1&token=…``), which may come unsigned: answered 200 with
    nothing done, before any other check, so it never needs to reach Bolt."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media != FORM or len(body) > 1024 or b"ssl_check=" not in body:
        return False
    fields = dict(parse_qsl(body.decode("latin-1"), keep_blank_values=True))
    return fields.get("ssl_check") == "1" and not fields.keys() & {"payload", "command"}


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser goes
        return None
    return doc if isinstance(doc, dict) else None


def _typed(doc: dict[str, Any]) -> str | None:
    """Whether `doc` has a type and, for that type, what Bolt reads without looking first."""
    kind = doc.get("type")
    if not isinstance(kind, str) or not kind:
        return "no type"
    for path in _REQUIRED.get(kind, ()):
        value: Any = doc
        for step in path:
            if isinstance(value, list) and step.isdigit() and int(step) < len(value):
                value = value[int(step)]
            elif isinstance(value, dict):
                value = value.get(step)
            else:
                value = None
        if not isinstance(value, str):
            return f"{kind} without a string {'.'.join(path).replace('.0.', '[0].')}"
    return None


def _envelope(doc: dict[str, Any], depth: int = 0) -> str | None:
    """The first envelope field of `doc` with a type Slack never sends, as a short reason; None if none."""
    for key in _IDS:
        if doc.get(key) is not None and not isinstance(doc[key], str):
            return f"{key} is not a string"
    for key in _ID_OR_OBJECT:
        value = doc.get(key)
        if value is None or isinstance(value, str):
            continue
        if not isinstance(value, dict):
            return f"{key} is neither an id nor an object"
        for sub in ("id", "team_id", "enterprise_id"):
            if value.get(sub) is not None and not isinstance(value[sub], str):
                return f"{key}.{sub} is not a string"
    for key in _OBJECTS:
        if doc.get(key) is not None and not isinstance(doc[key], dict):
            return f"{key} is not an object"
    for key in _LISTS_OF_OBJECTS:
        value = doc.get(key)
        if value is None:
            continue
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            return f"{key} is not a list of objects"
        for item in value:
            problem = _envelope(item, depth + 1) if depth < 3 else None
            if problem:
                return f"{key}[]: {problem}"
    state = doc.get("state")
    if isinstance(state, dict) and state.get("values") is not None:
        problem = _state_values(state["values"], depth)
        if problem:
            return f"state.values {problem}"
    if depth < 3:
        for key in _NESTED:
            nested = doc.get(key)
            if isinstance(nested, dict):
                # A message's text is a string (a button's text is an object, so not everywhere).
                if (
                    key in _MESSAGES
                    and nested.get("text") is not None
                    and not isinstance(nested["text"], str)
                ):
                    return f"{key}.text is not a string"
                problem = _envelope(nested, depth + 1)
                if problem:
                    return f"{key}.{problem}"
    return None


def _state_values(values: Any, depth: int) -> str | None:
    """A form's ``state.values``: {block_id: {action_id: element}}, each element an object."""
    if not isinstance(values, dict):
        return "is not an object"
    for block in values.values():
        if not isinstance(block, dict) or not all(isinstance(e, dict) for e in block.values()):
            return "are not objects of objects"
        for element in block.values():
            problem = _envelope(element, depth + 1) if depth < 3 else None
            if problem:
                return f"element: {problem}"
    return None


# Bolt's log lines that carry a request body (or parts of one) after these words.
_BODY_BEARING = (
    "Invalid request signature detected",
    "Unhandled request",
    "A global middleware",
    "Request body",
    "request body",
)


class _BodiesAtDebugOnly(logging.Filter):
    """A Bolt log line that carries a request body: at DEBUG when the logger shows DEBUG, otherwise kept at
    its level with the body left out."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno <= logging.DEBUG or not isinstance(record.msg, str):
            return True
        prefix = next((p for p in _BODY_BEARING if record.msg.startswith(p)), None)
        if prefix is None:
            return True
        if logging.getLogger(record.name).isEnabledFor(logging.DEBUG):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        else:
            record.msg, record.args = f"{prefix} (the request body is logged at DEBUG only)", None
        return True


_FILTER = _BodiesAtDebugOnly()


def keep_request_bodies_at_debug() -> None:
    """Put the filter on Bolt's loggers: those that exist, and its base logger, which Bolt copies filters
    from into the loggers it makes later. Idempotent."""
    names = ["slack_bolt", *(n for n in logging.root.manager.loggerDict if n.startswith("slack_bolt"))]
    for name in names:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
