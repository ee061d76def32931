"""Pipe tables of work: which column is the task, owner, priority, due date, status, evidence, …

Headers are matched case-insensitively, in any order, with extra columns ignored. A table without a
task-like column (a risk register, a metrics table) holds no items.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.extraction.markdown import TableBlock, leading_status
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
    "id": {"id", "#", "ref", "key", "task id", "item id"},
}  # fmt: skip
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
    return roles


def rows(table: TableBlock, roles: dict[str, int]) -> list[Row]:
    """Every body row, cells keyed by role (missing cells read as "")."""
    out = []
    for line, cells in table.rows:
        padded = cells + [""] * len(table.header)
        values = {role: padded[index].strip() for role, index in roles.items()}
        title, status = values.get("title", ""), values.get("status", "")
        done = (
            bool(_TICKED.match(title))
            or leading_status(title) == "done"
            or leading_status(status) == "done"
            or bool(_DONE_STATUS.search(strip_emoji(status)))
        )
        out.append(Row(line, values, done))
    return out
