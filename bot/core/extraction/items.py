"""From what the walk over a document found (drafts, criteria, measures, evidence notes) to the
`Extraction`: each draft's owner, due date, priority, kind, systems and evidence, then duplicates out.

Priority, in order: a Priority cell or "Priority:" field, an explicit P0-P3 anywhere in the item's own
text; then words in the title -- critical/blocker/outage -> P0, urgent -> P1, verify -> P1, investigate ->
P2 (an investigation never outranks the fixes), cleanup/refactor -> P2, documentation/docs/"Document …"
-> P3; then the document's severity; else P2.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.core.extraction import dates, fields
from bot.core.extraction.markup import strip_markup
from bot.core.extraction.model import ExtractedItem, Extraction
from bot.core.extraction.titles import normalise_title

Path = tuple[int, ...]  # the ids of the headings enclosing a line, outermost first

# A "Status: Complete" field in an item's own text (its detail lines) marks it done.
_STATUS_DONE = re.compile(
    r"(?<![\w-])status\s*(?:\*\*|__)?\s*[:=]\s*(?:\*\*|__)?\s*(?:\u2705\s*)?"
    r"(?:done|complete|completed|closed|resolved|fixed|shipped|merged|finished|deployed)\b",
    re.I,
)

_NOTHING = (
    "no action items found: the document has no unticked checkboxes, action-item, follow-up or "
    "remediation lists, sentences that commit to work (\u201cWe will \u2026\u201d), prefixed steps "
    "(Critical Fix:, Investigation:, Prevention:) or task tables"
)


@dataclass
class Draft:
    """An item as found, before its fields are read."""

    line: int
    section: str
    path: Path
    title: str
    segments: list[tuple[int, str]]  # its own text: the line, continuations and detail bullets
    done: bool
    kind: str | None = None  # forced by a prevention section or a table's Type column
    cells: dict[str, str] = field(default_factory=dict)  # table cells by role
    ids: set[str] = field(default_factory=set)  # "WH-1", to link evidence notes
    raw: str = ""  # the text the title was read from (wrapped lines joined)
    description: str = ""  # the full title when `title` had to be shortened
    subtasks: list[str] = field(default_factory=list)  # nested sub-tasks, kept as its criteria
    elsewhere: bool = False  # a promise in the prose of a section of unknown purpose
    listed: bool = False  # found in an action section


@dataclass
class EvidenceNote:
    """A line of an Evidence section: its references go to the items whose ids it names."""

    ids: set[str]
    refs: list[str]


@dataclass
class Findings:
    """Everything the walk collected from one document."""

    title: str | None = None
    severity: str | None = None
    systems: list[str] = field(default_factory=list)  # from "Affected Systems:"
    drafts: list[Draft] = field(default_factory=list)
    recommendations: list[Draft] = field(default_factory=list)  # used only when there are no drafts
    # Plain bullets of a prevention section, by the section's heading id: items unless the section marks
    # some bullets as tracked work (a checkbox, an owner), which makes the others descriptions.
    prevention_bullets: list[tuple[int, Draft]] = field(default_factory=list)
    marked_prevention: set[int] = field(default_factory=set)
    # Checkboxes of a criteria section: the work itself when nothing else is left to do.
    criteria_boxes: list[Draft] = field(default_factory=list)
    criteria: list[tuple[Path, str]] = field(default_factory=list)  # (scope, criterion)
    measures: list[tuple[Path, str]] = field(default_factory=list)  # (scope, prevention measure)
    notes: list[EvidenceNote] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)


def assemble(found: Findings, *, today: datetime.date, known: Mapping[str, str]) -> Extraction:
    return _Assembler(found, today, known).run()


def _scoped(entries: list[tuple[Path, str]], drafts: list[Draft]) -> list[tuple[Path, str]]:
    """Widen a scope that holds no items to the whole document."""
    held = {d.path[:n] for d in drafts for n in range(len(d.path) + 1)}
    return [(scope if scope in held else (), text) for scope, text in entries]


class _Scopes:
    """Criteria or measures by the heading path they apply to, read per item path (cached: in a long
    document most items share a handful of paths)."""

    def __init__(self, entries: list[tuple[Path, str]]) -> None:
        self.by_scope: dict[Path, list[tuple[int, str]]] = {}
        for order, (scope, text) in enumerate(entries):
            self.by_scope.setdefault(scope, []).append((order, text))
        self.cache: dict[Path, list[str]] = {}

    def of(self, draft: Draft) -> list[str]:
        found = self.cache.get(draft.path)
        if found is None:
            hits = [e for n in range(len(draft.path) + 1) for e in self.by_scope.get(draft.path[:n], ())]
            found = self.cache[draft.path] = [text for _, text in sorted(hits)]
        return found


class _Assembler:
    def __init__(self, found: Findings, today: datetime.date, known: Mapping[str, str]) -> None:
        self.found = found
        self.today = today
        self.known = known
        self.warnings = list(found.warnings)

    def run(self) -> Extraction:
        found = self.found
        drafts = found.drafts + [
            d for ident, d in found.prevention_bullets if ident not in found.marked_prevention
        ]
        criteria_entries = found.criteria
        if found.criteria_boxes and not any(not d.done for d in drafts):
            # The seed's own case: the fixes are done and only the closure criteria remain to be met.
            drafts += found.criteria_boxes
            criteria_entries = []
        drafts = sorted(drafts, key=lambda d: d.line) or found.recommendations
        systems = list(fields.merge(found.systems))
        criteria = _Scopes(_scoped(criteria_entries, drafts))
        measures = _Scopes(_scoped(found.measures, drafts))
        built = [self.build(d, systems, criteria, measures) for d in drafts]
        items = self.dedupe([i for i in built if not i.done])
        done = self.dedupe([i for i in built if i.done])
        reason = None
        if not items:
            reason = _NOTHING
            if done:
                reason = (
                    f"nothing left to do: all {len(done)} action items in the document are ticked as done"
                )
        warnings = tuple(
            f"line {line}: {message}" for line, message in sorted(self.warnings, key=lambda w: w[0])
        )
        return Extraction(tuple(items), tuple(done), warnings, found.title, found.severity, reason)

    def build(
        self,
        draft: Draft,
        doc_systems: list[str],
        criteria: _Scopes,
        measures: _Scopes,
    ) -> ExtractedItem:
        joined = "\n".join(text for _, text in draft.segments)
        cells = draft.cells
        owner = self.owner_of(draft, joined)
        due, due_time = self.due_of(draft)
        priority, reason = self.priority_of(draft, joined)
        kind = draft.kind or fields.kind_of(draft.title)
        linked = [ref for note in self.found.notes if note.ids & draft.ids for ref in note.refs]
        return ExtractedItem(
            title=draft.title,
            priority=priority,
            priority_reason=reason,
            kind=kind,
            owner=owner.written if owner else None,
            owner_user_id=owner.user_id if owner else None,
            due=due,
            due_time=due_time,
            systems=fields.merge(
                fields.find_systems(joined, doc_systems),
                fields.split_systems(cells.get("systems", "")),
                doc_systems,
            ),
            success_criteria=fields.merge(draft.subtasks, criteria.of(draft)),
            prevention=fields.merge(measures.of(draft)) if kind != "preventative" else (),
            evidence=fields.merge(
                fields.find_evidence(joined), fields.find_evidence(cells.get("evidence", "")), linked
            ),
            done=draft.done or bool(_STATUS_DONE.search(joined)),
            line=draft.line,
            section=draft.section,
            description=draft.description,
        )

    def owner_of(self, draft: Draft, joined: str) -> fields.Owner | None:
        cell = draft.cells.get("owner", "")
        owner = fields.find_owner(f"Owner: {cell}" if cell else joined, self.known)
        if owner is not None and self.known and owner.user_id is None:
            self.warnings.append((draft.line, f"owner '{owner.written}' is not a known Slack user"))
        return owner

    def due_of(self, draft: Draft) -> tuple[datetime.date | None, datetime.time | None]:
        if "due" in draft.cells:
            return self.due_result(draft.line, dates.parse_due_cell(draft.cells["due"], self.today))
        for line, text in draft.segments:
            found = dates.find_due(strip_markup(text), self.today)
            if found is not None:
                return self.due_result(line, found)
        return None, None

    def due_result(
        self, line: int, found: dates.Due | None
    ) -> tuple[datetime.date | None, datetime.time | None]:
        if found is None:
            return None, None
        if found.error and found.date is None:
            self.warnings.append((line, f"could not read due date '{found.error}'"))
        elif found.error:
            self.warnings.append((line, f"could not read due {found.error}; kept the date"))
        return found.date, found.time

    def priority_of(self, draft: Draft, joined: str) -> tuple[str, str]:
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
        if self.found.severity is not None:
            return self.found.severity, f"document severity {self.found.severity}"
        return "P2", "default"

    def dedupe(self, items: list[ExtractedItem]) -> list[ExtractedItem]:
        """Drop exact repeats (same normalised title) of an item already listed. Near-identical titles
        are kept: inside one document they are usually distinct work ("region 1", "region 2"), and
        `similar_titles` is for comparing against items already tracked, where a person confirms."""
        kept: list[ExtractedItem] = []
        first_by_key: dict[str, ExtractedItem] = {}
        for item in items:
            key = normalise_title(item.description or item.title)
            first = first_by_key.get(key)
            if first is not None:
                self.warnings.append((item.line, f"'{item.title}' repeats line {first.line}; kept the first"))
                continue
            first_by_key[key] = item
            kept.append(item)
        return kept
