"""Done markers, wherever people put them: "[x]", ✅, a trailing "(done)", "_done in #4410_", "— Done",
"DONE: …", "SRCH-3310 **DONE**" in a table cell, and past-tense follow-ups ("We have moved …").

`done_in_text` reads a list item's whole text (its wrapped lines joined); `strip_done` removes the marker
so it does not end up in the title; `done_cell` reads one table cell.
"""

from __future__ import annotations

import re

from bot.core.extraction.markup import DONE_MARKERS, strip_emoji, strip_markup, without_code

_WORD = r"(?:done|completed?|fixed|shipped|resolved|merged|finished|closed|deployed|landed)"
_DETAIL = r"(?:\s+(?:in|on|by|via|with|as\s+of|at|since)\b[^()\n]*?)?"
# At the end: "(done)", "(fixed in 2.14.1)", "— _done in PR 8812_", "— **Done**", "- DONE", "… DONE".
_CLOSED = r"(?:dropped|cancell?ed|won'?t\s+do|wontfix|obsolete|abandoned|not\s+needed|superseded)"
_TRAILING = re.compile(
    r"(?:\s*\(\s*(?:" + _WORD + _DETAIL + r"|" + _CLOSED + r"\b[^()\n]{0,120})\s*\)"
    r"|\s+[-\u2013\u2014|]\s*"
    + _WORD
    + r"\s*[,;:]\s*[^-\u2013\u2014|\n]{1,80}"  # "— done, booked for 22 May"
    r"|\s*(?:[-\u2013\u2014|]\s*)?(?P<em>\*\*|__|\*|_)\s*" + _WORD + r"\b[^*_\n]*(?P=em)"
    r"|\s+[-\u2013\u2014|]\s*" + _WORD + r"\b" + _DETAIL + r")"
    r"\s*\.?\s*$",
    re.I,
)
_TRAILING_CAPS = re.compile(r"\s+DONE\s*\.?\s*$")  # case-sensitive: "… finish the migration done" is prose
# At the start: "DONE: …", "[Done] …", "**Completed** - …".
_LEADING = re.compile(
    r"^\s*(?:\*\*|__)?\[?\s*(?:done|completed|fixed)\s*\]?(?:\*\*|__)?\s*(?:[:\u2013\u2014-]\s*|\]\s*)(?=\S)",
    re.I,
)
# Participles that say the work is planned, not done: "Has been scheduled as part of our effort …".
_PLANNED = (
    r"(?:scheduled|planned|prioriti[sz]ed|proposed|requested|suggested|identified|discussed|agreed|"
    r"filed|opened|raised|logged|created\s+(?:for|to)|added\s+to\s+(?:the\s+|our\s+)?(?:backlog|roadmap))\b"
)
# A follow-up already carried out, written in the past tense: "We have moved …", "We've added …",
# "Added a CI check …", "The alert has been added".
_PAST = re.compile(
    r"^(?:we\s*(?:have|'ve|\u2019ve)\s+(?:already\s+|now\s+|also\s+)?"
    r"(?!to\b|no\b|not\b|yet\b|a\b|an\b|the\b|" + _PLANNED + r")"
    r"[a-z]+(?:ed|en|wn|lt|ut|et|ote|ade|ound|un)\b"
    r"|we\s+(?:already\s+|also\s+|then\s+)?(?!need|" + _PLANNED + r")[a-z]{3,}ed\b"
    r"|(?:added|fixed|deployed|enabled|disabled|moved|increased|reduced|reverted|removed|updated|"
    r"migrated|implemented|introduced|created|raised|lowered|upgraded|patched|rotated|replaced|shipped|"
    r"merged|completed|rolled\s+back|restored|revoked|published|configured|documented|rewrote|wrote)\s"
    r"|.{3,80}?\s(?:has|have)\s+(?:now\s+|already\s+)?been\s+"
    r"(?!" + _PLANNED + r")[a-z]+(?:ed|en|wn|lt|ut|et)\b)",
    re.I,
)
# A table cell that only says the work is done, perhaps after its ticket: "Done", "SRCH-3310 DONE",
# "INFRA-2204 — Done", "n/a **DONE**".
_DONE_CELL = re.compile(
    r"^(?:(?:[A-Z][A-Z0-9]*-\d+|#\d+|n/?a|bug\s+\d+|[\w.-]*\d[\w.-]*)\s*[-\u2013\u2014:|,]?\s*)?"
    + _WORD
    + r"\b"
    + _DETAIL
    + r"\s*\.?$",
    re.I,
)
_NOT_DONE = re.compile(r"\bnot\s+" + _WORD + r"\b|\bundone\b", re.I)
# Markers are short: the end-anchored patterns only ever see a text's last characters, so a 200 KB line
# of "DONE DONE …" or of spaces cannot make a search rescan the line from every position.
_TAIL = 160


def _split_tail(text: str) -> tuple[str, str]:
    cut = max(0, len(text) - _TAIL)
    return text[:cut], text[cut:]


_STRUCK = re.compile(r"^\s*(?:\[[^\]\n]{1,40}\]\s*)?~~[^~\n]+~~")  # "~~Book a room~~ …": struck through


def has_check_mark(text: str) -> bool:
    """A ✅ (or ✔ ☑ ✓ ☒) anywhere outside code."""
    prose = without_code(text)
    return any(ch in DONE_MARKERS for ch in prose)


def done_in_text(text: str) -> bool:
    """True when an item's text says it is done: a check mark anywhere, or a done marker at its start or
    end."""
    if has_check_mark(text) or _STRUCK.match(text):
        return True
    stripped = text.strip()
    if _NOT_DONE.search(stripped[-40:]):
        return False
    tail = _split_tail(stripped)[1]
    return bool(_TRAILING.search(tail) or _TRAILING_CAPS.search(tail) or _LEADING.match(stripped[:_TAIL]))


def past_tense(text: str) -> bool:
    """True when a follow-up is written as already carried out ("We have moved the job to a replica")."""
    return bool(_PAST.match(strip_markup(strip_emoji(text)).strip()))


def strip_done(text: str) -> str:
    """The text without a leading or trailing done marker ("Revert it - DONE (done)" loses both)."""
    for _ in range(3):
        head, tail = _split_tail(text)
        tail = _TRAILING_CAPS.sub("", _TRAILING.sub("", tail))
        shorter = _LEADING.sub("", head + tail, count=1).strip()
        if shorter == text:
            break
        text = shorter
    return text


def done_cell(cell: str) -> bool:
    """True when a table cell (any column but the task) only says that the work is done."""
    if has_check_mark(cell):
        return True
    plain = strip_markup(strip_emoji(cell)).strip()
    if not plain or _NOT_DONE.search(plain):
        return False
    return bool(_DONE_CELL.match(plain) or _TRAILING_CAPS.search(plain) or re.search(r"\bDONE\b", plain))
