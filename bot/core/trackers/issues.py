"""What an item looks like as an issue in GitHub or Jira, and how an issue's state maps back. Pure.

Outbound: the title (``[P0-20261202-001] Title``), the body (priority, deadline, business impact, success
criteria as a checklist, source and incident, the owner when they have no tracker account, and the way back
to the item), labels, Jira's Atlassian Document Format, and the issue state each item status asks for.
Inbound: issue references people type (a GitHub issue URL, a Jira key or browse URL).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from bot.core.items import lifecycle as lc
from bot.core.records import ItemRecord

GITHUB = "github"
JIRA = "jira"
TRACKERS = (GITHUB, JIRA)
NAMES = {GITHUB: "GitHub", JIRA: "Jira"}
LABEL = "remediate"
JIRA_PRIORITIES = {"P0": "Highest", "P1": "High", "P2": "Medium", "P3": "Low"}
# The status categories of Jira (every workflow status is in one of them).
NEW, IN_FLIGHT, DONE = "new", "indeterminate", "done"


def issue_title(item: ItemRecord) -> str:
    return f"[{item.id}] {item.title}"


def labels(item: ItemRecord) -> list[str]:
    return [LABEL, f"priority:{item.priority}"]


@dataclass(frozen=True)
class IssueContext:
    """What the body says beyond the item: who owns it when the owner has no account in the tracker, and
    where the item lives (a dashboard page, or how to find it in Slack)."""

    owner_name: str | None = None  # set only when the owner is not mapped to a tracker account
    back_link: str | None = None


def _fields(item: ItemRecord, ctx: IssueContext) -> list[tuple[str, str]]:
    rows = [
        ("Priority", item.priority),
        ("Deadline", item.deadline.strftime("%Y-%m-%d %H:%M UTC")),
        ("Status", lc.LABELS.get(item.status, item.status)),
    ]
    impact = []
    if item.mrr_at_risk:
        impact.append(f"${item.mrr_at_risk:,.0f} MRR at risk")
    if item.users_affected:
        impact.append(f"{item.users_affected:,} users affected")
    if item.availability_impact:
        impact.append(f"{item.availability_impact:g}% availability")
    if impact:
        rows.append(("Business impact", ", ".join(impact)))
    if item.source_ref:
        rows.append(("Source", item.source_ref))
    if item.incident_id:
        rows.append(("Incident", item.incident_id))
    if ctx.owner_name:
        rows.append(("Owner", f"{ctx.owner_name} (Slack)"))
    return rows


def github_body(item: ItemRecord, ctx: IssueContext) -> str:
    """The issue body in GitHub Markdown."""
    lines = [f"Remediation item **{item.id}**, tracked by remediate.", ""]
    lines += [f"- **{k}:** {_md(v)}" for k, v in _fields(item, ctx)]
    if item.description:
        lines += ["", _md(item.description)]
    if item.criteria:
        lines += ["", "### Success criteria", ""]
        lines += [f"- [{'x' if c.get('done') else ' '}] {_md(str(c.get('text', '')))}" for c in item.criteria]
    if item.prevention:
        lines += ["", "### Prevention measures", ""]
        lines += [f"- {_md(p)}" for p in item.prevention]
    lines += ["", _back(item, ctx)]
    return "\n".join(lines)


def _back(item: ItemRecord, ctx: IssueContext) -> str:
    if ctx.back_link:
        return f"Item: {ctx.back_link}"
    return f"In Slack: `/remediate show {item.id}`"


def _md(text: str) -> str:
    """User text in Markdown: no mention of GitHub users or teams, no HTML."""
    return text.replace("<", "&lt;").replace(">", "&gt;").replace("@", "@\u200b")


def jira_description(item: ItemRecord, ctx: IssueContext) -> dict[str, Any]:
    """The description in Atlassian Document Format (Jira Cloud REST v3)."""
    content: list[dict[str, Any]] = [_para(f"Remediation item {item.id}, tracked by remediate.")]
    content.append(_bullets([f"{k}: {v}" for k, v in _fields(item, ctx)]))
    if item.description:
        content.append(_para(item.description))
    if item.criteria:
        content.append(_heading("Success criteria"))
        content.append(
            {
                "type": "taskList",
                "attrs": {"localId": f"criteria-{item.id}"},
                "content": [
                    {
                        "type": "taskItem",
                        "attrs": {"localId": f"c{i}", "state": "DONE" if c.get("done") else "TODO"},
                        "content": [_text(str(c.get("text", "")) or "-")],
                    }
                    for i, c in enumerate(item.criteria)
                ],
            }
        )
    if item.prevention:
        content.append(_heading("Prevention measures"))
        content.append(_bullets(list(item.prevention)))
    content.append(_para(_back(item, ctx).replace("`", "")))
    return {"type": "doc", "version": 1, "content": content}


def adf_text(text: str) -> dict[str, Any]:
    """A plain text as an ADF document (a comment's body)."""
    return {"type": "doc", "version": 1, "content": [_para(text or "-")]}


def _text(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def _para(text: str) -> dict[str, Any]:
    return {"type": "paragraph", "content": [_text(text or "-")]}


def _heading(text: str) -> dict[str, Any]:
    return {"type": "heading", "attrs": {"level": 3}, "content": [_text(text)]}


def _bullets(lines: list[str]) -> dict[str, Any]:
    return {"type": "bulletList", "content": [{"type": "listItem", "content": [_para(t)]} for t in lines]}


# --- states ---------------------------------------------------------------------------------------------


def github_state(status: str) -> dict[str, str] | None:
    """The GitHub issue state an item status asks for (None: leave it as it is)."""
    if status in (lc.COMPLETED, lc.VALIDATED):
        return {"state": "closed", "state_reason": "completed"}
    if status == lc.CANCELLED:
        return {"state": "closed", "state_reason": "not_planned"}
    if status in (lc.IDENTIFIED, lc.PLANNED, lc.IN_PROGRESS, lc.BLOCKED):
        return {"state": "open"}
    return None


def jira_category(status: str) -> str | None:
    """The Jira status category an item status asks for (None: leave it as it is)."""
    if status in (lc.COMPLETED, lc.VALIDATED, lc.CANCELLED):
        return DONE
    if status == lc.IN_PROGRESS:
        return IN_FLIGHT
    if status in (lc.IDENTIFIED, lc.PLANNED):
        return NEW
    return None


def route_to(status: str, target: str, *, blocked_from: str | None = None) -> list[lc.Move]:
    """The moves that take an item from `status` to `target` (In Progress or Completed) the way a person
    would make them: unblock, then start, then complete. Empty when it is there, or cannot get there."""
    moves: list[lc.Move] = []
    here, came_from = status, blocked_from
    for _ in range(4):
        if here == target:
            return moves
        allowed = lc.allowed_moves(here, blocked_from=came_from)
        step = next((m for m in allowed if m.target == target), None)
        if step is None:
            step = next((m for m in allowed if m.verb in (lc.UNBLOCK, lc.START)), None)
        if step is None:
            return []
        moves.append(step)
        here, came_from = step.target, None
    return []


# --- references people type ---------------------------------------------------------------------------

_GITHUB_ISSUE = re.compile(r"/([A-Za-z0-9][A-Za-z0-9-]{0,38})/([A-Za-z0-9._-]{1,100})/issues/([0-9]{1,9})/?")
_SHORT_GITHUB = re.compile(r"([A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100})?#([0-9]{1,9})")
_JIRA_KEY = re.compile(r"[A-Z][A-Z0-9_]{1,9}-[0-9]{1,9}")


@dataclass(frozen=True)
class IssueRef:
    tracker: str
    project: str  # owner/repo or the Jira project key
    number: str  # "42" or "OPS-7"


def parse_issue_ref(
    text: str, *, github_hosts: tuple[str, ...], github_repository: str, jira_base_url: str
) -> IssueRef | None:
    """A GitHub issue URL (on github.com or the configured server), ``owner/repo#42`` or ``#42``, a Jira key
    (``OPS-7``) or browse URL on the configured site. None when it is none of these."""
    text = text.strip().strip("<>").split("|")[0]
    if text.startswith(("http://", "https://")):
        parts = urlsplit(text)
        host = (parts.hostname or "").lower()
        if host in github_hosts:
            m = _GITHUB_ISSUE.fullmatch(parts.path)
            return IssueRef(GITHUB, f"{m.group(1)}/{m.group(2)}", m.group(3)) if m else None
        jira = urlsplit(jira_base_url) if jira_base_url else None
        if jira is not None and host == (jira.hostname or "").lower():
            m = re.fullmatch(r"/browse/(" + _JIRA_KEY.pattern + r")/?", parts.path)
            return IssueRef(JIRA, m.group(1).split("-")[0], m.group(1)) if m else None
        return None
    m = _SHORT_GITHUB.fullmatch(text)
    if m:
        repo = m.group(1) or github_repository
        return IssueRef(GITHUB, repo, m.group(2)) if repo else None
    if _JIRA_KEY.fullmatch(text.upper()):
        return IssueRef(JIRA, text.upper().split("-")[0], text.upper())
    return None


def github_hosts(api_url: str) -> tuple[str, ...]:
    """The hosts whose issue and file links are GitHub's: github.com and, for GitHub Enterprise Server or a
    test's stand-in, the host of GITHUB_API_URL."""
    host = (urlsplit(api_url).hostname or "").lower()
    hosts = {"github.com", "www.github.com"}
    if host and host != "api.github.com":
        hosts.add(host)
    return tuple(sorted(hosts))


@dataclass(frozen=True)
class BlobRef:
    repository: str
    ref: str
    path: str


_BLOB = re.compile(r"/([A-Za-z0-9][A-Za-z0-9-]{0,38})/([A-Za-z0-9._-]{1,100})/blob/([^/]{1,200})/(.{1,1000})")


def parse_blob_url(url: str, *, hosts: tuple[str, ...]) -> BlobRef | None:
    """``https://github.com/owner/repo/blob/<ref>/<path>`` -> its parts; None for any other URL."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or (parts.hostname or "").lower() not in hosts:
        return None
    m = _BLOB.fullmatch(parts.path)
    if not m or ".." in m.group(4).split("/"):
        return None
    return BlobRef(f"{m.group(1)}/{m.group(2)}", m.group(3), m.group(4))


def parse_time(value: object) -> datetime | None:
    """GitHub's ``2026-12-03T12:00:00Z`` and Jira's ``2026-12-03T12:00:00.000+0000``, aware; None if not."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    text = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", text)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def adf_plain(doc: object) -> str:
    """The text of an ADF document, paragraphs and list items on lines of their own (Jira REST v2, where
    descriptions and comments are plain text)."""
    out: list[str] = []

    def walk(node: object, prefix: str = "") -> None:
        if not isinstance(node, dict):
            return
        kind = node.get("type")
        if kind == "text":
            out.append(str(node.get("text", "")))
            return
        if kind in ("paragraph", "heading") and out and not out[-1].endswith("\n"):
            out.append("\n")
        if kind == "listItem":
            out.append(prefix or "- ")
        if kind == "taskItem":
            out.append("[x] " if (node.get("attrs") or {}).get("state") == "DONE" else "[ ] ")
        for child in node.get("content") or []:
            walk(child, prefix)
        if kind in ("paragraph", "heading", "taskItem"):
            out.append("\n")

    walk(doc)
    return "".join(out).strip()


def item_label(item_id: str) -> str:
    """The Jira label that names the item (labels cannot hold spaces): found again after a lost answer."""
    return f"remediate-{item_id}"
