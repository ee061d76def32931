"""Inline Markdown and emoji helpers shared by every reader: strip markup, blank code spans, tidy."""

from __future__ import annotations

import re

# Emoji and pictographic status markers. Arrows (U+2190..21FF) and letter-like symbols stay: they carry
# meaning in titles ("A → B").
_EMOJI_RANGES = (
    (0x2300, 0x23FF),  # ⌛ ⏳ ⏰
    (0x25A0, 0x25FF),  # ■ □ ● ▶
    (0x2600, 0x27BF),  # ⚠ ✅ ✔ ❌ ☑ ☐
    (0x2B00, 0x2BFF),  # ⬜ ⭐
    (0x1F000, 0x1FAFF),  # 🔴 🟡 🟢 🚧 🔥 …
)
_EMOJI_JOINERS = {0xFE0E, 0xFE0F, 0x200D, 0x20E3}
DONE_MARKERS = frozenset("✅✔☑✓☒")
OPEN_CHECKBOX_MARKERS = frozenset("☐⬜")

# Every pattern here is linear on a 200 KB line: inner runs exclude their own delimiter, so a failed
# match cannot rescan the rest of the line from each start.
_CODE_SPAN = re.compile(r"(`{1,3})([^`\n]+)\1(?!`)")
_LINK = re.compile(r"!?\[([^\[\]\n]*)\]\([^()\[\]\s]*\)")
_BOLD = re.compile(
    r"(?<![\w*])\*\*(?=[^\s*])([^*\n]+)(?<=[^\s*])\*\*(?![\w*])"
    r"|(?<![\w_])__(?=[^\s_])([^_\n]+)(?<=[^\s_])__(?![\w_])"
)
_ITALIC = re.compile(r"(?<![\w*])\*(?=[^\s*])([^*\n]+)(?<=[^\s*])\*(?![\w*])")
_STRIKE = re.compile(r"~~(?=[^\s~])([^~\n]+)(?<=[^\s~])~~")
_PARKED = re.compile("\ue000(\\d+)\ue001")
_PRIVATE = re.compile("[\ue000\ue001]")
_STRAY_BOLD = re.compile(r"\*\*|(?<![\w_])__|__(?![\w_])")
SPACES = re.compile(r"\s+")
# A value that only holds a template placeholder or says "nobody yet": "[Name]", "TBD", "n/a", "-".
PLACEHOLDER = re.compile(
    r"^(?:\[[^\]]*\]|tbd|tbc|n/?a|none|unknown|unassigned|nobody|-+|\?+|\u2014|\u2013)$", re.I
)
_TRAILING_SEPARATORS = " \t-\u2013\u2014:;,|/("
_LEADING_SEPARATORS = " \t-\u2013\u2014:;,|"


def is_emoji(ch: str) -> bool:
    code = ord(ch)
    return (
        code in _EMOJI_JOINERS
        or (0x1F3FB <= code <= 0x1F3FF)
        or any(lo <= code <= hi for lo, hi in _EMOJI_RANGES)
    )


_EMOJI = re.compile(
    "["
    + "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in _EMOJI_RANGES)
    + "".join(chr(c) for c in sorted(_EMOJI_JOINERS))
    + "\U0001f3fb-\U0001f3ff]"
)


def strip_emoji(text: str) -> str:
    if text.isascii():
        return text
    return _EMOJI.sub("", text)


def without_code(text: str) -> str:
    """The text with backtick spans blanked out, for word rules that must not read code."""
    return _CODE_SPAN.sub(" ", text) if "`" in text else text


def strip_markup(text: str) -> str:
    """Remove bold/italic/strike markers and link targets, leaving backtick spans untouched."""
    spans: list[str] = []
    if "`" in text:
        # Park code spans behind private-use placeholders so the markup rules cannot reach into them.
        def park(match: re.Match[str]) -> str:
            spans.append(match.group(0))
            return f"\ue000{len(spans) - 1}\ue001"

        text = _CODE_SPAN.sub(park, _PRIVATE.sub("", text))
    if "[" in text:
        text = _LINK.sub(r"\1", text)
    if "~" in text:
        text = _STRIKE.sub(r"\1", text)
    if "*" in text or "_" in text:
        text = _BOLD.sub(lambda m: m.group(1) or m.group(2) or "", text)
        text = _ITALIC.sub(r"\1", text)
        text = _STRAY_BOLD.sub("", text)
    if spans:
        text = _PARKED.sub(lambda m: spans[int(m.group(1))], text)
    return text


def tidy(text: str) -> str:
    """Collapse whitespace and strip separators left dangling after metadata was cut away."""
    text = SPACES.sub(" ", text).strip().rstrip(_TRAILING_SEPARATORS).lstrip(_LEADING_SEPARATORS)
    if text.startswith("(") and text.endswith(")") and text.count("(") == 1:
        text = text[1:-1].strip()
    return text
