"""What a heading (or a heading-like label such as `SUCCESS CRITERIA FOR CLOSURE:`) says its section holds.

The kind decides what the lines under it become: items (ACTION), shared success criteria (CRITERIA),
prevention measures (PREVENTION), evidence notes (EVIDENCE), affected systems (SYSTEMS), done items
(DONE), or nothing (NARRATIVE). UNKNOWN inherits the kind of the enclosing heading.
"""

from __future__ import annotations

import enum
import re

from bot.core.extraction.markup import strip_emoji, strip_markup


class SectionKind(enum.Enum):
    ACTION = "action"
    RECOMMENDATION = "recommendation"  # lists are items; prose is kept as a fallback item
    CRITERIA = "criteria"
    PREVENTION = "prevention"
    EVIDENCE = "evidence"
    SYSTEMS = "systems"
    DONE = "done"
    NARRATIVE = "narrative"
    UNKNOWN = "unknown"


_NUMBERING = re.compile(
    r"^(?:(?:step|phase|part|section|milestone)\s+)?(?:\d+(?:\.\d+)*|[a-z]|[ivx]+)[.):]\s+", re.IGNORECASE
)
# Checked first: a WHY heading that mentions "action items" is still narrative, and so is a
# retrospective list ("What could be improved", "Where we got lucky") whatever words it contains.
_NARRATIVE_FIRST = re.compile(
    r"^(?:why\b|answer\b|root\s+causes?\b|timeline\b|five\s+whys?\b|5\s+whys?\b|actions?\s+taken\b"
    r"|the\s+(?:five|5)\s+whys?\b|open\s+questions?\b|questions?\b)"
    r"|\bwhat\s+went\b|\bwent\s+(?:well|wrong|badly|right)\b|\bwhat\s+(?:could|didn'?t|did\s+not|was)\b"
    r"|\bwhere\s+we\s+got\s+lucky\b|\bdidn'?t\s+go\b|\bdid\s+not\s+go\b|\bcould\s+(?:be|have\s+been)\s+improved\b"
    r"|\bareas?\s+for\s+improvement\b"
)
# Legends and definitions inside an action section ("Priority levels:", "Types:", "Legend").
_LEGEND = re.compile(
    r"^(?:legend|key|definitions?|glossary|types?|priorities|categories|labels|statuses)$"
    r"|\blegend\b|^(?:priority|severity|type|status|action\s+item)\s+(?:levels?|legend|key|definitions?|types?)$"
)
_CRITERIA = re.compile(r"\bcriteria\b|\bdefinition\s+of\s+done\b|\bvalidation\s+checklist\b")
_PREVENTION = re.compile(r"\bprevent(?:ion|ive|ative|ing)?\b|\brecurrence\b")
# A name that says both ("Corrective and preventive actions", "Remediation and prevention") is an
# action section: its lists are the work itself.
_ACTION_AND_PREVENTION = re.compile(r"\b(?:actions?|corrective|remediations?|follow[\s-]?ups?|fix(?:es)?)\b")
_EVIDENCE = re.compile(r"\bevidence\b|\breferences\b")
_SYSTEMS = re.compile(
    r"^(?:affected|impacted)\s+(?:systems?|services?|components?)$|^(?:systems?|services?)\s+affected$"
)
_DONE = re.compile(r"^(?:completed|done|closed|resolved|finished|shipped)\b")
_RECOMMENDATION = re.compile(r"\brecommend(?:ation|ations|ed\s+actions?|ed\s+fix(?:es)?)\b")
_ACTION = re.compile(
    r"\baction\s+(?:items?|points?|list|register|log)\b|\bactions\b|\baction\s+plan\b"
    r"|\bhow\s+(?:are|will|do|can|should|could)\s+we\b|\bwhat\s+(?:are|will)\s+we\s+(?:doing|do|changing|change)\b"
    r"|\bcorrective\b|\bremediations?\b|\bnext\s+steps?\b"
    r"|\bfollow[\s-]?ups?\b|\bto[\s-]?dos?\b|\btasks?\b|\bexecution\s+plan\b|\bfix(?:es)?\b"
    r"|\bdeliverables\b|\bwork\s+items\b|\bopen\s+items\b|\bcountermeasures?\b|\bmitigations?\s+plan\b"
    r"|\bwhat\s+we(?:'re|\u2019re|\s+are|\s+will\s+be|'ll|\s+will)?\s+(?:doing|changing|fixing|improving|do|change)\b"
    r"|\bchanges\s+we(?:'re|\u2019re|\s+are|\s+will\s+be)?\s+making\b|\bwhat(?:'s|\u2019s|\s+is|\s+comes)\s+next\b"
    r"|^improv(?:e|ing|ements?)\b|^(?:going|moving|looking)\s+forward\b|\bimprovements?\s+plan\b"
    r"|\bfuture\s+(?:work|measures|plans?|improvements|changes|steps)\b"
    r"|\blong(?:er)?[\s-]?term\s+(?:changes|fixes|improvements|measures|plans?|work|solutions?)\b"
)
_NARRATIVE = re.compile(
    r"\b(?:summary|overview|background|context|impact|symptoms?|lessons?|learned|what\s+went|"
    r"what\s+could|what\s+happened|went\s+well|resolution|description|details|highlights|"
    r"changelog|changes|changed|added|removed|deprecated|fixed|security|known\s+issues|upgrade|notes|"
    r"glossary|appendix|analysis|findings?|observations?|detection|problem|incident|discussion|"
    r"metrics?|communications?|attendees|participants|contacts?|contributors|thanks|acknowledg\w*|"
    r"justification|business\s+case|rationale|motivation|sign-?off|approvals?|supporting\s+information)\b"
)
# Narrative words that a sub-heading under an action section may use without leaving it: "Code and
# configuration changes" under "Corrective actions" still lists work.
_WEAK_NARRATIVE = re.compile(
    r"\b(?:changes|changed|added|removed|fixed|details|security|upgrade|detection|communications?)\b"
)

# A label at the start of a line: `**Label:** rest`, `**Label**: rest`, `Label: rest`, `LABEL`.
_BOLD_LABEL = re.compile(
    r"^(\*\*|__)(?P<label>[^*_\n]{1,80}?)(?P<colon>:?)\1\s*(?P<colon2>:?)\s*(?P<rest>.*)$"
)
_PLAIN_LABEL = re.compile(r"^(?P<label>[A-Za-z][A-Za-z0-9 #&/()'.+-]{0,70}?)\s*:(?!//)\s*(?P<rest>.*)$")
_CAPS_LABEL = re.compile(r"^(?P<label>[A-Z][A-Z0-9 #&/()'.+-]{2,70}?)\s*:?$")
_TITLE_WORD = re.compile(r"^(?:[A-Z][\w'-]*|[a-z]{1,3}|&|and|of|for)$")


def clean_heading(text: str) -> str:
    """A heading's text without markup, emoji, closing hashes or a trailing colon."""
    text = strip_markup(strip_emoji(text)).strip()
    return text.rstrip(":").strip()


def classify(text: str, *, level: int = 2, within: SectionKind | None = None) -> SectionKind:
    """The kind of section a heading or label introduces.

    A level-1 heading is usually the document's title ("Remediation Plan: billing double charges"), so it
    only sets a kind when it is short (three words or fewer), e.g. "# Action Items". `within` is the kind
    of the enclosing section: under an action section a sub-heading keeps it unless it is clearly
    narrative (a timeline, a root cause, what went well) -- "Code and configuration changes" is work.
    """
    name = _NUMBERING.sub("", clean_heading(text)).lower().strip()
    name = re.sub(r"\s+", " ", name.replace("\u2019", "'"))
    if not name:
        return SectionKind.UNKNOWN
    if level == 1 and len(name.split()) > 3:
        return SectionKind.UNKNOWN
    if _NARRATIVE_FIRST.search(name):
        return SectionKind.NARRATIVE
    if _LEGEND.search(name):
        return SectionKind.NARRATIVE
    if _CRITERIA.search(name):
        return SectionKind.CRITERIA
    if _PREVENTION.search(name):
        if _ACTION_AND_PREVENTION.search(name):
            return SectionKind.ACTION
        return SectionKind.PREVENTION
    if _EVIDENCE.search(name):
        return SectionKind.EVIDENCE
    if _SYSTEMS.match(name):
        return SectionKind.SYSTEMS
    if _DONE.match(name):
        return SectionKind.DONE
    if _RECOMMENDATION.search(name):
        return SectionKind.RECOMMENDATION
    if _ACTION.search(name):
        return SectionKind.ACTION
    if _NARRATIVE.search(name):
        if within in (SectionKind.ACTION, SectionKind.PREVENTION) and _WEAK_NARRATIVE.search(name):
            if not _NARRATIVE.search(_WEAK_NARRATIVE.sub(" ", name)):
                return SectionKind.UNKNOWN
        return SectionKind.NARRATIVE
    return SectionKind.UNKNOWN


def strongly_narrative(text: str) -> bool:
    """True for a name that is narrative whatever encloses it: a timeline, a root cause, a WHY, what
    went well."""
    name = re.sub(r"\s+", " ", _NUMBERING.sub("", clean_heading(text)).lower().replace("\u2019", "'"))
    return bool(_NARRATIVE_FIRST.search(name))


def is_legend(name: str) -> bool:
    """True for a label that introduces definitions ("Priority levels", "Types", "Legend")."""
    return bool(_LEGEND.search(re.sub(r"\s+", " ", clean_heading(name).lower())))


def parse_label(text: str) -> tuple[str, str, bool] | None:
    """(label, rest, strong) when a plain line opens with a label, e.g. "ROOT CAUSE: the pool was exhausted".

    Accepted: a bold label followed by a colon or by nothing, a short "Label:" (six words at most), an
    ALL-CAPS line, or -- weak, to be used only when it names a known section -- a short Title Case line
    with nothing after it ("Remediation Plan").
    """
    text = text.strip()
    match = _BOLD_LABEL.match(text)
    if match and (match.group("colon") or match.group("colon2") or not match.group("rest")):
        label = match.group("label").strip()
        if 0 < len(label.split()) <= 8:
            return label, match.group("rest").strip(), True
        return None
    match = _PLAIN_LABEL.match(text)
    if match and len(match.group("label").split()) <= 6:
        return match.group("label").strip(), match.group("rest").strip(), True
    match = _CAPS_LABEL.match(text)
    if match and any(ch.isalpha() for ch in match.group("label")) and len(match.group("label").split()) <= 8:
        return match.group("label").strip(), "", True
    words = text.split()
    if 0 < len(words) <= 5 and text[-1:].isalnum() and all(_TITLE_WORD.match(w) for w in words):
        if words[0][:1].isupper():
            return text, "", False
    return None
