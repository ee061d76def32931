"""Item titles: cleaning a list line down to its title, and comparing titles for duplicates."""

from __future__ import annotations

import datetime
import difflib
import re
import unicodedata

from bot.core.extraction.dates import find_due
from bot.core.extraction.markers import strip_done
from bot.core.extraction.markup import SPACES, strip_emoji, strip_markup, tidy

TITLE_LIMIT = 120  # longer titles are cut at a word; the item keeps the full text as its description

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
# "[Bilal] Make the pipeline stop …": a retro's owner in brackets (not "[P0]", "[TODO]" or "[Name]").
LEADING_BRACKET_OWNER = re.compile(
    r"^\s*\[(?P<name>(?!(?:Name|Owner|Date|Action|Task|Item|Title|Team|Person|Assignee|Who|Description|"
    r"Done|Todo|Blocked|New|Open)\])[A-Z][a-z'\u2019-]+(?:\s+[A-Z][a-z'\u2019-]+){0,2})\]\s+(?=\S)"
)
_TAIL_JUNK = re.compile(r"[\s).,;:\]\u2013\u2014-]*")
PLACEHOLDER_TITLE = re.compile(r"^(?:\[[^\]]*\]|\.{2,}|…|tbd|tbc|n/a|none)$", re.I)

# Link leftovers: "([#294][issue-294])", "(#1185)", "[Issue](https://…).", bare URLs, Slack's <url|label>.
_REF = r"(?:\[[^\[\]\n]*\]\[[^\[\]\n]*\]|\[[^\[\]\n]*\]\([^()\s]*\)|#\d+|https?://[^\s()<>]+)"
_REF_PARENTHESIS = re.compile(r" ?\(\s*(?:see\s+)?" + _REF + r"(?:\s*[,;&]\s*" + _REF + r")*\s*\)")
_GENERIC_LINK = re.compile(
    r" ?\[\s*(?:(?:tracking\s+|github\s+|jira\s+)?(?:issue|ticket|pr|pull\s+request|bug|link|here|"
    r"details|discussion)s?|#\d+)\s*\](?:\([^()\s]*\)|\[[^\[\]\n]*\])\.?",
    re.I,
)
_REFERENCE_LINK = re.compile(r"\[([^\[\]\n]+)\]\[[^\[\]\n]*\]")
_SLACK_LINK = re.compile(r"<(?:https?|mailto):[^|<>\s]+\|([^<>]+)>|<(?:https?|mailto):[^<>\s]+>")
_BARE_URL = re.compile(r"(?<![\w(\[<])https?://[^\s<>()\[\]]+")
_TRAILING_LINK_WORD = re.compile(
    r"(?<=[.!?])\s*(?:see\s+)?(?:tracking\s+)?(?:issue|ticket|pr|bug|link|jira)s?\s*\.?\s*$", re.I
)
# What a removed reference leaves behind; "f()" (no space before it) stays.
_EMPTY_PARENTHESIS = re.compile(r" \( ?(?:see|cf\.?)? ?[,;]? ?\)", re.I)
_CODE_SPAN = re.compile(r"(`+[^`\n]*`+)")

_CHECKBOX = re.compile(r"^\s*\[[ xX]?\]\s*")
_LIST_MARKER = re.compile(r"^\s*(?:[-*+•]|\d{1,9}[.)])\s+")
_PUNCTUATION = re.compile(r"[\W_]+", re.UNICODE)
_NUMBER = re.compile(r"\d+")


def _strip_trailing_mentions(text: str) -> str:
    head, tail = text[:-300], text[-300:]
    return head + _TRAILING_MENTIONS.sub("", tail)


def strip_links(text: str) -> str:
    """The text without link leftovers: issue references in parentheses, links whose text is only
    "Issue" or "#12", bare URLs; a reference-style ``[text][ref]`` keeps its text."""
    if "[" not in text and "(" not in text and "://" not in text:
        return text
    parts = _CODE_SPAN.split(text)  # code spans (odd indexes) are kept as written
    for index in range(0, len(parts), 2):
        part = parts[index]
        if "[" in part or "(" in part:
            part = _REF_PARENTHESIS.sub("", _GENERIC_LINK.sub("", part))
            part = _REFERENCE_LINK.sub(r"\1", part)
        if "://" in part:
            part = _SLACK_LINK.sub(lambda m: m.group(1) or "", part)
            part = _BARE_URL.sub("", part)
        parts[index] = _EMPTY_PARENTHESIS.sub("", SPACES.sub(" ", part))
    return "".join(parts)


# "**Implement priority-classes for critical workloads**: It can happen …": a bold action of four words
# or more, then its justification. The bold part is the title; the whole text is the description.
_BOLD_LEAD = re.compile(r"^\s*(\*\*|__)(?P<lead>[^*_\n]{8,200}?)(?P<colon>:?)\1\s*(?P<colon2>:?)\s+(?=\S)")
# Where a long title's first sentence ends: ". " before a capital, far enough in to be a title.
_FIRST_SENTENCE = re.compile(r"(?<=[a-z0-9)`'\u2019\"])(?<!\be\.g)(?<!\bi\.e)[.!?](?=\s+[A-Z])")


def bold_lead(raw: str) -> str | None:
    """The leading bold action of a list line ("**Separate node groups per zone**: Will allow …"), or
    None when the line does not open with one (a one- to three-word bold label is a field or a category)."""
    match = _BOLD_LEAD.match(raw)
    if match is None or not (match.group("colon") or match.group("colon2")):
        return None
    lead = match.group("lead").strip()
    return lead if len(lead.split()) >= 4 and not lead.endswith((".", "!", "?")) else None


def shorten(title: str, limit: int = TITLE_LIMIT) -> tuple[str, str]:
    """(title, description): a title longer than `limit` is cut after its first sentence when that
    sentence is long enough to be a title on its own, else at the last word that fits, ending in "…";
    the description is then the full title, else ""."""
    if len(title) <= limit:
        return title, ""
    sentence = _FIRST_SENTENCE.search(title, 0, limit)
    if sentence is not None and len(title[: sentence.start()].split()) >= 4:
        return title[: sentence.start()], title
    cut = title[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-\u2013\u2014(") + "\u2026", title


def clean_title(text: str, today: datetime.date) -> str:
    """An item's title from its line: no checkbox, emoji, markup, link leftovers, done marker, leading or
    trailing owner mention, priority tag, or trailing owner/due/status fields. "" when only a placeholder
    ("[Action 1]") is left. `today` is needed to recognise a trailing "by Oct 12" as a date."""
    text = strip_done(strip_links(text))
    title = _BOX_PREFIX.sub("", strip_markup(strip_emoji(text)).strip())
    title = LEADING_BRACKET_OWNER.sub("", _TRAILING_LINK_WORD.sub("", title))
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
