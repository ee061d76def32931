"""The walk over a tokenised document: the heading stack, open list levels, waiting prose, and what
each token becomes (an item, a criterion, a prevention measure, an evidence note). The rules it applies
are listed in `extractor.py`."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from bot.core.extraction import fields, lines, tables
from bot.core.extraction.items import Draft, EvidenceNote, Findings, Path
from bot.core.extraction.markdown import (
    Heading,
    ListLine,
    TableBlock,
    TextLine,
    leading_status,
    tokenize,
)
from bot.core.extraction.markers import done_in_text, past_tense
from bot.core.extraction.markup import PLACEHOLDER, strip_emoji, strip_markup, tidy
from bot.core.extraction.sections import (
    SectionKind,
    classify,
    clean_heading,
    is_legend,
    parse_label,
    strongly_narrative,
)
from bot.core.extraction.sentences import commitments
from bot.core.extraction.titles import PLACEHOLDER_TITLE, bold_lead, clean_title, shorten

K = SectionKind
# A document listing more work than this is not a plan anyone reviews in one preview; the cap also bounds
# the time a 200 KB document takes (the walk and the assembly are linear in the items).
MAX_ITEMS = 1_000


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


class Walker:
    """Walks the tokens once, keeping the heading stack and the open list levels."""

    def __init__(self, today: datetime.date) -> None:
        self.today = today
        self.found = Findings()
        self.headings: list[HeadingState] = []
        self.label: tuple[str, SectionKind] | None = None  # a heading-like label line under a heading
        self.in_legend = False  # the list line before was a legend's definition
        self.capped = False  # MAX_ITEMS were found; the rest of the document is not read for items
        self.severity_warned = False
        self.frames: list[Frame] = []
        self.target: Draft | None = None  # where indented continuation lines go
        self.seen_content = False
        self.next_ident = 0
        self.paragraph: list[tuple[int, str]] = []  # prose lines waiting to be read as sentences
        self.paragraph_kind = K.UNKNOWN
        self.title_kind_pending = True  # the document's own title (first heading or label) is next
        self.text_item_end = 0  # last line of an item written as a plain line ("CA-2: …"), while it wraps
        self.heading_item: Draft | None = None  # the item a sub-heading names ("### AI-1: …")

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
            if not isinstance(token, TextLine):
                self.flush()
            if isinstance(token, Heading):
                self.on_heading(token)
            elif isinstance(token, ListLine):
                self.on_list(token)
            elif isinstance(token, TableBlock):
                self.on_table(token)
            elif isinstance(token, TextLine):
                self.on_text(token)
        self.flush()
        # A document with an action section keeps its work there: a promise in the prose of a section of
        # unknown purpose ("We need to add alerts …" in a discussion the action items repeat) is then
        # narrative.
        if any(d.listed for d in self.found.drafts):
            self.found.drafts = [d for d in self.found.drafts if not d.elsewhere]
        return self.found

    def title_kind(self, kind: SectionKind, text: str, level: int) -> SectionKind:
        """The document's own title ("… incident report", "Post-incident review: …") names what the
        document is, not a narrative section: it does not make everything under it narrative."""
        first, self.title_kind_pending = self.title_kind_pending, False
        if (
            first
            and kind is K.NARRATIVE
            and (level == 1 or len(text.split()) > 2)
            and not strongly_narrative(text)
        ):
            return K.UNKNOWN
        return kind

    def on_heading(self, token: Heading) -> None:
        text = clean_heading(token.text)
        if self.found.title is None and text:
            self.found.title = text
        self.seen_content = True
        while self.headings and self.headings[-1].level >= token.level:
            self.headings.pop()
        self.label, self.heading_item = None, None
        self.next_ident += 1
        within = self.kind()
        kind = classify(token.text, level=token.level, within=within)
        kind = self.title_kind(kind, text, token.level)
        if within in (K.ACTION, K.PREVENTION) and lines.HEADING_ITEM.match(text):
            # The heading names one item; the lines under it are its details (owner, status, why).
            self.headings.append(HeadingState(token.level, text, within, self.next_ident))
            forced = "preventative" if within is K.PREVENTION else None
            self.heading_item = self.add_item(token.line, token.text, kind=forced)
            self.frames, self.target = [], None
            return
        self.headings.append(HeadingState(token.level, text, kind, self.next_ident))
        self.frames, self.target = [], None
        self.read_metadata(token.line, strip_markup(text))

    def on_text(self, token: TextLine) -> None:
        plain = strip_markup(strip_emoji(token.text)).strip()
        first = not self.seen_content
        self.seen_content = True
        if self.heading_item is not None and self.target is None:
            self.heading_item.segments.append((token.line, token.text))
            return
        if self.target is not None and (token.indent >= 2 or (token.lazy and lines.FIELD_LINE.match(plain))):
            self.target.segments.append((token.line, token.text))
            return
        wraps = token.lazy or token.line == self.text_item_end + 1  # no blank line in between
        if self.target is not None and wraps and lines.CONTINUES.match(token.text):
            self.target.segments.append((token.line, token.text))
            if len(self.target.raw) < lines.WRAP_LIMIT:
                self.extend_title(self.target, token.text)
            self.text_item_end = token.line if self.text_item_end else 0
            return
        self.frames, self.target, self.text_item_end = [], None, 0
        if first and re.fullmatch(r"(\*\*|__)[^*_\n]{3,300}\1", token.text) and self.found.title is None:
            self.found.title = clean_heading(token.text)  # a bold first line is the title, however long
            self.title_kind_pending = False
            return
        if self.read_metadata(token.line, plain):
            self.flush()
            return
        kind = self.kind()
        if lines.TODO_PREFIX.match(plain) or (
            kind in (K.ACTION, K.RECOMMENDATION, K.PREVENTION)
            and (lines.ACTION_PREFIX.match(plain) or lines.ID_PREFIX.match(plain))
        ):
            self.flush()
            forced = "preventative" if kind is K.PREVENTION else None
            self.target = self.add_item(token.line, token.text, kind=forced)
            self.text_item_end = token.line if self.target is not None else 0
            return
        label = parse_label(token.text) if not self.paragraph else None
        if label is not None:
            name, rest, strong = label
            label_kind = classify(name, within=self.heading_kind())
            if not rest and (strong or label_kind is not K.UNKNOWN):
                self.flush()
                if (
                    first
                    and self.found.title is None
                    and (token.text.isupper() or token.text.startswith("**"))
                ):
                    self.found.title = clean_heading(token.text)
                label_kind = self.title_kind(label_kind, name, 2)
                self.label = (clean_heading(name), label_kind)
                return
            if rest and label_kind is not K.UNKNOWN:
                self.flush()
                if first and self.found.title is None and len(token.text.split()) <= 16:
                    self.found.title = clean_heading(token.text)  # "ROOT CAUSE ANALYSIS: API errors"
                label_kind = self.title_kind(label_kind, name, 2)
                self.label = (clean_heading(name), label_kind)
                self.on_prose(token.line, rest, label_kind)
                return
        self.end_legend()
        self.on_prose(token.line, token.text, self.kind())

    def end_legend(self) -> None:
        """A legend label ("Priority levels:", "Types:") covers the list under it, nothing after."""
        if self.label is not None and is_legend(self.label[0]):
            self.label = None

    def heading_kind(self) -> SectionKind:
        """The kind the headings alone give (a label may narrow it)."""
        return next((h.kind for h in reversed(self.headings) if h.kind is not K.UNKNOWN), K.UNKNOWN)

    def flush(self) -> None:
        """Read the waiting paragraph's sentences: those that commit to work become items."""
        lines, self.paragraph = self.paragraph, []
        if not lines:
            return
        text, starts = "", []
        for line, part in lines:
            starts.append((len(text), line))
            text += part + " "
        kind = self.paragraph_kind
        for found in commitments(strip_markup(text), strict=kind is K.UNKNOWN):
            line = next(n for offset, n in reversed(starts) if offset <= found.offset)
            forced = "preventative" if kind is K.PREVENTION else None
            draft = self.add_item(line, found.title, kind=forced)
            if draft is not None:
                draft.elsewhere = kind is K.UNKNOWN

    def on_prose(self, line: int, text: str, kind: SectionKind) -> None:
        if kind in lines.SENTENCE_KINDS:
            if self.paragraph and kind is not self.paragraph_kind:
                self.flush()
            self.paragraph_kind = kind
            self.paragraph.append((line, text))
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
        if parent is None and self.heading_item is not None:
            parent = Frame(-1, draft=self.heading_item)  # bullets under an item heading are its details
        plain = strip_markup(strip_emoji(token.text)).strip()
        status = leading_status(token.text)
        kind = self.kind()
        # Status emoji mark items, except in narrative and evidence sections (legends, retrospectives).
        if kind in (K.NARRATIVE, K.EVIDENCE):
            status = None
        checked = token.checkbox is not None or status is not None
        wrapped = self.wrapped(token)
        full = " ".join([token.text, *wrapped])
        lesson = lines.LESSON_LEAD.match(full) if kind in (K.ACTION, K.PREVENTION, K.DONE) else None
        if lesson:
            full = full[lesson.end() :]
        work = kind in (K.ACTION, K.RECOMMENDATION, K.DONE, K.PREVENTION)
        legend = bool(
            lines.LEGEND_LINE.match(plain) or (self.in_legend and lines.LEVEL_DEFINITION.match(plain))
        )
        self.in_legend = legend
        marked_done = work and (done_in_text(full) or (token.checkbox != " " and past_tense(full)))
        done = token.checkbox == "x" or status == "done" or marked_done
        frame = Frame(token.indent)
        subtask_of = parent.draft if parent is not None and parent.draft is not None else None
        if kind is K.CRITERIA:
            criterion = clean_title(full, self.today)
            if criterion:
                self.found.criteria.append((self.scope(K.CRITERIA), criterion))
                if token.checkbox is not None:
                    box = self.make_draft(token.line, full, done=token.checkbox == "x")
                    if box is not None:
                        self.found.criteria_boxes.append(box)
        elif kind is K.SYSTEMS:
            self.found.systems.extend(fields.split_systems(plain))
        elif work and token.checkbox is None and status is None and legend:
            pass  # "P0 - Critical for reliability": a definition, not work
        elif checked and subtask_of is not None and not subtask_of.done and len(plain.split()) <= 2:
            subtask_of.subtasks.append(self.full_title(full))  # "- [ ] Linux" under a task
            frame.draft = subtask_of
        elif checked:
            frame.draft = self.add_item(
                token.line, full, done=done or kind is K.DONE,
                kind="preventative" if kind is K.PREVENTION else None,
            )  # fmt: skip
            if kind is K.PREVENTION:
                self.add_measure(full)
                self.found.marked_prevention.add(self.section_ident())
        elif parent is not None and parent.draft is not None:
            parent.draft.segments.append((token.line, token.text))
            if work and not lines.FIELD_LINE.match(plain) and not plain.endswith(":"):
                subtask = self.full_title(full)
                if subtask:
                    parent.draft.subtasks.append(subtask)
            frame.draft = parent.draft
        elif parent is not None and parent.note is not None and kind is K.EVIDENCE:
            parent.note.refs.extend(fields.find_evidence(token.text))
            frame.note = parent.note
        elif lines.FIELD_LINE.match(plain):
            self.read_metadata(token.line, plain)
        elif kind is K.PREVENTION:
            self.add_measure(full)
            marked = bool(lines.HAS_OWNER_OR_DUE.search(plain) or lines.TODO_PREFIX.match(plain))
            draft = self.make_draft(token.line, full, done=done, kind="preventative")
            if marked:
                self.found.marked_prevention.add(self.section_ident())
                if draft is not None:
                    self.found.drafts.append(draft)
            elif draft is not None and not plain.endswith(":") and self.own_kind() is K.PREVENTION:
                # Only the section's own bullets: a sub-heading that merely sits under "Prevention"
                # ("Knowledge capture") lists something else.
                self.found.prevention_bullets.append((self.section_ident(), draft))
            frame.draft = draft
        elif kind is K.EVIDENCE:
            frame.note = self.add_note(token.text)
        elif kind in (K.ACTION, K.RECOMMENDATION, K.DONE):
            if not plain.endswith(":"):
                frame.draft = self.add_item(token.line, full, done=done or kind is K.DONE)
        elif lines.WORK_PREFIX.match(plain) or lines.HAS_OWNER_OR_DUE.search(plain):
            frame.draft = self.add_item(token.line, full)
        else:
            self.read_metadata(token.line, plain)
        self.frames.append(frame)
        self.target = frame.draft
        for line, text in token.continuation:
            if frame.draft is not None:
                frame.draft.segments.append((line, text))
            elif frame.note is not None:
                frame.note.refs.extend(fields.find_evidence(text))

    def wrapped(self, token: ListLine) -> list[str]:
        """The continuation lines that are the rest of the item's own text: contiguous with it, not a
        field ("Evidence: …"), and reading on from the line above (a lower-case start, or a line above
        that did not end a sentence)."""
        out: list[str] = []
        previous_line, previous_text = token.line, token.text
        size = len(token.text)
        for line, text in token.continuation:
            size += len(text)
            if size > lines.WRAP_LIMIT:
                break
            plain = strip_markup(strip_emoji(text)).strip()
            if line != previous_line + 1 or lines.FIELD_LINE.match(plain):
                break
            if not (lines.CONTINUES.match(text) or not previous_text.rstrip().endswith((".", "!", "?", ":"))):
                break
            out.append(text)
            previous_line, previous_text = line, text
        return out

    def own_kind(self) -> SectionKind:
        """The kind of the nearest label or heading itself, not inherited from an enclosing one."""
        if self.label is not None and self.label[1] is not K.UNKNOWN:
            return self.label[1]
        return self.headings[-1].kind if self.headings else K.UNKNOWN

    def section_ident(self) -> int:
        return self.headings[-1].ident if self.headings else 0

    def on_table(self, token: TableBlock) -> None:
        self.seen_content = True
        self.end_legend()
        self.frames, self.target = [], None
        roles = tables.column_roles(token.header)
        if "title" not in roles:
            if "id" in roles and "evidence" in roles:  # an evidence table: ID | Evidence
                for row in tables.rows(token, roles):
                    ids = set(fields.ITEM_ID.findall(row.cells["id"]))
                    self.found.notes.append(EvidenceNote(ids, fields.find_evidence(row.cells["evidence"])))
            return
        kind = self.kind()
        for row in tables.rows(token, roles, limit=max(0, MAX_ITEMS - self.count()) + 1):
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
        severity = lines.SEVERITY_LINE.match(plain)
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
        systems = lines.SYSTEMS_LINE.match(plain)
        if systems and systems.group("value").strip():
            self.found.systems.extend(fields.split_systems(systems.group("value")))
            return True
        return False

    def make_draft(
        self, line: int, text: str, *, done: bool = False, kind: str | None = None
    ) -> Draft | None:
        if self.count() >= MAX_ITEMS:
            if not self.capped:
                self.capped = True
                self.found.warnings.append(
                    (
                        line,
                        f"the document lists more than {MAX_ITEMS} items; the first {MAX_ITEMS} were read",
                    )
                )
            return None
        full = self.full_title(text)
        if not full:
            return None
        title, description = self.split_title(text, full)
        draft = Draft(line, self.section(), self.path(), title, [(line, text)], done, kind)
        draft.raw, draft.description = text, description
        lead_id = lines.ITEM_ID_AT_START.match(full)
        if lead_id:
            draft.ids.add(lead_id.group(1))
        return draft

    def count(self) -> int:
        """Items found so far, of every sort."""
        found = self.found
        return len(found.drafts) + len(found.prevention_bullets) + len(found.recommendations)

    def split_title(self, raw: str, full: str) -> tuple[str, str]:
        """(title, description) of an item read from `raw`: a leading bold action is the title."""
        lead = bold_lead(raw)
        title = self.full_title(lead) if lead else ""
        if title and title != full:
            return shorten(title)[0], full
        return shorten(full)

    def full_title(self, text: str) -> str:
        full = clean_title(text, self.today)
        first = full.split(" ", 1)[0]
        if first.isalpha() and first.islower():  # "- export a gauge …" in a lower-case list; not "macOS"
            full = full[:1].upper() + full[1:]
        return full

    def extend_title(self, draft: Draft, text: str) -> None:
        """A wrapped line that goes on with the item's text: the title is read again from the whole."""
        draft.raw = f"{draft.raw} {text}"
        full = self.full_title(draft.raw)
        if full:
            draft.title, draft.description = self.split_title(draft.raw, full)
        if done_in_text(draft.raw) and self.kind() not in (K.NARRATIVE, K.EVIDENCE):
            draft.done = True

    def add_item(self, line: int, text: str, *, done: bool = False, kind: str | None = None) -> Draft | None:
        draft = self.make_draft(line, text, done=done, kind=kind)
        if draft is not None:
            draft.listed = self.kind() is K.ACTION
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
