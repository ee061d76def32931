"""Work written as prose: the sentences of a paragraph that commit to doing something.

Post-mortems often promise their follow-ups in sentences rather than lists: "We will add an alert …",
"We are rolling out …", "We need to …", "The status page will be changed so that …". `commitments`
finds those sentences; everything else in a paragraph (what happened, why, what was already done,
apologies, "we will continue to monitor", "below we will explain") is left alone.

Two strengths, chosen by the caller from the section the paragraph is in:

* ``strict=False`` -- in a follow-up section (Action items, What we're doing, Next steps, Prevention):
  any subject followed by "will <verb>", "we are <verb>ing", "we need/plan/intend to", "we are going to";
* ``strict=True`` -- anywhere else (a section of unknown purpose): only "we will", "we need/plan to",
  "we are going to", and a passive "… will be <done> so that …", the forms that cannot be narrative.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Connectives that open a sentence without changing what it says: "First, …", "In addition, …".
_LEAD_IN = re.compile(
    r"^(?:first(?:ly)?|second(?:ly)?|third(?:ly)?|next|then|finally|lastly|also|additionally|"
    r"in\s+addition|beyond\s+(?:that|this|those(?:\s+\w+)?)|on\s+top\s+of\s+that|furthermore|moreover|"
    r"going\s+forward|moving\s+forward|as\s+a\s+result|as\s+a\s+next\s+step|longer[\s-]term|"
    r"in\s+the\s+(?:short|medium|long)\s+term|in\s+the\s+coming\s+(?:days|weeks|months)|"
    r"over\s+the\s+(?:next|coming)\s+\w+(?:\s+\w+)?|to\s+(?:prevent|avoid|address)\s+[^,]{1,60}),\s*",
    re.I,
)
_ADVERB = r"(?:(?:also|now|then|additionally|immediately|further|soon|urgently|actively|currently)\s+)?"
# "we will <verb>" / "we'll <verb>" -- and the same with need/plan/intend/are going to.
_WE_WILL = re.compile(
    r"^we\s*(?:will|'ll|\u2019ll|shall)\s+" + _ADVERB + r"(?:be\s+(?=[a-z]+ing\b))?(?P<verb>[a-z]+)\b"
    r"|^we\s+" + _ADVERB + r"(?:need|plan|intend|are\s+going|'re\s+going|\u2019re\s+going|have\s+decided)"
    r"\s+to\s+" + _ADVERB + r"(?P<verb2>[a-z]+)\b"
    r"|^we\s+(?:also\s+)?(?:will|'ll|\u2019ll)\s+need\s+to\s+(?P<verb3>[a-z]+)\b",
    re.I,
)
# "we are rolling out …", "we're adding …" -- ongoing work.
_WE_ARE = re.compile(r"^we\s*(?:are|'re|\u2019re)\s+" + _ADVERB + r"(?P<verb>[a-z]+ing)\b", re.I)
# "<subject> will <verb>", the subject a noun phrase (not a pronoun that points back at a sentence).
_SUBJECT_WILL = re.compile(
    r"^(?P<subject>(?:[\w`'\u2019\"().,/-]+\s+){0,12}?)(?:will|shall|(?:intends|plans|aims|is\s+going)\s+to)\s+"
    + _ADVERB
    + r"(?P<verb>[a-z]+)\b",
    re.I,
)
_PRONOUN_SUBJECT = re.compile(
    r"^(?:this|that|these|those|it|which|there|doing\s+so|such|both|each|either|they|he|she|you|"
    r"customers?|users?|clients?|everyone|nobody|no\s+one|this\s+\w+|that\s+\w+|these\s+\w+|those\s+\w+)\b",
    re.I,
)
# What a sentence promises to say, not to do: "we will explain", "we will continue to monitor".
_META_VERBS = {
    "explain", "describe", "walk", "cover", "outline", "discuss", "summarise", "summarize", "continue",
    "learn", "do", "be", "not", "never", "apologise", "apologize", "thank", "strive", "remain", "stay",
    "try", "see", "hope", "want",
}  # fmt: skip
# ...and verbs that are meta only with these objects: "publish an update", "review the action items".
_META_OBJECT = re.compile(
    r"^(?:let\s+(?:you|customers|users|everyone|them|us)\s+know\b"
    r"|(?:share|post|publish|provide|update|give|send|keep|report|review|revisit|discuss|use|take|"
    r"follow|track|check|revisit|discuss|go\s+over)\s+(?:up\s+on\s+|in\s+on\s+|back\s+on\s+|on\s+|you\s+|customers\s+)?"
    r"(?:(?:an?|the|our|this|these|all|more|further|additional|regular|any|its|their)\s+)*"
    r"(?:updates?|more|details?|information|follow-?ups?|findings|progress|status|post-?mortem|rca|"
    r"report|posts?|incident|event|lessons|learnings|countermeasures|action\s+items|items|steps|"
    r"action|measures|eye|informed|updated|posted|seriously|it|these|them|those)\b)",
    re.I,
)
_WE_ARE_NOT = {
    "sorry", "taking", "making", "monitoring", "continuing", "committed", "confident", "aware", "still",
    "not", "going", "seeing", "doing", "learning", "sharing", "providing", "updating", "keeping",
    "thinking", "watching", "hoping", "trying", "looking", "grateful", "happy", "pleased", "writing",
}  # fmt: skip
# "We are looking into disallowing usernames that …": an investigation under way is work to track.
_LOOKING_INTO = re.compile(r"^looking\s+into\s+(?!it\b|this\b|that\b)\S+\s+\S+\s+\S+", re.I)
# Where a sentence goes on with a second promise: "…, and we intend to …", "…; the team plans to …".
_CLAUSE = re.compile(r",\s+and\s+(?=(?:we|the|our)\s)|\s+and\s+(?=we\s)|;\s+", re.I)
# A vague object ("several changes", "the following steps") makes a sentence an introduction.
_VAGUE = re.compile(
    r"\b(?:several|a\s+number\s+of|the\s+following|some|a\s+few|many|these|those|various|further)\s+"
    r"(?:changes|steps|actions|improvements|measures|fixes|things|items|follow-?ups)\b",
    re.I,
)
_HEDGE = re.compile(
    r"\b(?:probably|perhaps|maybe|might|possibly|at\s+some\s+point|eventually|if\s+needed|"
    r"if\s+necessary|still\s+be\s+able|be\s+able\s+to|continue\s+to|as\s+usual|keep\s+an\s+eye)\b",
    re.I,
)
# "X will be changed so that …": a passive future names work in a follow-up section, and elsewhere only
# when it says what the change is for.
_PASSIVE = re.compile(
    r"\bwill\s+"
    + _ADVERB
    + r"be\s+"
    + _ADVERB
    + r"(?P<participle>[a-z]+(?:ed|en|wn|ilt|ritten|et|ut|un|ade|plit))\b",
    re.I,
)
_PASSIVE_META = {"posted", "published", "shared", "provided", "updated", "given", "sent", "used", "seen"}
_PURPOSE = re.compile(r"\b(?:so\s+that|so\s+it|to\s+ensure|in\s+order\s+to)\b", re.I)
_PERSON_IN_SUBJECT = re.compile(r"\b(?:we|i|you|our\s+customers)\b", re.I)
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'\u201d\u2019)]*\s+(?=[\"'\u201c\u2018(]?[A-Z0-9`*_])")
_ABBREVIATION = re.compile(r"\b(?:e\.g|i\.e|etc|vs|approx|incl|no|fig|cf|al|mr|ms|dr|st)\.$", re.I)
_INITIAL = re.compile(r"(?:^|\s)[A-Z]\.$")  # "J. Smith", "U.S." -- capitals only


@dataclass(frozen=True)
class Sentence:
    offset: int  # where it starts in the paragraph
    text: str


@dataclass(frozen=True)
class Commitment:
    offset: int
    title: str  # the sentence as an item title: no connective, "We will add" -> "Add"


def split_sentences(text: str) -> list[Sentence]:
    """The sentences of a paragraph (joined lines), split after . ! ? followed by a capital."""
    out: list[Sentence] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        candidate = text[start : match.start()]
        tail = candidate[-8:]  # a bounded look back: a long run of "a. a. a." must not rescan
        if _ABBREVIATION.search(tail) or _INITIAL.search(tail):
            continue
        if candidate.strip():
            out.append(Sentence(start, candidate.strip()))
        start = match.end()
    if text[start:].strip():
        out.append(Sentence(start, text[start:].strip()))
    return out


def commitment(sentence: str, *, strict: bool) -> str | None:
    """The sentence as an item title when it commits to future work, else None."""
    text = sentence.strip()
    if not text or text.endswith((":", "?")) or len(text.split()) < 4 or _HEDGE.search(text):
        return None
    body = _LEAD_IN.sub("", text, count=1)
    body = body[:1].upper() + body[1:]
    if _VAGUE.search(body):
        return None
    match = _WE_WILL.match(body)
    if match:
        name = next(n for n in ("verb", "verb2", "verb3") if match.group(n))
        rest = body[match.start(name) :]
        verb = match.group(name).lower()
        if verb in _META_VERBS or verb in _WE_ARE_NOT or _META_OBJECT.match(rest):
            return None
        return _title(rest)  # "We will add an alert" -> "Add an alert"
    match = _WE_ARE.match(body)
    if match:
        verb = match.group("verb").lower()
        if strict or (verb in _WE_ARE_NOT and not _LOOKING_INTO.match(body[match.start("verb") :])):
            return None
        return _title(body)
    passive = _PASSIVE.search(body)
    if passive:
        subject = body[: passive.start()].strip()
        if (
            passive.group("participle").lower() in _PASSIVE_META
            or not _is_subject(subject)
            or (strict and not _PURPOSE.search(body[passive.end() :]))
        ):
            return None
        return _title(body)
    if strict:
        return None
    match = _SUBJECT_WILL.match(body)
    if match and _is_subject(match.group("subject").strip()):
        rest = body[match.start("verb") :]
        if match.group("verb").lower() not in _META_VERBS | {"have", "need"} and not _META_OBJECT.match(rest):
            return _title(body)
    return None


def _is_subject(subject: str) -> bool:
    """A noun phrase that names a thing or a person, not a pronoun pointing back at a sentence."""
    return bool(subject) and not _PRONOUN_SUBJECT.match(subject) and not _PERSON_IN_SUBJECT.search(subject)


def _title(text: str) -> str:
    text = text.strip().rstrip(".!").strip()
    return text[:1].upper() + text[1:]


def commitments(paragraph: str, *, strict: bool) -> list[Commitment]:
    """Every sentence of the paragraph that commits to work, in order."""
    out = []
    for sentence in split_sentences(paragraph):
        clauses = _CLAUSE.split(sentence.text) if len(sentence.text) < 2_000 else [sentence.text]
        for index, clause in enumerate(clauses):
            if index and len(clause.split()) < 6:  # "…; we are moving it forward" points back
                continue
            title = commitment(clause, strict=strict)
            if title:
                out.append(Commitment(sentence.offset, title))
    return out
