"""Item titles: stripping list furniture and status markers, and comparing titles for duplicates."""

from __future__ import annotations

import difflib
import re
import unicodedata

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
_PLACEHOLDER = re.compile("\ue000(\\d+)\ue001")
_PRIVATE = re.compile("[\ue000\ue001]")
_NUMBER = re.compile(r"\d+")
_STRAY_BOLD = re.compile(r"\*\*|(?<![\w_])__|__(?![\w_])")
_CHECKBOX = re.compile(r"^\s*\[[ xX]?\]\s*")
_LIST_MARKER = re.compile(r"^\s*(?:[-*+•]|\d{1,9}[.)])\s+")
_SPACES = re.compile(r"\s+")
_TRAILING_SEPARATORS = " \t-\u2013\u2014:;,|/("
_LEADING_SEPARATORS = " \t-\u2013\u2014:;,|"
_PUNCTUATION = re.compile(r"[\W_]+", re.UNICODE)


def is_emoji(ch: str) -> bool:
    code = ord(ch)
    return (
        code in _EMOJI_JOINERS
        or (0x1F3FB <= code <= 0x1F3FF)
        or any(lo <= code <= hi for lo, hi in _EMOJI_RANGES)
    )


def strip_emoji(text: str) -> str:
    if text.isascii():
        return text
    return "".join(ch for ch in text if not is_emoji(ch))


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
        text = _PLACEHOLDER.sub(lambda m: spans[int(m.group(1))], text)
    return text


def tidy(text: str) -> str:
    """Collapse whitespace and strip separators left dangling after metadata was cut away."""
    text = _SPACES.sub(" ", text).strip().rstrip(_TRAILING_SEPARATORS).lstrip(_LEADING_SEPARATORS)
    if text.startswith("(") and text.endswith(")") and text.count("(") == 1:
        text = text[1:-1].strip()
    return text


def normalise_title(title: str) -> str:
    """Lowercase, without punctuation, markers or whitespace runs: the key for duplicate detection."""
    text = unicodedata.normalize("NFKC", title)
    text = strip_emoji(text)
    text = _CHECKBOX.sub("", _LIST_MARKER.sub("", text))
    text = _PUNCTUATION.sub(" ", text.lower())
    return _SPACES.sub(" ", text).strip()


def similar_titles(a: str, b: str) -> bool:
    """True when two titles are near-identical: the same words, or a difflib ratio of at least 0.9 on
    the normalised titles. Numbers must agree -- "queue 1" and "queue 2" are different work."""
    left, right = normalise_title(a), normalise_title(b)
    if not left or not right:
        return False
    if left == right or sorted(left.split()) == sorted(right.split()):
        return True
    if _NUMBER.findall(left) != _NUMBER.findall(right):
        return False
    matcher = difflib.SequenceMatcher(None, left, right, autojunk=False)
    return matcher.real_quick_ratio() >= 0.9 and matcher.quick_ratio() >= 0.9 and matcher.ratio() >= 0.9
