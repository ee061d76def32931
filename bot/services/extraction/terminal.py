"""`remediate extract-issues`: an analysis file on disk, extracted on the terminal as the preview would.

The same reading, duplicate check and creation as `/remediate extract` (prepare → create_from_draft): the
items ticked by default (not those that look like existing items) are what --auto-add creates, linked to
the file's name as their source and to --incident, with the summary in the incident channel and one DM per
named owner queued for the bot's sender. Without --auto-add nothing is written, not even a draft; the ids
shown are the ones the items would get next.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.core.items import rules
from bot.deps import Deps
from bot.services.extraction import create as extraction_create
from bot.services.extraction import preview as service
from bot.services.incidents import closeout as incidents
from storage import queries


@dataclass(frozen=True)
class Listed:
    """One item the file holds: the id it got (or would get), or the existing item it duplicates."""

    id: str | None
    title: str
    priority: str
    owner_id: str | None
    deadline: datetime
    duplicate_of: str | None


@dataclass(frozen=True)
class TerminalExtraction:
    source: str
    items: tuple[Listed, ...]
    done: tuple[str, ...]
    warnings: tuple[str, ...]
    found: int
    created: bool


def extract_file(
    deps: Deps,
    *,
    raw: bytes,
    source: str,
    auto_add: bool,
    incident_id: str | None = None,
    owner_map: Mapping[str, str] | None = None,
    reporter_id: str = "",
) -> TerminalExtraction:
    """Read `raw` (Markdown, text or HTML) and list its items; with `auto_add` create them.

    DocumentProblem when the file cannot be read, NotFound for an unknown incident, NothingActionable
    when it holds no work; nothing is written then."""
    text = service.check_document_text(raw)
    incident = rules.normalise_incident_id(incident_id)
    if incident:
        incidents.get(deps, incident)
    draft = service.draft_of(
        deps,
        user_id=reporter_id,
        channel_id=deps.settings.incident_channel,
        document=service.Document(text, source),
        incident_id=incident,
        owner_map=owner_map,
    )
    preview = service.preview_of(draft)
    ticked = [r for r in preview.rows if r.checked]  # with --auto-add and none ticked: nothing to create
    ids: list[str | None] = []
    if auto_add and ticked:
        preview = service.keep_draft(deps, draft)  # the draft the creation takes, once
        created = extraction_create.create_from_draft(deps, draft_id=preview.draft_id, user_id=reporter_id)
        ids = list(created.ids)
    elif not auto_add:
        now = deps.now()
        with deps.uow(readonly=True) as session:
            last = queries.peek_sequence(session, key=rules.sequence_key(now))
        ids = [rules.format_item_id(r.priority, now, last + n) for n, r in enumerate(ticked, start=1)]
    by_row = dict(zip((r.index for r in ticked), ids, strict=True))
    listed = tuple(
        Listed(
            id=by_row.get(r.index),
            title=r.title,
            priority=r.priority,
            owner_id=r.owner_id,
            deadline=r.deadline,
            duplicate_of=r.duplicate_of,
        )
        for r in preview.rows
    )
    return TerminalExtraction(
        source=preview.source,
        items=listed,
        done=preview.done,
        warnings=preview.warnings,
        found=preview.found,
        created=auto_add and bool(ticked),
    )
