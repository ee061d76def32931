"""Reading one item's fields from its own text: owner, priority, kind, evidence, systems."""

from __future__ import annotations

import keyword
import re
from collections.abc import Mapping
from dataclasses import dataclass

from bot.core.extraction.markup import PLACEHOLDER, strip_markup, without_code

# ---------------------------------------------------------------------------------------------- owners

_SLACK_MENTION = re.compile(r"<@(?P<id>[UW][A-Z0-9]{2,})(?:\|(?P<name>[^>]{1,80}))?>")
_HANDLE = re.compile(r"(?<![\w.@/<+-])@(?P<handle>[A-Za-z][\w.-]{0,79})")
_BROADCAST = {"here", "channel", "everyone"}
_OWNER_LABEL = re.compile(
    r"(?<![\w-])(?:\*\*|__)?(?:owners?|assignee|assigned\s+to|dri|responsible|point\s+person)\b"
    r"\s*(?:\*\*|__)?\s*(?:[:=](?:\*\*|__)?|(?<=to)\s)\s*",
    re.I,
)
_OWNER_END = re.compile(
    r"\s+[-\u2013\u2014|\u00b7\u2022]\s+|[,;|)\]\u00b7\u2022]|\s+(?:due|by|deadline|eta|priority|status|evidence)\b|\s+\(",
    re.I,
)
_NAME_WORD = re.compile(r"[A-Za-z][\w'.-]*")
# "[Bilal] Make the pipeline stop …" (the same rule as the title's, which drops the bracket).
_BRACKET_OWNER = re.compile(
    r"^\s*(?:\d{1,3}[.)]\s+|[-*+]\s+)?\[(?P<name>(?!(?:Name|Owner|Date|Action|Task|Item|Title|Team|Person|"
    r"Assignee|Who|Description|Done|Todo|Blocked|New|Open)\])[A-Z][a-z'\u2019-]+(?:\s+[A-Z][a-z'\u2019-]+){0,2})\]\s+(?=\S)"
)


@dataclass(frozen=True)
class Owner:
    written: str
    user_id: str | None
    explicit: bool  # written in an Owner: field, a mention or a handle (not a bare name match)


def normalise_user_key(name: str) -> str:
    return re.sub(r"\s+", " ", name.strip().lstrip("@").lower())


def _resolve(written: str, known: Mapping[str, str]) -> Owner | None:
    mention = _SLACK_MENTION.fullmatch(written)
    if mention:
        return Owner(written, mention.group("id"), True)
    key = normalise_user_key(written)
    if not key or PLACEHOLDER.match(key):
        return None
    return Owner(written, known.get(key), True)


def find_owner(text: str, known: Mapping[str, str]) -> Owner | None:
    """The owner named in the text: an Owner:/Assignee: field, a Slack mention, an @handle, or a
    capitalised name from `known`. A known name that opens the text only counts when followed by
    "to", ":" or "will" ("Alice to rotate the keys"), so "Mark the flag deprecated" does not pick a Mark."""
    label = _OWNER_LABEL.search(text)
    if label:
        rest = text[label.end() :]
        if rest.startswith("["):  # a template placeholder such as "[Name]"
            return None
        mention = _SLACK_MENTION.match(rest)
        if mention:
            return _resolve(mention.group(0), known)
        end = _OWNER_END.search(rest)
        value = strip_markup(rest[: end.start() if end else len(rest)]).strip().strip("*_`").strip()
        value = " ".join(value.split()[:4])
        if value:
            return _resolve(value, known)
    bracket = _BRACKET_OWNER.match(text)
    if bracket:
        return _resolve(bracket.group("name"), known)
    prose = without_code(text)
    mention = _SLACK_MENTION.search(prose)
    if mention:
        return _resolve(mention.group(0), known)
    for handle in _HANDLE.finditer(prose):
        name = handle.group("handle").rstrip(".-")
        if name.lower() not in _BROADCAST:
            return Owner("@" + name, known.get(name.lower()), True)
    if known:
        return _known_name(prose, known)
    return None


def _known_name(text: str, known: Mapping[str, str]) -> Owner | None:
    words = list(_NAME_WORD.finditer(text))
    for index, word in enumerate(words):
        if not word.group(0)[:1].isupper():
            continue
        for size in (3, 2, 1):
            group = words[index : index + size]
            if len(group) < size:
                continue
            written = text[group[0].start() : group[-1].end()].rstrip(".'")
            user_id = known.get(normalise_user_key(written))
            if user_id is None:
                continue
            if index == 0 and not re.match(r"\s*(?::|to\b|will\b|-\s)", text[group[-1].end() :]):
                break
            return Owner(written, user_id, False)
    return None


# ---------------------------------------------------------------------------------------------- priority

_EXPLICIT = re.compile(r"(?<![A-Za-z0-9])[Pp]([0-3])(?![A-Za-z0-9_])")
_PRIORITY_FIELD = re.compile(
    r"(?<![\w-])priority\s*(?:\*\*|__)?\s*[:=]\s*(?:\*\*|__)?\s*([A-Za-z0-9-]+)", re.I
)
_PRIORITY_WORDS = {
    "critical": "P0", "blocker": "P0", "highest": "P0", "urgent": "P1", "high": "P1",
    "medium": "P2", "med": "P2", "normal": "P2", "moderate": "P2",
    "low": "P3", "lowest": "P3", "minor": "P3", "trivial": "P3",
}  # fmt: skip
# Words in compounds ("critical-path", "document-count guard") do not count; "document" counts only as
# the opening verb ("Document the fallback", "Follow-up: document the fallback").
_WORD_RULES = (
    (re.compile(r"\b(critical|blockers?|outages?)\b(?!-)", re.I), "P0"),
    (re.compile(r"\b(urgent(?:ly)?)\b(?!-)", re.I), "P1"),
    # An investigation is a question to answer, not the fix it may lead to: it does not outrank the
    # document's other work ("Alert us when …" at P2), so it never goes above P2.
    (re.compile(r"\b(investigat(?:e|es|ed|ion|ing))\b(?!-)", re.I), "P2"),
    (re.compile(r"\b(verif(?:y|ies|ication))\b(?!-)", re.I), "P1"),
    (re.compile(r"\b(clean[\s-]?up|refactor(?:s|ing)?)\b(?!-)", re.I), "P2"),
    (re.compile(r"\b(documentation|docs?)\b(?!-)|(?:^|:\s*)(document)\b(?!-)", re.I), "P3"),
)
_NEGATION = re.compile(r"(?:\bnon-?|\bnot\s+(?:a\s+|an\s+)?|\bno\s+|\bless\s+)$", re.I)


def priority_value(value: str) -> tuple[str, str] | None:
    """A P-level from a priority or severity value: "P1", "p0 - critical", "High", "SEV-2"."""
    text = strip_markup(value).strip()
    explicit = _EXPLICIT.search(text)
    if explicit:
        return f"P{explicit.group(1)}", f"explicit P{explicit.group(1)}"
    word = re.match(r"[A-Za-z]+", text)
    if word and word.group(0).lower() in _PRIORITY_WORDS:
        return _PRIORITY_WORDS[word.group(0).lower()], f"priority '{word.group(0)}'"
    return None


def find_priority(text: str) -> tuple[str, str] | None:
    """(priority, reason) from the item's own text, or None to fall back to the document's severity."""
    prose = without_code(strip_markup(text))
    field = _PRIORITY_FIELD.search(prose)
    if field:
        found = priority_value(field.group(1))
        if found:
            return found
    explicit = _EXPLICIT.search(prose)
    if explicit:
        return f"P{explicit.group(1)}", f"explicit P{explicit.group(1)}"
    for pattern, level in _WORD_RULES:
        for match in pattern.finditer(prose):
            if _NEGATION.search(prose[max(0, match.start() - 8) : match.start()]):
                continue
            word = next(group for group in match.groups() if group)
            return level, f"word '{word.lower()}'"
    return None


# ---------------------------------------------------------------------------------------------- kind

_PREVENTIVE_PREFIX = re.compile(r"^(?:prevention|preventive|preventative|prevent)\s*:", re.I)
_DETECTIVE_PREFIX = re.compile(r"^(?:detection|monitoring|alerting|observability)\s*:", re.I)
_DETECTIVE_WORDS = re.compile(
    r"\b(?:monitor(?:s|ing|ed)?|alert(?:s|ing)?|alarms?|detect(?:s|ion|ing)?|dashboards?)\b", re.I
)


def kind_of(title: str) -> str:
    """corrective by default; a Prevention: prefix makes it preventative; monitoring, alerting,
    detection (or dashboard) words make it detective."""
    if _PREVENTIVE_PREFIX.match(title):
        return "preventative"
    if _DETECTIVE_PREFIX.match(title) or _DETECTIVE_WORDS.search(without_code(title)):
        return "detective"
    return "corrective"


def kind_value(value: str) -> str | None:
    """A kind from a table's Type/Kind/Category cell."""
    text = value.lower()
    if "prevent" in text:
        return "preventative"
    if "detect" in text or "monitor" in text or "alert" in text:
        return "detective"
    if "correct" in text or "fix" in text:
        return "corrective"
    return None


# ---------------------------------------------------------------------------------------------- evidence

_CODE_EXT = (
    "py|pyi|js|jsx|ts|tsx|mjs|cjs|go|rb|java|kt|kts|rs|c|h|cc|cpp|hpp|cs|php|sql|ya?ml|json|toml|ini|cfg|"
    "conf|md|rst|txt|sh|bash|tf|hcl|html?|css|scss|swift|scala|exs?|erl|lua|proto|xml|env|lock|j2|jinja2?|"
    "vue|svelte|dart|pl|ps1|gradle|properties|mako|sbt|clj|zig|nix|dockerfile"
)
_PATH = r"(?:/?(?:[\w.-]+/)*[\w-][\w.-]*\.(?:" + _CODE_EXT + r"))"
_EVIDENCE = re.compile(
    r"(?<![\w/.-])(?:"
    r"(?P<node>" + _PATH + r"::[\w\[\]-]+(?:::[\w\[\]-]+)*)"
    r"|(?P<lines>" + _PATH + r"(?::L?\d+(?:-L?\d+)?|#L\d+(?:-L?\d+)?))"
    r"|(?P<commit>[0-9a-f]{7,40})"
    r")(?![\w/-]|\.\w)",
    re.I,
)
ITEM_ID = re.compile(r"(?<![\w-])([A-Z][A-Z0-9]{0,9}-\d{1,8})(?![\w])")


def find_evidence(text: str) -> list[str]:
    """File:line references, pytest node ids and commit hashes, in the order written."""
    found: list[str] = []
    for match in _EVIDENCE.finditer(text):
        value = match.group(0)
        if match.group("commit"):
            if value.isdigit() or value.isalpha() or value != value.lower():
                continue
        if value not in found:
            found.append(value)
    return found


# ---------------------------------------------------------------------------------------------- systems

_BACKTICKED = re.compile(r"`([a-z][a-z0-9]*(?:[-_.][a-z0-9]+)*)`")
_SYSTEM_FLAG = re.compile(r"--(?:system|service|component)(?:=|\s+)`?([\w.-]+)`?", re.I)
_NOT_SYSTEMS = set(keyword.kwlist) | {"true", "false", "none", "null", "nil", "self"}
_LIST_SPLIT = re.compile(r"\s*(?:[,;]|\band\b|&)\s*")
_PARENTHETICAL = re.compile(r"\s*\([^)]*\)")


def find_systems(text: str, known: list[str]) -> list[str]:
    """Component names named in an item: `--system x` flags, and backticked kebab-case names (or any
    backticked name listed as an affected system). Plain words and snake_case code stay out."""
    known_lower = {name.lower() for name in known}
    found: list[str] = []
    for match in _SYSTEM_FLAG.finditer(text):
        found.append(match.group(1))
    for match in _BACKTICKED.finditer(text):
        name = match.group(1)
        if name in _NOT_SYSTEMS or "." in name:
            continue
        if "-" in name or name.lower() in known_lower:
            found.append(name)
    return found


def split_systems(value: str) -> list[str]:
    """The names in an "Affected Systems: a, `b` and c (read path)" value; placeholders are dropped."""
    value = strip_markup(_PARENTHETICAL.sub("", value)).strip().rstrip(".")
    names = []
    for part in _LIST_SPLIT.split(value):
        name = part.strip().strip("`*_").strip()
        if name and not PLACEHOLDER.match(name) and len(name.split()) <= 4 and "[" not in name:
            names.append(name)
    return names


def merge(*groups: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Concatenate, keeping the first of each case-insensitive duplicate."""
    seen: set[str] = set()
    out: list[str] = []
    for group in groups:
        for value in group:
            key = value.lower()
            if key not in seen:
                seen.add(key)
                out.append(value)
    return tuple(out)
