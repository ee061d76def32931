"""Text as Slack sends it in slash commands, turned back into what the person typed.

With ``should_escape`` Slack sends ``&``, ``<`` and ``>`` as entities and wraps mentions, channels and links
in angle brackets: ``<@U123|alice>``, ``<#C123|general>``, ``<https://x.y|label>``. Stored text keeps what
was meant (``@alice``, ``#general``, the URL) and special mentions such as ``<!channel>`` stay literal text,
which every renderer escapes, so they can never ping anyone.
"""

from __future__ import annotations

import re
from typing import Any

from bot.core.mrkdwn import unescape

_TOKEN = re.compile(r"<([@#!]?)([^<>|]*)(?:\|([^<>]*))?>")


def from_slack(text: str | None) -> str:
    """Plain text from a slash command's (escaped) text."""
    if not text:
        return ""

    def replace(m: re.Match[str]) -> str:
        sigil, target, label = m.group(1), m.group(2), m.group(3)
        if sigil == "@":
            return "@" + (label or target)
        if sigil == "#":
            return "#" + (label or target)
        if sigil == "!":
            return m.group(0)  # <!channel>, <!here>, <!date…>: kept as typed, escaped when shown
        return target if re.match(r"^(https?|mailto):", target) else m.group(0)

    return unescape(_TOKEN.sub(replace, text))


def split_id(args: str) -> tuple[str, str]:
    """``P0-… some text`` -> (id, text); text wrapped whole in quotes loses them."""
    head, *tail = (args or "").strip().split(maxsplit=1) or [""]
    rest = tail[0].strip() if tail else ""
    quotes = (('"', '"'), ("\u201c", "\u201d"), ("'", "'"), ("\u2018", "\u2019"))
    for left, right in quotes:
        if len(rest) >= 2 and rest.startswith(left) and rest.endswith(right) and left not in rest[1:-1]:
            rest = rest[1:-1].strip()
            break
    return head, rest


def storable(value: Any) -> Any:
    """`value` (a payload, or any part of one) with every string made storable: NUL characters, which
    PostgreSQL text cannot hold, and lone surrogates, which UTF-8 cannot encode, become U+FFFD. Slack sends
    neither in what people type; a payload that carries one must not turn into a database error."""
    if isinstance(value, str):
        if "\x00" not in value and not _SURROGATE.search(value):
            return value
        return _SURROGATE.sub("\ufffd", value).replace("\x00", "\ufffd")
    if isinstance(value, dict):
        for key, item in value.items():
            value[key] = storable(item)
        return value
    if isinstance(value, list):
        for i, item in enumerate(value):
            value[i] = storable(item)
        return value
    return value


_SURROGATE = re.compile("[\ud800-\udfff]")
