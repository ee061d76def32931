"""Block Kit for extracting items from documents: the input form, the preview, and what follows. Pure.

The preview stays within a modal's 100 blocks for any document: it shows `PAGE` rows at a time (two blocks
each: the whole title with its fields and notes, then its "Create" box and Edit button) with buttons to
the other pages; at most `MAX_OFFERED` items are offered (the service counts the rest). All document text
is escaped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.core.extraction_preview import PAGE, NothingActionable, Preview, Row, page_of
from bot.core.items import rules
from bot.core.records import ItemRecord
from bot.core.timing.deadlines import END_OF_DAY
from bot.slack.blocks.format import escape, truncate, user
from bot.slack.blocks.items.text import item_line, open_button
from bot.slack.blocks.kit import actions, button, input_block, option, select, text_input
from bot.slack.blocks.replies import context, section
from bot.slack.ids import Action, ExtractInput, View, keyed

PASTE_LIMIT = 3000  # Slack's longest plain_text_input
MAX_FILE_KB = 200
TITLE = "Extract items"
_MENTION = re.compile(r"&lt;@([UW][A-Z0-9]{2,})&gt;")  # user mentions in notes stay mentions; nothing else
MESSAGE_ROWS = 40  # items listed one per section in a message; the rest are named in one line


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _md(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def _meta(data: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in data.items() if v}, separators=(",", ":"))


def _modal(
    callback: View, title: str, blocks: list[dict[str, Any]], meta: dict[str, Any], submit: str | None
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback.value,
        "title": _plain(truncate(title, 24)),
        "close": _plain("Cancel" if submit else "Close"),
        "private_metadata": _meta(meta),
        "blocks": blocks,
    }
    if submit:
        view["submit"] = _plain(submit)
    return view


# --- the input form -------------------------------------------------------------------------------


def input_modal(
    *, channel_id: str, incident_id: str | None = None, source: str | None = None, note: str | None = None
) -> dict[str, Any]:
    """The form `/remediate extract` opens: paste the document, or attach it; an optional source."""
    intro = (
        "Paste a Five Whys analysis, a post-mortem or a remediation plan (Markdown or plain text), or attach "
        f"it as a `.md` or `.txt` file of up to {MAX_FILE_KB} KB. You will see every item I find before "
        "anything is created."
    )
    if incident_id:
        intro += f"\nItems will be linked to *{escape(incident_id)}*."
    blocks: list[dict[str, Any]] = [section(intro)]
    if note:
        blocks.append(context(f":information_source: {note}"))
    blocks += [
        {
            "type": "input",
            "block_id": ExtractInput.TEXT.value,
            "label": _plain("Document"),
            "optional": True,
            "hint": _plain(f"Up to {PASTE_LIMIT:,} characters here; attach a file for a longer document."),
            "element": {
                "type": "plain_text_input",
                "action_id": ExtractInput.TEXT.value,
                "multiline": True,
                "max_length": PASTE_LIMIT,
                "placeholder": _plain("## Action Items\n- [ ] Add a health check - Owner: @alice - Due: …"),
            },
        },
        {
            "type": "input",
            "block_id": ExtractInput.FILE.value,
            "label": _plain("…or attach the document"),
            "optional": True,
            "element": {
                "type": "file_input",
                "action_id": ExtractInput.FILE.value,
                "filetypes": ["md", "txt"],
                "max_files": 1,
            },
        },
        {
            "type": "input",
            "block_id": ExtractInput.SOURCE.value,
            "label": _plain("Source"),
            "optional": True,
            "hint": _plain("A link or file name; every item created records it."),
            "element": {
                "type": "plain_text_input",
                "action_id": ExtractInput.SOURCE.value,
                "max_length": 500,
                "placeholder": _plain("STARTUP_FAILURE_FIVE_WHYS_ANALYSIS.md"),
                **({"initial_value": source[:500]} if source else {}),
            },
        },
    ]
    meta = {"channel": channel_id, "incident": incident_id}
    return _modal(View.EXTRACT_INPUT, TITLE, blocks, meta, "Preview")


# --- the preview ----------------------------------------------------------------------------------


def _when(row: Row) -> str:
    """The deadline as a date in the reader's time zone."""
    day = f"{row.deadline.day} {row.deadline:%b %Y}"
    return f"due {day}" if not row.uses_default_deadline else f"default due {day}"


def _owner(row: Row) -> str:
    if row.owner_id:
        return user(row.owner_id)
    return "no owner"


def _notes(row: Row) -> list[str]:
    """What the reader should know about a row beyond its title and fields."""
    out: list[str] = []
    if row.duplicate_of:
        out.append(f":warning: {escape(row.duplicate_why or 'duplicate')}: *{escape(row.duplicate_of)}*")
    if row.owner_written and not row.owner_id:
        out.append(f"owner “{escape(truncate(row.owner_written, 80))}” is not a Slack user I know")
    out.extend(_MENTION.sub(r"<@\1>", escape(n)) for n in row.notes)
    if row.description and not row.edited:
        out.append(f"_full text:_ {escape(truncate(row.description, 600))}")
    return out


def tick_block_id(index: int) -> str:
    return f"{ExtractInput.TICK.value}_{index}"


_TICK_BLOCK = re.compile(re.escape(ExtractInput.TICK.value) + r"_([0-9]{1,4})")


def read_ticks(view: dict[str, Any] | None) -> dict[int, bool]:
    """The "Create" boxes of the page a preview `view` shows, as its state holds them: row index -> ticked.
    A row the state does not hold is left out (the draft keeps what it had)."""
    values = ((view or {}).get("state") or {}).get("values") or {}
    ticks: dict[int, bool] = {}
    if not isinstance(values, dict):
        return ticks
    for block_id, elements in values.items():
        match = _TICK_BLOCK.fullmatch(str(block_id))
        if not match or not isinstance(elements, dict):
            continue
        for element in elements.values():
            if isinstance(element, dict) and element.get("type") == "checkboxes":
                chosen = element.get("selected_options") or []
                ticks[int(match.group(1))] = any(
                    isinstance(o, dict) and o.get("value") == TICKED for o in chosen
                )
    return ticks


TICKED = "create"


def _row_blocks(row: Row) -> list[dict[str, Any]]:
    """A row: its whole title and what it will be created with, then its "Create" box and Edit button."""
    fields = f"`{row.priority}` · {_owner(row)} · {_when(row)} · {row.kind}"
    if row.edited:
        fields += " · _edited_"
    lines = [f"*{row.index + 1}.* {escape(row.title)}", fields, *_notes(row)]
    box = {"text": _md("*Create*"), "value": TICKED}
    tick: dict[str, Any] = {
        "type": "checkboxes",
        "action_id": keyed(Action.EXTRACT_TICK, row.index),
        "options": [box],
    }
    if row.checked:
        tick["initial_options"] = [box]
    edit = button("Edit", keyed(Action.EXTRACT_EDIT, row.index), str(row.index))
    return [
        section(truncate("\n".join(lines), 3000)),
        actions([tick, edit], block_id=tick_block_id(row.index)),
    ]


def _pager(page: int, pages: int, total: int, shown: tuple[Row, ...]) -> list[dict[str, Any]]:
    if pages <= 1:
        return []
    first, last = shown[0].index + 1, shown[-1].index + 1
    buttons = []
    if page > 0:
        buttons.append(
            button(
                f"Back to items {first - PAGE} to {first - 1}",
                keyed(Action.EXTRACT_PAGE, "prev"),
                str(page - 1),
            )
        )
    if page < pages - 1:
        upto = min(total, last + PAGE)
        buttons.append(
            button(f"On to items {last + 1} to {upto}", keyed(Action.EXTRACT_PAGE, "next"), str(page + 1))
        )
    return [
        context(
            f"*Items {first} to {last} of {total}* (page {page + 1} of {pages}). "
            "Your ticks and edits are kept on every page."
        ),
        actions(buttons, block_id="extract_pages"),
    ]


def preview_modal(preview: Preview, *, page: int = 0, problem: str | None = None) -> dict[str, Any]:
    """One page of the preview: per row its whole title, priority, owner, deadline and kind, a "Create"
    box (ticked unless it duplicates an existing item) and an Edit button; pages of `PAGE` rows with a
    way through them; notes on what could not be read; ticked items reported as done."""
    rows = preview.rows
    page, shown = page_of(rows, page)
    pages = max(1, -(-len(rows) // PAGE))
    noun = "item" if preview.found == 1 else "items"
    head = f"*{preview.found} {noun}* found in *{escape(preview.source)}*"
    if preview.incident_id:
        head += f", to be linked to *{escape(preview.incident_id)}*"
    ticked = sum(1 for r in rows if r.checked)
    head += (
        f". {ticked} of {len(rows)} ticked. *Edit* changes an item's title, priority, owner, deadline or "
        "kind; nothing is created until you press *Create items*."
    )
    blocks: list[dict[str, Any]] = [section(head)]
    if problem:
        blocks.insert(0, section(f":warning: *{escape(problem)}*"))
    duplicates = sum(1 for r in rows if r.duplicate_of and not r.checked)
    if duplicates:
        blocks.append(
            context(f":warning: {duplicates} look like items that already exist; they start unticked.")
        )
    if preview.found > len(rows):
        blocks.append(
            context(
                f":scissors: Only the first {len(rows)} of {preview.found} items are offered here. "
                "Split the document to track the rest."
            )
        )
    pager = _pager(page, pages, len(rows), shown)
    blocks += pager[:1]
    for row in shown:
        blocks += _row_blocks(row)
    blocks += pager[1:]
    blocks += _footer(preview.done, preview.warnings)
    meta = {"draft": preview.draft_id, "page": str(page)}
    return _modal(View.EXTRACT_PREVIEW, "Review items", blocks, meta, "Create items")


PRIORITY_NAMES = {"P0": "P0 · critical", "P1": "P1 · high", "P2": "P2 · medium", "P3": "P3 · low"}


def edit_modal(row: Row, *, draft_id: str, page: int, parent: str) -> dict[str, Any]:
    """One row's form: its title, priority, owner, deadline (empty: the priority's default) and kind.
    Saving it goes back to the preview, which shows the row as edited."""
    where = f"Line {row.line}" + (f", {escape(truncate(row.section, 200))}" if row.section else "")
    intro = [f"*Item {row.index + 1}* · {where}"]
    if row.description:
        intro.append(f"_Full text:_ {escape(truncate(row.description, 2000))}")
    date_element: dict[str, Any] = {"type": "datepicker"}
    if not row.uses_default_deadline and row.due_at is not None:
        date_element["initial_date"] = row.deadline.date().isoformat()
    owner_element: dict[str, Any] = {"type": "users_select", "placeholder": _plain("Who does the work")}
    if row.owner_id:
        owner_element["initial_user"] = row.owner_id
    blocks = [
        section(truncate("\n".join(intro), 3000)),
        input_block(
            ExtractInput.TITLE.value,
            "Title",
            text_input(initial=row.title, max_length=rules.MAX_TITLE),
        ),
        input_block(
            ExtractInput.PRIORITY.value,
            "Priority",
            select([option(v, k) for k, v in PRIORITY_NAMES.items()], initial=row.priority),
            hint=f"Suggested: {row.priority_reason}"[:150] if row.priority_reason else None,
        ),
        input_block(ExtractInput.OWNER.value, "Owner", owner_element, optional=True),
        input_block(
            ExtractInput.DEADLINE.value,
            "Deadline",
            date_element,
            optional=True,
            hint=f"Due at {END_OF_DAY:%H:%M} your time that day. Empty: the priority's default deadline.",
        ),
        input_block(
            ExtractInput.KIND.value,
            "Kind",
            select([option(k.capitalize(), k) for k in rules.KINDS], initial=row.kind),
        ),
    ]
    meta = {"draft": draft_id, "row": str(row.index), "page": str(page), "parent": parent}
    return _modal(View.EXTRACT_EDIT, f"Edit item {row.index + 1}", blocks, meta, "Save")


def reading_modal(what: str) -> dict[str, Any]:
    """What a shortcut opens at once (its trigger lasts 3 seconds) while it reads the thread."""
    return _modal(View.EXTRACT_PREVIEW, TITLE, [section(f":hourglass_flowing_sand: {what}")], {}, None)


def _footer(done: tuple[str, ...], warnings: tuple[str, ...]) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if done:
        shown = "; ".join(escape(truncate(t, 120)) for t in done[:20])
        more = f" (and {len(done) - 20} more)" if len(done) > 20 else ""
        blocks.append(
            context(
                truncate(f":white_check_mark: Already done in the document, not created: {shown}{more}", 3000)
            )
        )
    if warnings:
        shown = "\n".join(f"• {escape(truncate(w, 200))}" for w in warnings[:15])
        more = f"\n… and {len(warnings) - 15} more" if len(warnings) > 15 else ""
        blocks.append(context(truncate(f":grey_question: I could not read everything:\n{shown}{more}", 3000)))
    return blocks


# --- after the preview -----------------------------------------------------------------------------


def nothing_modal(problem: NothingActionable) -> dict[str, Any]:
    """What the form turns into when the document holds no work: says so, creates nothing."""
    blocks = [section(f":mag: {problem.message} Nothing was created.")]
    blocks += _footer(problem.done, problem.warnings)
    return _modal(View.EXTRACT_PREVIEW, "Nothing to track", blocks, {}, None)


def created_modal(source: str, ids: tuple[str, ...], *, again: bool) -> dict[str, Any]:
    listed = ", ".join(f"*{escape(i)}*" for i in ids)
    noun = "item" if len(ids) == 1 else "items"
    if again:
        text = (
            f"This preview was already used: it created {len(ids)} {noun} ({listed}). "
            "Nothing new was created."
        )
    else:
        text = f":white_check_mark: Created {len(ids)} {noun} from *{escape(source)}*: {listed}."
    blocks = [section(truncate(text, 3000)), context("`/remediate list mine` shows your items.")]
    return _modal(View.EXTRACT_PREVIEW, "Items created", blocks, {}, None)


def message_modal(title: str, text: str) -> dict[str, Any]:
    return _modal(View.EXTRACT_PREVIEW, title, [section(text)], {}, None)


# --- messages in a DM with the bot ----------------------------------------------------------------


def offer_message(preview: Preview) -> tuple[str, list[dict[str, Any]]]:
    """The answer to a document shared with the bot in a DM: what was found, and a button to review it."""
    noun = "item" if preview.found == 1 else "items"
    text = (
        f"I found {preview.found} {noun} in {escape(preview.source)}. Review them before anything is created."
    )
    button = {
        "type": "button",
        "text": _plain(f"Review {preview.found} {noun}"[:75]),
        "action_id": Action.EXTRACT_REVIEW.value,
        "value": preview.draft_id,
        "style": "primary",
    }
    blocks = [
        {"type": "section", "text": _md(truncate(f":page_facing_up: {text}", 3000)), "accessory": button}
    ]
    return text, blocks


def refusal_message(message: str) -> tuple[str, list[dict[str, Any]]]:
    return message, [section(f":warning: {message}")]


def nothing_message(problem: NothingActionable) -> tuple[str, list[dict[str, Any]]]:
    text = f"{problem.message} Nothing was created."
    return text, [section(f":mag: {text}"), *_footer(problem.done, problem.warnings)]


def preview_or_done(preview: Preview, *, page: int = 0) -> dict[str, Any]:
    """The preview (at `page`), or what it created when it has been used."""
    if preview.used:
        return created_modal(preview.source, preview.created_ids, again=True)
    return preview_modal(preview, page=page)


# --- after the items are created ------------------------------------------------------------------


def _item_blocks(items: Sequence[ItemRecord], now: datetime) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "text": _md(truncate(item_line(item, now), 3000)),
            "accessory": open_button(item.id),
        }
        for item in items[:MESSAGE_ROWS]
    ]
    if len(items) > MESSAGE_ROWS:
        rest = ", ".join(i.id for i in items[MESSAGE_ROWS:])
        blocks.append(context(f"… and {len(items) - MESSAGE_ROWS} more: {rest}"))
    return blocks


def summary_text(source: str, ids: list[str]) -> str:
    """``Extracted 3 items from X.md: P0-…, P1-…, P2-…`` (mrkdwn-safe; the message's fallback text)."""
    noun = "item" if len(ids) == 1 else "items"
    return truncate(f"Extracted {len(ids)} {noun} from {escape(source)}: {', '.join(ids)}", 3000)


def _who(actor_id: str) -> str:
    """Who extracted: a person, or `remediate extract-issues` on a terminal (no Slack user)."""
    return user(actor_id) if actor_id else "`remediate extract-issues`"


def summary_message(
    *, actor_id: str, source: str, incident_id: str | None, items: Sequence[ItemRecord], now: datetime
) -> tuple[str, list[dict[str, Any]]]:
    """The one message that says what an extraction created: every id, with its title, owner and due."""
    noun = "item" if len(items) == 1 else "items"
    head = f":memo: {_who(actor_id)} extracted {len(items)} {noun} from *{escape(source)}*"
    if incident_id:
        head += f" for *{escape(incident_id)}*"
    blocks = [section(head + ":"), *_item_blocks(items, now)]
    return summary_text(source, [i.id for i in items]), blocks


def owner_message(
    *, actor_id: str, source: str, items: Sequence[ItemRecord], now: datetime
) -> tuple[str, list[dict[str, Any]]]:
    """The DM to an owner named in the document: every item of theirs the extraction created."""
    noun = "a remediation item" if len(items) == 1 else f"{len(items)} remediation items"
    head = f":inbox_tray: {_who(actor_id)} extracted {noun} from *{escape(source)}* and made you the owner:"
    listed = ", ".join(f"{i.id} {escape(truncate(i.title, 80))}" for i in items[:10])
    return truncate(f"{head} {listed}", 3000), [section(head), *_item_blocks(items, now)]
