"""Item titles: cleaning a list line down to its title, and comparing titles for duplicates."""

from __future__ import annotations

import datetime
import difflib
import re
import unicodedata

from bot.core.extraction.dates import find_due
from bot.core.extraction.markup import SPACES, strip_emoji, strip_markup, tidy

# Where trailing metadata starts in a title. Owner/due labels are unmistakable after any space; the
# others only after a separator, so "Integration with Existing Systems: …" keeps its words.
_SEPARATOR = r"(?:\s*[(\[,;|]\s*|\s+[-\u2013\u2014]\s+)"
_META_START = re.compile(
    r"(?:" + _SEPARATOR + r"|\s+)(?=(?:owners?|assignee|dri|due(?:\s+date)?|deadline)\s*[:=]|assigned\s+to\s)"
    r"|" + _SEPARATOR + r"(?=(?:eta|target\s+date|priority|severity|status|evidence|systems?|"
    r"affected\s+systems)\s*[:=])",
    re.I,
)
_MENTION = r"(?:<@[UW][A-Z0-9]+(?:\|[^>]*)?>|(?<![\w.])@[A-Za-z][\w.-]*)"
_LEADING_MENTION = re.compile(r"^" + _MENTION + r"\s*(?::|-|\u2013|\u2014|\bto\b|\bwill\b)?\s+(?=\S)")
# Possessive, and only ever applied to a title's last 300 characters: a line of "@a @a @a … x" must not
# backtrack.
_TRAILING_MENTIONS = re.compile(r"(?:[\s,(\u2013\u2014-]*+" + _MENTION + r"[)\s]*+)++$")
_LEADING_PRIORITY = re.compile(r"^(?:[\[(]\s*P[0-3]\s*[\])]|P[0-3](?=[:\s]))\s*[:\u2013\u2014-]?\s+", re.I)
_TRAILING_PRIORITY = re.compile(r"(?:\s*[\[(]\s*P[0-3]\s*[\])]|\s+[-\u2013\u2014]\s*P[0-3])\s*$", re.I)
_BOX_PREFIX = re.compile(r"^\s*\[[ xX]\]\s*")
_TAIL_JUNK = re.compile(r"[\s).,;:\]\u2013\u2014-]*")
PLACEHOLDER_TITLE = re.compile(r"^(?:\[[^\]]*\]|\.{2,}|…|tbd|tbc|n/a|none)$", re.I)

_CHECKBOX = re.compile(r"^\s*\[[ xX]?\]\s*")
_LIST_MARKER = re.compile(r"^\s*(?:[-*+•]|\d{1,9}[.)])\s+")
_PUNCTUATION = re.compile(r"[\W_]+", re.UNICODE)
_NUMBER = re.compile(r"\d+")


def _strip_trailing_mentions(text: str) -> str:
    head, tail = text[:-300], text[-300:]
    return head + _TRAILING_MENTIONS.sub("", tail)


def clean_title(text: str, today: datetime.date) -> str:
    """An item's title from its line: no checkbox, emoji, markup, leading or trailing owner mention,
    priority tag, or trailing owner/due/status fields. "" when only a placeholder ("[Action 1]") is left.
    `today` is needed to recognise a trailing "by Oct 12" as a date."""
    title = _BOX_PREFIX.sub("", strip_markup(strip_emoji(text)).strip())
    cut = len(title)
    meta = _META_START.search(title)
    if meta and meta.start() > 0:
        cut = meta.start()
    due = find_due(title[:cut], today)
    if due is not None and due.date is not None and due.start > 0:
        if _TAIL_JUNK.fullmatch(_strip_trailing_mentions(title[due.end : cut])):
            cut = due.start
    title = title[:cut]
    lead = _LEADING_MENTION.match(title)
    if lead and title[lead.end() :].strip():
        rest = title[lead.end() :]
        title = rest[:1].upper() + rest[1:]
    trimmed = _strip_trailing_mentions(title)
    if tidy(trimmed):
        title = trimmed
    title = tidy(_TRAILING_PRIORITY.sub("", _LEADING_PRIORITY.sub("", tidy(title))))
    return "" if PLACEHOLDER_TITLE.match(title) else title


def normalise_title(title: str) -> str:
    """Lowercase, without punctuation, markers or whitespace runs: the key for duplicate detection."""
    text = unicodedata.normalize("NFKC", title)
    text = strip_emoji(text)
    text = _CHECKBOX.sub("", _LIST_MARKER.sub("", text))
    text = _PUNCTUATION.sub(" ", text.lower())
    return SPACES.sub(" ", text).strip()


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
