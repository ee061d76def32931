"""Extracting remediation items from an analysis document: read it, preview what was found, keep a draft.

    doc = read_pasted(text, source="…")  or  read_file(deps, file_id)   # FileProblem / DocumentProblem
    preview = prepare(deps, user_id=…, channel_id=…, document=doc)      # NothingActionable, or a draft
    … the person unticks what they do not want (set_ticks), edits a row (edit) …
    extraction_create.create_from_draft(deps, draft_id=…, user_id=…, ticks={0: True, 1: False})

Nothing is created before the confirmation; a refusal (bad document, nothing actionable) writes nothing.
The preview is kept server-side as an ExtractionDraft (a modal's private_metadata holds only its id).
Slack calls (files.info, the download, users.list, users.info) happen outside any unit of work.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from bot.core.errors import UserError, about
from bot.core.extraction import DocumentError, ExtractedItem, check_document, extract
from bot.core.extraction_preview import NothingActionable, Preview, Row, RowChange, edit_row
from bot.core.items import rules
from bot.core.mrkdwn import escape, truncate
from bot.core.timing.deadlines import END_OF_DAY
from bot.deps import Deps
from bot.services import outbox
from bot.services.extraction import files as slack_files
from bot.services.extraction.duplicates import find_duplicates
from bot.services.extraction.owners import check_mentioned_owners, known_users
from bot.services.people.users import cached_timezones, get_person
from storage import extraction as store
from storage.models import ExtractionDraft

MAX_BYTES = 200_000
MAX_OFFERED = 500  # items one preview offers (in pages of twenty); more are counted, not offered
FILE_WINDOW = timedelta(hours=1)  # a file shared longer ago than this is not what `extract` means
DRAFT_LIFETIME = timedelta(days=7)
OPEN_TITLES_SCANNED = 20_000
KEPT_NOTES = 500  # done items and warnings kept with a draft (the preview shows the first few)


class DocumentProblem(UserError):
    """The document cannot be read (binary, empty, huge, whitespace, HTML)."""


@dataclass(frozen=True)
class Document:
    text: str
    source: str  # the file name, the source the person gave, the thread's link, or the document's title
    file_id: str | None = None
    notes: tuple[str, ...] = ()  # what the reader should know about how it was read (a long thread cut)


# --- reading --------------------------------------------------------------------------------------


def read_pasted(text: str, *, source: str | None) -> Document:
    """Pasted text as a document; DocumentProblem says what is wrong with it."""
    checked = check_document_text(text.encode("utf-8", errors="surrogatepass"))
    return Document(checked, (source or "").strip() or _title_or(checked, "the pasted document"))


def read_file(deps: Deps, meta: slack_files.FileMeta, *, source: str | None = None) -> Document:
    """A shared ``.md``/``.txt`` file (`slack_files.file_meta` describes it) as a document, downloaded
    with the bot token."""
    shared = slack_files.download_text_file(deps, meta, max_bytes=MAX_BYTES)
    try:
        text = check_document(shared.content, max_bytes=MAX_BYTES)
    except DocumentError as err:
        raise DocumentProblem(f"`{slack_files.shown_name(shared.name)}`: {escape(str(err))}") from None
    return Document(text, (source or "").strip() or shared.name, file_id=meta.id)


def read_input(deps: Deps, *, text: str | None, file_ids: list[str], source: str | None) -> Document:
    """What the input form holds: pasted text or one attached file, not both and not neither. A problem
    names its input (text, file)."""
    if text and file_ids:
        raise UserError("Paste the document or attach it, not both.", field="text")
    if not text and not file_ids:
        raise UserError("Paste the document here, or attach a .md, .txt or .html file.", field="text")
    if not file_ids:
        with about("text"):
            return read_pasted(text or "", source=source)
    with about("file"):
        return read_file(deps, slack_files.file_meta(deps, file_ids[0]), source=source)


def check_document_text(raw: bytes) -> str:
    """`raw` as a document's text; DocumentProblem (its message escaped for Slack) saying why not."""
    try:
        return check_document(raw, max_bytes=MAX_BYTES)
    except DocumentError as err:
        raise DocumentProblem(escape(str(err))) from None


def _title_or(text: str, fallback: str) -> str:
    """The document's title when its first line is a top-level heading (``# Five Whys: …``)."""
    first = next((line.strip() for line in text.split("\n") if line.strip()), "")
    if first.startswith("# ") and first[2:].strip():
        return truncate(first[2:].strip(), 120)
    return fallback


def pending_file(deps: Deps, *, user_id: str, channel_id: str) -> str | None:
    """The file `user_id` shared in `channel_id` within the last hour and has not extracted yet."""
    with deps.uow(readonly=True) as session:
        row = store.shared_file(
            session, user_id=user_id, channel_id=channel_id, since=deps.now() - FILE_WINDOW
        )
        return row.file_id if row is not None else None


def remember_file(deps: Deps, *, user_id: str, channel_id: str, file_id: str) -> None:
    with deps.uow() as session:
        store.remember_file(session, user_id=user_id, channel_id=channel_id, file_id=file_id, now=deps.now())


# --- the preview ----------------------------------------------------------------------------------


def prepare(
    deps: Deps,
    *,
    user_id: str,
    channel_id: str,
    document: Document,
    incident_id: str | None = None,
    after_draft: Any = None,
) -> Preview:
    """Extract the items, flag duplicates, and keep them as a draft for the preview.

    Raises NothingActionable (and writes nothing) when the document holds no work. `after_draft(session,
    preview)` runs in the draft's unit of work (e.g. to queue a DM offering the preview)."""
    draft = draft_of(deps, user_id=user_id, channel_id=channel_id, document=document, incident_id=incident_id)
    return keep_draft(deps, draft, after_draft=after_draft)


def draft_of(
    deps: Deps,
    *,
    user_id: str,
    channel_id: str,
    document: Document,
    incident_id: str | None = None,
    owner_map: Mapping[str, str] | None = None,
) -> ExtractionDraft:
    """The draft of `document` (its items, with duplicates flagged), not stored yet; NothingActionable when
    it holds no work. `owner_map` (lowercase name -> user id) names people on top of the workspace's. With
    no `user_id` (the terminal) dates are read in the workspace's TIMEZONE."""
    now = deps.now()
    zone = cached_timezones(deps, [user_id])[user_id] if user_id else deps.settings.tz
    today = now.astimezone(zone).date()
    known = known_users(deps) | {k.lower(): v for k, v in (owner_map or {}).items()}
    result = extract(document.text, today=today, known_users=known)
    if not result.items:
        raise NothingActionable(
            escape(document.source),
            result.nothing_actionable_reason or "every action item in it is already ticked",
            warnings=(*document.notes, *result.warnings),
            done=tuple(i.title for i in result.done),
        )
    tz = get_person(deps, user_id).tz if user_id else deps.settings.tz
    offered = result.items[:MAX_OFFERED]
    owners = check_mentioned_owners(deps, offered)
    rows = [_row(i, item, now=now, tz=tz, deps=deps, owners=owners) for i, item in enumerate(offered)]
    with deps.uow(readonly=True) as session:
        rows = find_duplicates(session, rows, source=document.source, open_limit=OPEN_TITLES_SCANNED)
    draft = ExtractionDraft(
        id=secrets.token_hex(8),
        user_id=user_id,
        channel_id=channel_id,
        source=truncate(document.source, rules.MAX_SOURCE),
        title=truncate(result.title, 200) if result.title else None,
        incident_id=incident_id,
        file_id=document.file_id,
        found=len(result.items),
        items=[r.to_json() for r in rows],
        done=[i.title for i in result.done][:KEPT_NOTES],
        warnings=[*document.notes, *result.warnings][:KEPT_NOTES],
        created_at=now,
    )
    return draft


def keep_draft(deps: Deps, draft: ExtractionDraft, *, after_draft: Any = None) -> Preview:
    """Store `draft` (a week's old drafts go) and return its preview."""
    with deps.uow() as session:
        store.purge_drafts(session, before=draft.created_at - DRAFT_LIFETIME)
        session.add(draft)
        session.flush()
        preview = preview_of(draft)
        if after_draft is not None:
            after_draft(session, preview)
    return preview


def load_preview(deps: Deps, *, draft_id: str, user_id: str) -> Preview:
    """The draft `draft_id` of `user_id`, as its preview shows it; UserError when it is gone."""
    with deps.uow(readonly=True) as session:
        draft = store.get_draft(session, draft_id=draft_id)
        if draft is None or draft.user_id != user_id:
            raise UserError(GONE)
        return preview_of(draft)


def set_ticks(deps: Deps, *, draft_id: str, user_id: str, ticks: dict[int, bool]) -> Preview:
    """Remember which of the draft's rows the person ticked (the rows of the page they saw)."""

    def tick(rows: list[Row]) -> list[Row]:
        return [replace(r, included=ticks[r.index]) if r.index in ticks else r for r in rows]

    return _change(deps, draft_id=draft_id, user_id=user_id, change=tick)


def edit(deps: Deps, *, draft_id: str, user_id: str, index: int, change: RowChange) -> Preview:
    """The draft with row `index` as the person edited it (`Invalid` names each bad input; nothing is
    kept then). An owner must be a person of this workspace; an edited row is ticked."""
    if change.owner_id:
        person = get_person(deps, change.owner_id)
        why = None
        if not person.known:
            why = "That person is not in this workspace."
        elif person.deleted or person.is_bot:
            why = "Pick a person: a bot or a deactivated account cannot own an item."
        if why:
            raise UserError(why, field="owner")
    tz = get_person(deps, user_id).tz
    now = deps.now()

    def apply(rows: list[Row]) -> list[Row]:
        if not any(r.index == index for r in rows):
            raise UserError(GONE)
        return [
            replace(
                edit_row(
                    r, change, now=now, tz=tz, policy=deps.settings.deadline_policy, end_of_day=END_OF_DAY
                ),
                included=True,
            )
            if r.index == index
            else r
            for r in rows
        ]

    return _change(deps, draft_id=draft_id, user_id=user_id, change=apply)


def _change(deps: Deps, *, draft_id: str, user_id: str, change: Any) -> Preview:
    """One unit of work: the draft's rows through `change`; UserError when it is gone or used."""
    with deps.uow() as session:
        draft = store.get_draft(session, draft_id=draft_id)
        if draft is None or draft.user_id != user_id:
            raise UserError(GONE)
        if draft.used_at is None:
            rows = change([Row.from_json(r) for r in draft.items])
            draft.items = [r.to_json() for r in rows]
            session.add(draft)
            session.flush()
        return preview_of(draft)


GONE = "That preview is no longer available (previews are kept for a week). Run `/remediate extract` again."


def preview_of(draft: ExtractionDraft) -> Preview:
    """What the preview shows of `draft`, stored or not."""
    return Preview(
        draft_id=draft.id,
        user_id=draft.user_id,
        source=draft.source,
        title=draft.title,
        incident_id=draft.incident_id,
        rows=tuple(Row.from_json(r) for r in draft.items),
        found=draft.found,
        done=tuple(draft.done),
        warnings=tuple(draft.warnings),
        created_ids=tuple(draft.created_ids),
        used=draft.used_at is not None,
    )


def _row(
    index: int,
    item: ExtractedItem,
    *,
    now: datetime,
    tz: Any,
    deps: Deps,
    owners: dict[str, str | None],
) -> Row:
    notes: list[str] = []
    title = " ".join(item.title.split())
    description = item.description
    if len(title) > rules.MAX_TITLE:
        description = description or title
        title = title[: rules.MAX_TITLE - 1] + "…"
    if description:
        notes.append("title shortened; the full text is in the description")
    owner_id = item.owner_user_id
    if owner_id is not None and owner_id in owners:
        problem = owners[owner_id]
        if problem:
            notes.append(problem)
            owner_id = None
    due_at = None
    if item.due is not None:
        due_at = datetime.combine(item.due, item.due_time or END_OF_DAY, tzinfo=tz)
    default = rules.default_deadline(item.priority, now, deps.settings.deadline_policy)
    deadline = due_at if due_at is not None and due_at > now else default.astimezone(tz)
    if item.due is not None and due_at is not None and due_at <= now:
        notes.append(f"the due date {item.due.isoformat()} has passed; it gets the {item.priority} default")
    systems = [s for s in rules.split_systems(item.systems) if len(s) <= rules.MAX_SYSTEM_NAME]
    return Row(
        index=index,
        title=title,
        priority=item.priority,
        priority_reason=item.priority_reason,
        kind=item.kind,
        owner_written=item.owner,
        owner_id=owner_id,
        due=item.due,
        due_at=due_at,
        deadline=deadline,
        systems=tuple(dict.fromkeys(systems))[: rules.MAX_SYSTEMS],
        criteria=_bounded(item.success_criteria, rules.MAX_CRITERIA),
        prevention=_bounded(item.prevention, rules.MAX_PREVENTION),
        evidence=tuple(truncate(e, rules.MAX_EVIDENCE_REF) for e in item.evidence[:20]),
        line=item.line,
        section=truncate(item.section, 200),
        notes=tuple(notes),
        description=truncate(description, rules.MAX_DESCRIPTION // 2),
    )


def _bounded(texts: tuple[str, ...], most: int) -> tuple[str, ...]:
    unique = dict.fromkeys(" ".join(t.split()) for t in texts if t.strip())
    return tuple(truncate(t, rules.MAX_TEXT) for t in unique)[:most]


# --- a document shared with the bot in a DM --------------------------------------------------------


def answer_file_in_dm(deps: Deps, *, user_id: str, channel_id: str, file_id: str) -> None:
    """Read a file shared with the bot in a DM and answer there: a button that opens the preview, or
    why it cannot be read, or that nothing in it is work to track. Only the answer is written then.
    Files from bots (the bot's own uploads among them) are ignored."""
    if get_person(deps, user_id).is_bot:
        return
    try:
        meta = slack_files.file_meta(deps, file_id)
        document = read_file(deps, meta)

        def offer(session: Any, preview: Preview) -> None:
            text, blocks = deps.render.extraction.offer_message(preview)
            outbox.send_dm(session, now=deps.now(), user_id=user_id, text=text, blocks=blocks)

        prepare(deps, user_id=user_id, channel_id=channel_id, document=document, after_draft=offer)
    except NothingActionable as problem:
        _dm(deps, user_id, *deps.render.extraction.nothing_message(problem))
    except UserError as err:
        _dm(deps, user_id, *deps.render.extraction.refusal_message(err.message))


def _dm(deps: Deps, user_id: str, text: str, blocks: list[dict[str, Any]]) -> None:
    with deps.uow() as session:
        outbox.send_dm(session, now=deps.now(), user_id=user_id, text=text, blocks=blocks)
