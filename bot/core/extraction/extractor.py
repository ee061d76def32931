"""Turning a tokenised analysis document into remediation items.

What becomes an item (everything else -- headings, WHY answers, evidence bullets, prose -- does not):

* every checkbox line (`- [ ]`, `- [x]`, `☐`) and every list line that opens with a status emoji
  (✅ 🔴 🟡 ⚠️ …), in any section except success criteria (there they are criteria);
* every top-level list line in an action section (Action Items, Remediation Plan, Next Steps, Tasks,
  Recommendations, Follow-ups, …), except group labels ending in ":" and field lines ("Owner: …");
* a line opening with Critical Fix:/Fix:/Investigation:/Prevention:/Detection:/Monitoring: inside an
  action section, as a list item anywhere, or -- for Action:/TODO:/Follow-up: -- anywhere at all;
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
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.core.extraction import fields
from bot.core.extraction.document import normalise_newlines
from bot.core.extraction.markdown import (
    Heading,
    ListLine,
    TableBlock,
    TextLine,
    leading_status,
    tokenize,
)
from bot.core.extraction.model import ExtractedItem, Extraction
from bot.core.extraction.sections import SectionKind, classify, clean_heading, parse_label
from bot.core.extraction.titles import normalise_title, strip_emoji, strip_markup, tidy

K = SectionKind

_ACTION_PREFIX = re.compile(
    r"^(?:critical\s+fix|hot\s?fix|fix|investigation|investigate|prevention|preventive|preventative|"
    r"detection|monitoring|alerting|action(?:\s+item)?|todo|to-do|follow[\s-]?up|next\s+step)\s*:",
    re.I,
)
_TODO_PREFIX = re.compile(r"^(?:action(?:\s+item)?|todo|to-do|follow[\s-]?up)\s*:", re.I)
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
_META_START = re.compile(
    r"[(\[]?\s*\b(?:owners?|assignee|assigned\s+to\b|dri|due(?:\s+date)?|deadline|eta|target\s+date|"
    r"priority|severity|status|evidence|systems?|affected\s+systems)\s*(?:[:=]|(?<=to)\s)",
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
_PLACEHOLDER_TITLE = re.compile(r"^(?:\[[^\]]*\]|\.{2,}|…|tbd|tbc|n/a|none)$", re.I)
_TAIL_JUNK = re.compile(r"[\s).,;:\]\u2013\u2014-]*")
# A document-level "Severity: P1" (or, in the critical-issue template, "Priority: P0") outside any item.
_SEVERITY_LINE = re.compile(
    r"^(?:incident\s+|overall\s+)?(?:severity|priority)(?:\s+level)?\s*[:=]\s*(?P<value>.*)$", re.I
)
_SYSTEMS_LINE = re.compile(
    r"^(?:affected|impacted)\s+(?:systems?|services?|components?)\s*[:=]\s*(?P<value>.*)$", re.I
)
_DONE_STATUS = re.compile(
    r"(?<!not )\b(?:done|complete|completed|closed|resolved|fixed|shipped|merged|finished|deployed)\b", re.I
)
_COLUMN_ROLES = {
    "title": {"task", "tasks", "action", "action item", "action items", "item", "title", "remediation",
              "fix", "what", "to do", "todo", "deliverable", "step", "work item", "recommendation"},
    "owner": {"owner", "owners", "assignee", "assigned to", "responsible", "who", "dri", "lead"},
    "priority": {"priority", "prio", "severity", "sev"},
    "due": {"due", "due date", "deadline", "target date", "eta", "when", "target", "date", "by"},
    "status": {"status", "state", "done", "progress"},
    "evidence": {"evidence", "completion evidence", "file", "files", "location", "reference",
                 "references", "proof", "test", "tests", "commit"},
    "systems": {"system", "systems", "component", "components", "service", "services",
                "affected systems", "area"},
    "kind": {"type", "kind", "category"},
    "id": {"id", "#", "ref", "key", "task id", "item id"},
}  # fmt: skip
_NOTHING = (
    "no action items found: the document has no unticked checkboxes, action-item or remediation-plan "
    "lists, prefixed steps (Critical Fix:, Investigation:, Prevention:) or task tables"
)


@dataclass
class _Draft:
    line: int
    section: str
    path: tuple[int, ...]
    title: str
    segments: list[tuple[int, str]]  # the item's own text: its line, continuations and detail bullets
    done: bool
    kind: str | None = None
    cells: dict[str, str] = field(default_factory=dict)
    ids: set[str] = field(default_factory=set)


@dataclass
class _Note:
    """An evidence bullet: its references go to the items whose ids it names."""

    ids: set[str]
    refs: list[str]


@dataclass
class _Frame:
    indent: int
    draft: _Draft | None = None
    note: _Note | None = None


@dataclass
class _HeadingState:
    level: int
    text: str
    kind: SectionKind
    ident: int


def _strip_trailing_mentions(text: str) -> str:
    head, tail = text[:-300], text[-300:]
    return head + _TRAILING_MENTIONS.sub("", tail)


def extract(text: str, *, today: datetime.date, known_users: Mapping[str, str] | None = None) -> Extraction:
    """Read remediation items out of an analysis document (Five Whys, post-mortem, remediation plan).

    `today` fills in the year of dates written without one; `known_users` maps lowercase names and
    handles to Slack user ids. Never raises on text: what it cannot read becomes a warning.
    """
    return _Extractor(today, known_users or {}).run(normalise_newlines(text))


class _Extractor:
    def __init__(self, today: datetime.date, known_users: Mapping[str, str]) -> None:
        self.today = today
        self.known = {fields.normalise_user_key(k): v for k, v in known_users.items() if k and v}
        self.headings: list[_HeadingState] = []
        self.label: tuple[str, SectionKind] | None = None
        self.title: str | None = None
        self.severity: str | None = None
        self.severity_seen = False
        self.systems: list[str] = []
        self.drafts: list[_Draft] = []
        self.recommendations: list[_Draft] = []
        self.criteria: list[tuple[tuple[int, ...], str]] = []
        self.measures: list[tuple[tuple[int, ...], str]] = []
        self.notes: list[_Note] = []
        self.warnings: list[tuple[int, str]] = []
        self.frames: list[_Frame] = []
        self.target: _Draft | None = None
        self.seen_content = False
        self.next_ident = 0

    # ----------------------------------------------------------------------------------- state

    def kind(self) -> SectionKind:
        if self.label is not None and self.label[1] is not K.UNKNOWN:
            return self.label[1]
        for heading in reversed(self.headings):
            if heading.kind is not K.UNKNOWN:
                return heading.kind
        return K.UNKNOWN

    def path(self) -> tuple[int, ...]:
        return tuple(h.ident for h in self.headings)

    def scope(self, wanted: SectionKind) -> tuple[int, ...]:
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

    def section_ids(self) -> set[str]:
        return set(fields.ITEM_ID.findall(self.section()))

    # ----------------------------------------------------------------------------------- walk

    def run(self, text: str) -> Extraction:
        for token in tokenize(text):
            if isinstance(token, Heading):
                self.on_heading(token)
            elif isinstance(token, ListLine):
                self.on_list(token)
            elif isinstance(token, TableBlock):
                self.on_table(token)
            elif isinstance(token, TextLine):
                self.on_text(token)
        return self.finish()

    def on_heading(self, token: Heading) -> None:
        text = clean_heading(token.text)
        if self.title is None and text:
            self.title = text
        self.seen_content = True
        while self.headings and self.headings[-1].level >= token.level:
            self.headings.pop()
        self.next_ident += 1
        self.headings.append(
            _HeadingState(token.level, text, classify(token.text, level=token.level), self.next_ident)
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
                    and self.title is None
                    and (token.text.isupper() or token.text.startswith(("**", "__")))
                ):
                    self.title = clean_heading(token.text)
                self.label = (clean_heading(name), label_kind)
                return
            if rest and label_kind is not K.UNKNOWN:
                if first and self.title is None and token.text.isupper():
                    self.title = clean_heading(token.text)
                self.label = (clean_heading(name), label_kind)
                self.on_prose(token.line, rest, label_kind)
                return
        self.on_prose(token.line, token.text, kind)

    def on_prose(self, line: int, text: str, kind: SectionKind) -> None:
        plain = tidy(strip_markup(strip_emoji(text)))
        if not plain or plain.endswith(":") or _PLACEHOLDER_TITLE.match(plain):
            return
        if kind is K.RECOMMENDATION:
            draft = self.make_draft(line, text)
            if draft is not None:
                self.recommendations.append(draft)
        elif kind is K.PREVENTION:
            self.measures.append((self.scope(K.PREVENTION), plain))
        elif kind is K.EVIDENCE:
            self.add_note(text, None)

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
        frame = _Frame(token.indent)
        if kind is K.CRITERIA:
            criterion = self.make_title(token.text)
            if criterion:
                self.criteria.append((self.scope(K.CRITERIA), criterion))
        elif kind is K.SYSTEMS:
            self.systems.extend(fields.split_systems(plain))
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
            frame.note = self.add_note(token.text, None)
        elif kind in (K.ACTION, K.RECOMMENDATION, K.DONE):
            if not plain.endswith(":"):
                frame.draft = self.add_item(token.line, token.text, done=kind is K.DONE)
        elif _ACTION_PREFIX.match(plain) or _HAS_OWNER_OR_DUE.search(plain):
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
        roles: dict[str, int] = {}
        for index, cell in enumerate(token.header):
            name = re.sub(r"[^\w#]+", " ", strip_markup(cell).lower()).strip()
            for role, names in _COLUMN_ROLES.items():
                if name in names and role not in roles:
                    roles[role] = index
                    break
        if "title" not in roles:
            if "id" in roles and "evidence" in roles:
                for _line, cells in token.rows:
                    row = cells + [""] * len(token.header)
                    ids = set(fields.ITEM_ID.findall(row[roles["id"]]))
                    self.notes.append(_Note(ids, fields.find_evidence(row[roles["evidence"]])))
            return
        kind = self.kind()
        for line, cells in token.rows:
            row = cells + [""] * len(token.header)
            values = {role: row[index].strip() for role, index in roles.items()}
            title_cell = values["title"]
            status = values.get("status", "")
            done = (
                kind is K.DONE
                or bool(re.match(r"^\s*\[[xX]\]", title_cell))
                or leading_status(title_cell) == "done"
                or leading_status(status) == "done"
                or bool(_DONE_STATUS.search(strip_emoji(status)))
            )
            forced = fields.kind_value(values["kind"]) if values.get("kind") else None
            if kind is K.PREVENTION and forced is None:
                forced = "preventative"
            draft = self.add_item(line, title_cell, done=done, kind=forced)
            if draft is not None:
                draft.cells = values
                if values.get("id"):
                    draft.ids.update(fields.ITEM_ID.findall(values["id"]) or [values["id"]])

    # ----------------------------------------------------------------------------------- pieces

    def read_metadata(self, line: int, plain: str) -> bool:
        """Document severity and affected systems; True when the line was one of those."""
        severity = _SEVERITY_LINE.match(plain)
        if severity:
            value = severity.group("value").strip()
            if not self.severity_seen and value:
                self.severity_seen = True
                levels = set(re.findall(r"(?<![A-Za-z0-9])[Pp]([0-3])(?![A-Za-z0-9])", value))
                found = fields.priority_value(value) if len(levels) <= 1 else None
                if found is not None:
                    self.severity = found[0]
                elif len(levels) <= 1 and not value.startswith("["):
                    expected = "expected P0-P3 or critical/high/medium/low"
                    self.warnings.append((line, f"could not read severity '{value[:40]}'; {expected}"))
            return bool(value)
        systems = _SYSTEMS_LINE.match(plain)
        if systems and systems.group("value").strip():
            self.systems.extend(fields.split_systems(systems.group("value")))
            return True
        return False

    def make_title(self, text: str) -> str:
        """The item title: no checkbox, numbering, emoji, markup, trailing owner/due/priority fields."""
        title = strip_markup(strip_emoji(text)).strip()
        title = _BOX_PREFIX.sub("", title)
        cut = len(title)
        meta = _META_START.search(title)
        if meta and meta.start() > 0:
            cut = meta.start()
        due = fields.find_due(title[:cut], self.today)
        if due is not None and due.date is not None and due.start > 0:
            tail = _strip_trailing_mentions(title[due.end : cut])
            if _TAIL_JUNK.fullmatch(tail):
                cut = due.start
        title = title[:cut]
        lead = _LEADING_MENTION.match(title)
        if lead and title[lead.end() :].strip():
            rest = title[lead.end() :]
            title = rest[:1].upper() + rest[1:]
        trimmed = _strip_trailing_mentions(title)
        if tidy(trimmed):
            title = trimmed
        title = _TRAILING_PRIORITY.sub("", _LEADING_PRIORITY.sub("", tidy(title)))
        title = tidy(title)
        return "" if _PLACEHOLDER_TITLE.match(title) else title

    def make_draft(
        self, line: int, text: str, *, done: bool = False, kind: str | None = None
    ) -> _Draft | None:
        title = self.make_title(text)
        if not title:
            return None
        draft = _Draft(line, self.section(), self.path(), title, [(line, text)], done, kind)
        lead_id = re.match(r"\s*([A-Z][A-Z0-9]{0,9}-\d{1,8})\b", title)
        if lead_id:
            draft.ids.add(lead_id.group(1))
        return draft

    def add_item(self, line: int, text: str, *, done: bool = False, kind: str | None = None) -> _Draft | None:
        draft = self.make_draft(line, text, done=done, kind=kind)
        if draft is not None:
            self.drafts.append(draft)
        return draft

    def add_measure(self, text: str) -> None:
        measure = self.make_title(text)
        if measure:
            self.measures.append((self.scope(K.PREVENTION), measure))

    def add_note(self, text: str, ids: set[str] | None) -> _Note:
        note = _Note(
            ids or set(fields.ITEM_ID.findall(text)) or self.section_ids(), fields.find_evidence(text)
        )
        self.notes.append(note)
        return note

    # ----------------------------------------------------------------------------------- results

    def finish(self) -> Extraction:
        drafts = self.drafts or self.recommendations
        doc_systems = list(fields.merge(self.systems))
        criteria = self.scoped(self.criteria, drafts)
        measures = self.scoped(self.measures, drafts)
        built = [self.build(d, doc_systems, criteria, measures) for d in drafts]
        items = self.dedupe([i for i in built if not i.done])
        done = self.dedupe([i for i in built if i.done])
        reason = None
        if not items:
            reason = (
                f"nothing left to do: all {len(done)} action items in the document are already ticked as done"
                if done
                else _NOTHING
            )
        warnings = tuple(
            f"line {line}: {message}" for line, message in sorted(self.warnings, key=lambda w: w[0])
        )
        return Extraction(tuple(items), tuple(done), warnings, self.title, self.severity, reason)

    @staticmethod
    def scoped(
        entries: list[tuple[tuple[int, ...], str]], drafts: list[_Draft]
    ) -> list[tuple[tuple[int, ...], str]]:
        """Widen a scope that holds no items to the whole document."""
        out = []
        for scope, text in entries:
            if not any(d.path[: len(scope)] == scope for d in drafts):
                scope = ()
            out.append((scope, text))
        return out

    def build(
        self,
        draft: _Draft,
        doc_systems: list[str],
        criteria: list[tuple[tuple[int, ...], str]],
        measures: list[tuple[tuple[int, ...], str]],
    ) -> ExtractedItem:
        joined = "\n".join(text for _, text in draft.segments)
        cells = draft.cells
        owner = self.owner_of(draft, joined)
        due_date, due_time = self.due_of(draft)
        priority, reason = self.priority_of(draft, joined)
        kind = draft.kind or fields.kind_of(draft.title)
        systems = fields.merge(
            fields.find_systems(joined, doc_systems),
            fields.split_systems(cells.get("systems", "")),
            doc_systems,
        )
        linked = [ref for note in self.notes if note.ids & draft.ids for ref in note.refs]
        evidence = fields.merge(
            fields.find_evidence(joined), fields.find_evidence(cells.get("evidence", "")), linked
        )
        in_scope = lambda entries: [t for s, t in entries if draft.path[: len(s)] == s]  # noqa: E731
        return ExtractedItem(
            title=draft.title,
            priority=priority,
            priority_reason=reason,
            kind=kind,
            owner=owner.written if owner else None,
            owner_user_id=owner.user_id if owner else None,
            due=due_date,
            due_time=due_time,
            systems=systems,
            success_criteria=fields.merge(in_scope(criteria)),
            prevention=fields.merge(in_scope(measures)) if kind != "preventative" else (),
            evidence=evidence,
            done=draft.done,
            line=draft.line,
            section=draft.section,
        )

    def owner_of(self, draft: _Draft, joined: str) -> fields.Owner | None:
        cell = draft.cells.get("owner", "")
        if cell:
            owner = fields.find_owner(f"Owner: {cell}", self.known)
        else:
            owner = fields.find_owner(joined, self.known)
        if owner is not None and self.known and owner.user_id is None:
            self.warnings.append((draft.line, f"owner '{owner.written}' is not a known Slack user"))
        return owner

    def due_of(self, draft: _Draft) -> tuple[datetime.date | None, datetime.time | None]:
        if "due" in draft.cells:
            found = fields.parse_due_cell(draft.cells["due"], self.today)
            return self.due_result(draft.line, found)
        for line, text in draft.segments:
            found = fields.find_due(strip_markup(text), self.today)
            if found is not None:
                return self.due_result(line, found)
        return None, None

    def due_result(
        self, line: int, found: fields.Due | None
    ) -> tuple[datetime.date | None, datetime.time | None]:
        if found is None:
            return None, None
        if found.error and found.date is None:
            self.warnings.append((line, f"could not read due date '{found.error}'"))
        elif found.error:
            self.warnings.append((line, f"could not read due {found.error}; kept the date"))
        return found.date, found.time

    def priority_of(self, draft: _Draft, joined: str) -> tuple[str, str]:
        cell = draft.cells.get("priority", "")
        found = fields.priority_value(cell) if cell else None
        if found is None:
            # Explicit levels may sit in the details; priority words only count in the title.
            explicit = fields.find_priority(joined)
            if explicit is not None and explicit[1].startswith(("explicit", "priority")):
                found = explicit
            else:
                found = fields.find_priority(draft.title)
        if found is not None:
            return found
        if self.severity is not None:
            return self.severity, f"document severity {self.severity}"
        return "P2", "default"

    def dedupe(self, items: list[ExtractedItem]) -> list[ExtractedItem]:
        """Drop exact repeats (same normalised title) of an item already listed. Near-identical titles
        are kept: inside one document they are usually distinct work ("region 1", "region 2"), and
        `similar_titles` is for comparing against items already tracked, where a person confirms."""
        kept: list[ExtractedItem] = []
        exact: dict[str, ExtractedItem] = {}
        for item in items:
            key = normalise_title(item.title)
            first = exact.get(key)
            if first is not None:
                self.warnings.append((item.line, f"'{item.title}' repeats line {first.line}; kept the first"))
                continue
            exact[key] = item
            kept.append(item)
        return kept
