"""Turning a tokenised analysis document into remediation items.

What becomes an item (everything else -- headings, WHY answers, evidence bullets, prose -- does not):

* every checkbox line (`- [ ]`, `- [x]`, `☐`), in any section except success criteria (there they are
  criteria), and every list line that opens (or, for ✅, ends) with a status emoji (🔴 🟡 ⚠️ …) outside
  narrative and evidence sections, where emoji are legends and retrospective notes;
* every top-level list line in an action section (Action Items, Remediation Plan, Next Steps, Tasks,
  Recommendations, Follow-ups, …), except group labels ending in ":" and field lines ("Owner: …");
* a line opening with Critical Fix:/Fix:/Investigation:/Prevention:/Detection:/Monitoring: inside an
  action section; a list item opening with Critical Fix:/Fix:/Investigation:/Action:/TODO:/Follow-up:
  anywhere; a plain line opening with Action:/TODO:/Follow-up: anywhere;
* a list line anywhere that carries its own "Owner:" or "Due:" field;
* every row of a table that has a task-like column (Task, Action, Item, Title, Fix, …);
* the Recommendation prose, only when nothing else in the document is actionable.

Nested bullets under an item are its details (owner, due date, evidence), unless they are checkboxes.
Ticked checkboxes, ✅ lines, "Completed" sections and table rows with a done status are reported in
`done`.

Prevention sections: every bullet (and prose line) is a prevention measure, attached to the corrective
and detective items in the same part of the document. A prevention bullet also becomes a preventative
item when it is a checkbox or names its own owner or due date -- that is, when someone wrote it down as
work to track. A plain bullet is a description of a measure, not a task.

Success criteria (Success Criteria, SUCCESS CRITERIA FOR CLOSURE, Validation/Acceptance Criteria) attach
to every item under the criteria heading's parent heading -- all items, for a top-level criteria section.

Evidence sections never make items; a bullet's references (path:L10-L20, file.py:465, commit hashes,
tests/x.py::test_y) go to the items whose id it names ("WH-1: `ack.py:L40-L72`"). An item's own text,
including its nested bullets, is its evidence otherwise.

The document's severity is its first readable "Severity:" (or document-level "Priority:") line.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass

from bot.core.extraction import fields, tables
from bot.core.extraction.document import normalise_newlines
from bot.core.extraction.items import Draft, EvidenceNote, Findings, Path, assemble
from bot.core.extraction.markdown import Heading, ListLine, TableBlock, TextLine, leading_status, tokenize
from bot.core.extraction.markup import PLACEHOLDER, strip_emoji, strip_markup, tidy
from bot.core.extraction.model import Extraction
from bot.core.extraction.sections import SectionKind, classify, clean_heading, parse_label
from bot.core.extraction.titles import PLACEHOLDER_TITLE, clean_title

K = SectionKind

# Prefixes that mark a line as work in an action section ("Remediation Plan: 1. Prevention: …").
_ACTION_PREFIX = re.compile(
    r"^(?:critical\s+fix|hot\s?fix|fix|investigation|investigate|prevention|preventive|preventative|"
    r"detection|monitoring|alerting|action(?:\s+item)?|todo|to-do|follow[\s-]?up|next\s+step)\s*:",
    re.I,
)
# Outside action sections only prefixes that name work count: "- **Detection**: < 5 minutes" and
# "- **Prevention:** knowledge capture prevents recurrence" are fields or prose there.
_WORK_PREFIX = re.compile(
    r"^(?:critical\s+fix|hot\s?fix|fix|investigation|investigate|action(?:\s+item)?|todo|to-do|"
    r"follow[\s-]?up)\s*:",
    re.I,
)
_TODO_PREFIX = re.compile(r"^(?:action(?:\s+item)?|todo|to-do|follow[\s-]?up)\s*:", re.I)
# A bullet that is one field of the item above it (or of the document), never an item of its own.
_FIELD_LINE = re.compile(
    r"^(?:owners?|assignee|assigned\s+to|dri|due(?:\s+date)?|deadline|eta|target(?:\s+date|\s+files?)?|"
    r"priority|severity|status|(?:implementation\s+|test\s+|completion\s+)?evidence|commits?|files?|lines?"
    r"(?:\s+added|\s+modified)?|tests?(?:\s+file|\s+name)?|systems?|affected\s+systems|effort|estimate|"
    r"dependencies|depends\s+on|notes?|type|kind|category|links?|ticket|jira|pr|pull\s+request|"
    r"expected\s+changes|location)\s*:",
    re.I,
)
_HAS_OWNER_OR_DUE = re.compile(
    r"(?<![\w-])(?:owners?|assignee|assigned\s+to|dri|due(?:\s+date)?|deadline)\s*(?:\*\*|__)?\s*:", re.I
)
# A document-level "Severity: P1" (or, in the critical-issue template, "Priority: P0") outside any item.
_SEVERITY_LINE = re.compile(
    r"^(?:incident\s+|overall\s+)?(?:severity|priority)(?:\s+level)?\s*[:=]\s*(?P<value>.*)$", re.I
)
_SYSTEMS_LINE = re.compile(
    r"^(?:affected|impacted)\s+(?:systems?|services?|components?)\s*[:=]\s*(?P<value>.*)$", re.I
)
_ITEM_ID_AT_START = re.compile(r"\s*([A-Z][A-Z0-9]{0,9}-\d{1,8})\b")


@dataclass
class Frame:
    """One open list level: the item (or evidence note) that deeper bullets belong to."""

    indent: int
    draft: Draft | None = None
    note: EvidenceNote | None = None


@dataclass
class HeadingState:
    level: int
    text: str
    kind: SectionKind
    ident: int


def extract(text: str, *, today: datetime.date, known_users: Mapping[str, str] | None = None) -> Extraction:
    """Read remediation items out of an analysis document (Five Whys, post-mortem, remediation plan).

    `today` fills in the year of dates written without one; `known_users` maps lowercase names and
    handles to Slack user ids. Never raises on text: what it cannot read becomes a warning.
    """
    known = {fields.normalise_user_key(k): v for k, v in (known_users or {}).items() if k and v}
    found = _Walker(today).run(normalise_newlines(text))
    return assemble(found, today=today, known=known)


class _Walker:
    """Walks the tokens once, keeping the heading stack and the open list levels."""

    def __init__(self, today: datetime.date) -> None:
        self.today = today
        self.found = Findings()
        self.headings: list[HeadingState] = []
        self.label: tuple[str, SectionKind] | None = None  # a heading-like label line under a heading
        self.severity_warned = False
        self.frames: list[Frame] = []
        self.target: Draft | None = None  # where indented continuation lines go
        self.seen_content = False
        self.next_ident = 0

    def kind(self) -> SectionKind:
        if self.label is not None and self.label[1] is not K.UNKNOWN:
            return self.label[1]
        for heading in reversed(self.headings):
            if heading.kind is not K.UNKNOWN:
                return heading.kind
        return K.UNKNOWN

    def path(self) -> Path:
        return tuple(h.ident for h in self.headings)

    def scope(self, wanted: SectionKind) -> Path:
        """The heading path that criteria or measures of this section apply to: the parent of the
        heading that opened the section (a label opens it under the current heading)."""
        if self.label is not None and self.label[1] is wanted:
            return self.path()
        for index in range(len(self.headings) - 1, -1, -1):
            if self.headings[index].kind is wanted:
                return tuple(h.ident for h in self.headings[:index])
        return self.path()

    def section(self) -> str:
        if self.label is not None:
            return self.label[0]
        return self.headings[-1].text if self.headings else ""

    def run(self, text: str) -> Findings:
        for token in tokenize(text):
            if isinstance(token, Heading):
                self.on_heading(token)
            elif isinstance(token, ListLine):
                self.on_list(token)
            elif isinstance(token, TableBlock):
                self.on_table(token)
            elif isinstance(token, TextLine):
                self.on_text(token)
        return self.found

    def on_heading(self, token: Heading) -> None:
        text = clean_heading(token.text)
        if self.found.title is None and text:
            self.found.title = text
        self.seen_content = True
        while self.headings and self.headings[-1].level >= token.level:
            self.headings.pop()
        self.next_ident += 1
        self.headings.append(
            HeadingState(token.level, text, classify(token.text, level=token.level), self.next_ident)
        )
        self.label, self.frames, self.target = None, [], None
        self.read_metadata(token.line, strip_markup(text))

    def on_text(self, token: TextLine) -> None:
        plain = strip_markup(strip_emoji(token.text)).strip()
        first = not self.seen_content
        self.seen_content = True
        if self.target is not None and (token.indent >= 2 or (token.lazy and _FIELD_LINE.match(plain))):
            self.target.segments.append((token.line, token.text))
            return
        self.frames, self.target = [], None
        if self.read_metadata(token.line, plain):
            return
        kind = self.kind()
        if _TODO_PREFIX.match(plain) or (
            kind in (K.ACTION, K.RECOMMENDATION) and _ACTION_PREFIX.match(plain)
        ):
            self.target = self.add_item(token.line, token.text)
            return
        label = parse_label(token.text)
        if label is not None:
            name, rest, strong = label
            label_kind = classify(name)
            if not rest and (strong or label_kind is not K.UNKNOWN):
                if (
                    first
                    and self.found.title is None
                    and (token.text.isupper() or token.text.startswith("**"))
                ):
                    self.found.title = clean_heading(token.text)
                self.label = (clean_heading(name), label_kind)
                return
            if rest and label_kind is not K.UNKNOWN:
                if first and self.found.title is None and token.text.isupper():
                    self.found.title = clean_heading(token.text)
                self.label = (clean_heading(name), label_kind)
                self.on_prose(token.line, rest, label_kind)
                return
        self.on_prose(token.line, token.text, kind)

    def on_prose(self, line: int, text: str, kind: SectionKind) -> None:
        plain = tidy(strip_markup(strip_emoji(text)))
        if not plain or plain.endswith(":") or PLACEHOLDER_TITLE.match(plain):
            return
        if kind is K.RECOMMENDATION:
            draft = self.make_draft(line, text)
            if draft is not None:
                self.found.recommendations.append(draft)
        elif kind is K.PREVENTION:
            self.found.measures.append((self.scope(K.PREVENTION), plain))
        elif kind is K.EVIDENCE:
            self.add_note(text)

    def on_list(self, token: ListLine) -> None:
        self.seen_content = True
        while self.frames and self.frames[-1].indent >= token.indent:
            self.frames.pop()
        parent = next((f for f in reversed(self.frames) if f.draft or f.note), None)
        plain = strip_markup(strip_emoji(token.text)).strip()
        status = leading_status(token.text)
        kind = self.kind()
        # Status emoji mark items, except in narrative and evidence sections (legends, retrospectives).
        if kind in (K.NARRATIVE, K.EVIDENCE):
            status = None
        checked = token.checkbox is not None or status is not None
        done = token.checkbox == "x" or status == "done"
        frame = Frame(token.indent)
        if kind is K.CRITERIA:
            criterion = clean_title(token.text, self.today)
            if criterion:
                self.found.criteria.append((self.scope(K.CRITERIA), criterion))
        elif kind is K.SYSTEMS:
            self.found.systems.extend(fields.split_systems(plain))
        elif checked:
            frame.draft = self.add_item(
                token.line, token.text, done=done or kind is K.DONE,
                kind="preventative" if kind is K.PREVENTION else None,
            )  # fmt: skip
            if kind is K.PREVENTION:
                self.add_measure(token.text)
        elif parent is not None and parent.draft is not None:
            parent.draft.segments.append((token.line, token.text))
            frame.draft = parent.draft
        elif parent is not None and parent.note is not None and kind is K.EVIDENCE:
            parent.note.refs.extend(fields.find_evidence(token.text))
            frame.note = parent.note
        elif _FIELD_LINE.match(plain):
            self.read_metadata(token.line, plain)
        elif kind is K.PREVENTION:
            self.add_measure(token.text)
            if _HAS_OWNER_OR_DUE.search(plain) or _TODO_PREFIX.match(plain):
                frame.draft = self.add_item(token.line, token.text, kind="preventative")
        elif kind is K.EVIDENCE:
            frame.note = self.add_note(token.text)
        elif kind in (K.ACTION, K.RECOMMENDATION, K.DONE):
            if not plain.endswith(":"):
                frame.draft = self.add_item(token.line, token.text, done=kind is K.DONE)
        elif _WORK_PREFIX.match(plain) or _HAS_OWNER_OR_DUE.search(plain):
            frame.draft = self.add_item(token.line, token.text)
        else:
            self.read_metadata(token.line, plain)
        self.frames.append(frame)
        self.target = frame.draft
        for line, text in token.continuation:
            if frame.draft is not None:
                frame.draft.segments.append((line, text))
            elif frame.note is not None:
                frame.note.refs.extend(fields.find_evidence(text))

    def on_table(self, token: TableBlock) -> None:
        self.seen_content = True
        self.frames, self.target = [], None
        roles = tables.column_roles(token.header)
        if "title" not in roles:
            if "id" in roles and "evidence" in roles:  # an evidence table: ID | Evidence
                for row in tables.rows(token, roles):
                    ids = set(fields.ITEM_ID.findall(row.cells["id"]))
                    self.found.notes.append(EvidenceNote(ids, fields.find_evidence(row.cells["evidence"])))
            return
        kind = self.kind()
        for row in tables.rows(token, roles):
            forced = fields.kind_value(row.cells.get("kind", ""))
            if kind is K.PREVENTION and forced is None:
                forced = "preventative"
            draft = self.add_item(row.line, row.cells["title"], done=row.done or kind is K.DONE, kind=forced)
            if draft is not None:
                draft.cells = row.cells
                if row.cells.get("id"):
                    draft.ids.update(fields.ITEM_ID.findall(row.cells["id"]) or [row.cells["id"]])

    def read_metadata(self, line: int, plain: str) -> bool:
        """Document severity and affected systems; True when the line was one of those."""
        severity = _SEVERITY_LINE.match(plain)
        if severity:
            value = severity.group("value").strip()
            if value and self.found.severity is None:
                # "P0/P1/P2/P3" and "[P0]" are template placeholders, not a severity.
                levels = set(re.findall(r"(?<![A-Za-z0-9])[Pp]([0-3])(?![A-Za-z0-9])", value))
                found = fields.priority_value(value) if len(levels) <= 1 else None
                if found is not None:
                    self.found.severity = found[0]
                elif len(levels) <= 1 and not PLACEHOLDER.match(value) and not self.severity_warned:
                    self.severity_warned = True
                    expected = "expected P0-P3 or critical/high/medium/low"
                    self.found.warnings.append((line, f"could not read severity '{value[:40]}'; {expected}"))
            return bool(value)
        systems = _SYSTEMS_LINE.match(plain)
        if systems and systems.group("value").strip():
            self.found.systems.extend(fields.split_systems(systems.group("value")))
            return True
        return False

    def make_draft(
        self, line: int, text: str, *, done: bool = False, kind: str | None = None
    ) -> Draft | None:
        title = clean_title(text, self.today)
        if not title:
            return None
        draft = Draft(line, self.section(), self.path(), title, [(line, text)], done, kind)
        lead_id = _ITEM_ID_AT_START.match(title)
        if lead_id:
            draft.ids.add(lead_id.group(1))
        return draft

    def add_item(self, line: int, text: str, *, done: bool = False, kind: str | None = None) -> Draft | None:
        draft = self.make_draft(line, text, done=done, kind=kind)
        if draft is not None:
            self.found.drafts.append(draft)
        return draft

    def add_measure(self, text: str) -> None:
        measure = clean_title(text, self.today)
        if measure:
            self.found.measures.append((self.scope(K.PREVENTION), measure))

    def add_note(self, text: str) -> EvidenceNote:
        ids = set(fields.ITEM_ID.findall(text)) or set(fields.ITEM_ID.findall(self.section()))
        note = EvidenceNote(ids, fields.find_evidence(text))
        self.found.notes.append(note)
        return note
