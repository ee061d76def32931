"""Pipe tables of work: which column is the task, owner, priority, due date, status, evidence, …

Headers are matched case-insensitively, in any order, with extra columns ignored. A table without a
task-like column (a risk register, a metrics table) holds no items. Columns such as Summary,
Description or Countermeasure name the task only in a table that also has a work column (Owner,
Assignee, Priority, Due, Status, Bug, Ticket): "Summary" alone is as likely to be a metrics table.

A row is done when its status says so, when its task is ticked or check-marked, or when any other cell
only says "Done" ("SRCH-3310 **DONE**", "INFRA-2204 — Done").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.extraction.markdown import TableBlock, leading_status
from bot.core.extraction.markers import done_cell, done_in_text
from bot.core.extraction.markup import strip_emoji, strip_markup

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
    "id": {"id", "#", "ref", "key", "task id", "item id", "no", "nr"},
    "ticket": {"bug", "bugs", "ticket", "tickets", "issue", "issues", "jira", "tracking", "tracker",
               "tracking issue", "pr", "link", "links", "bug id", "ticket id"},
}  # fmt: skip
# Task columns that only count next to a work column.
_WEAK_TITLES = {
    "summary", "description", "countermeasure", "countermeasures", "measure", "measures", "improvement",
    "improvements", "corrective action", "corrective actions", "preventive action", "preventative action",
    "follow up", "follow ups", "remediation item", "remediation items", "change", "proposed change",
    "task name", "task description", "work", "action to take", "name",
}  # fmt: skip
_REGISTER = {"risk", "risks", "probability", "likelihood", "metric", "kpi"}  # registers, not work
_WORK_ROLES = {"owner", "priority", "due", "status", "ticket"}
_DONE_STATUS = re.compile(
    r"(?<!not )\b(?:done|complete|completed|closed|resolved|fixed|shipped|merged|finished|deployed)\b", re.I
)
_TICKED = re.compile(r"^\s*\[[xX]\]")


@dataclass(frozen=True)
class Row:
    line: int
    cells: dict[str, str]  # role ("title", "owner", "due", …) -> cell text
    done: bool  # a done status, a ✅, or a ticked [x] in the task cell


def column_roles(header: list[str]) -> dict[str, int]:
    """Role -> column index; the first column wins when two match the same role."""
    roles: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = re.sub(r"[^\w#]+", " ", strip_markup(cell).lower()).strip()
        for role, names in _COLUMN_ROLES.items():
            if name in names and role not in roles:
                roles[role] = index
                break
    names = {re.sub(r"[^\w#]+", " ", strip_markup(cell).lower()).strip() for cell in header}
    if "title" not in roles and _WORK_ROLES & roles.keys() and not names & _REGISTER:
        for index, cell in enumerate(header):
            name = re.sub(r"[^\w#]+", " ", strip_markup(cell).lower()).strip()
            if name in _WEAK_TITLES and index not in roles.values():
                roles["title"] = index
                break
    return roles


def rows(table: TableBlock, roles: dict[str, int], limit: int | None = None) -> list[Row]:
    """Every body row (the first `limit` ones), cells keyed by role (missing cells read as "")."""
    out = []
    for line, cells in table.rows[:limit]:
        padded = cells + [""] * len(table.header)
        values = {role: padded[index].strip() for role, index in roles.items()}
        title, status = values.get("title", ""), values.get("status", "")
        title_index = roles.get("title")
        others = [c for i, c in enumerate(cells) if i != title_index]
        done = (
            bool(_TICKED.match(title))
            or done_in_text(title)
            or leading_status(status) == "done"
            or bool(_DONE_STATUS.search(strip_emoji(status)))
            or any(done_cell(c) for c in others)
        )
        out.append(Row(line, values, done))
    return out
