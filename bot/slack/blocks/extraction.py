"""Block Kit for extracting items from documents: the input form, the preview, and what follows. Pure.

The preview stays within a modal's 100 blocks for any document: ten items per checkbox group (Slack's
limit), one context block of notes under a group only when one of its items needs a word, and at most
`MAX_OFFERED` items offered (the service counts the rest). All document text is escaped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.core.extraction_preview import NothingActionable, Preview, Row
from bot.core.records import ItemRecord
from bot.slack.blocks.format import escape, truncate, user
from bot.slack.blocks.items.text import item_line, open_button
from bot.slack.blocks.replies import context, section
from bot.slack.ids import Action, ExtractInput, View

GROUP = 10  # options per checkbox group
OPTION_TEXT = 75  # characters of an option's text and of its description
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


def pick_block_id(group: int) -> str:
    return f"{ExtractInput.PICK.value}_{group}"


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


def _fit(prefix: str, text: str, suffix: str = "", limit: int = OPTION_TEXT) -> str:
    """``prefix + escape(text) + suffix`` cut (before escaping, so no entity is split) to `limit`."""
    room = limit - len(prefix) - len(suffix)
    shown = escape(text)
    while len(shown) > room and text:
        text = text[: max(0, min(len(text) - 1, room - 1))]
        shown = escape(text) + "…"
    return prefix + shown + suffix


def _when(row: Row) -> str:
    """The deadline as a date in the reader's time zone (a ``<!date>`` token would not fit an option)."""
    day = f"{row.deadline.day} {row.deadline:%b %Y}"
    return f"due {day}" if not row.uses_default_deadline else f"default due {day}"


def _owner(row: Row) -> str:
    if row.owner_id:
        return user(row.owner_id)
    return "no owner"


def _option(row: Row) -> dict[str, Any]:
    description = f"{row.priority} · {_owner(row)} · {_when(row)}"
    if len(description) > OPTION_TEXT:
        description = f"{row.priority} · {_owner(row)}"
    return {
        "text": _md(_fit(f"*{row.index + 1}.* ", row.title)),
        "description": _md(description[:OPTION_TEXT]),
        "value": str(row.index),
    }


def _notes(row: Row) -> list[str]:
    """What the reader should know about a row beyond its checkbox."""
    out: list[str] = []
    if row.duplicate_of:
        out.append(f":warning: {escape(row.duplicate_why or 'duplicate')}: *{escape(row.duplicate_of)}*")
    if len(escape(row.title)) + len(f"*{row.index + 1}.* ") > OPTION_TEXT:
        out.append(f"_{escape(truncate(row.title, 300))}_")
    if row.owner_written and not row.owner_id:
        out.append(f"owner “{escape(truncate(row.owner_written, 80))}” is not a Slack user I know")
    out.extend(_MENTION.sub(r"<@\1>", escape(n)) for n in row.notes)
    return out


def _group(rows: list[Row], number: int, first_of: int) -> list[dict[str, Any]]:
    options = [_option(r) for r in rows]
    element: dict[str, Any] = {
        "type": "checkboxes",
        "action_id": pick_block_id(number),
        "options": options,
    }
    chosen = [o for o, r in zip(options, rows, strict=True) if r.checked]
    if chosen:
        element["initial_options"] = chosen
    last = rows[-1].index + 1
    label = f"Items {rows[0].index + 1} to {last} of {first_of}" if first_of > GROUP else "Items"
    blocks: list[dict[str, Any]] = [
        {
            "type": "input",
            "block_id": pick_block_id(number),
            "label": _plain(label),
            "optional": True,
            "element": element,
        }
    ]
    lines = [f"*{r.index + 1}.* " + "; ".join(notes) for r in rows if (notes := _notes(r))]
    if lines:
        blocks.append(context(truncate("\n".join(lines), 3000)))
    return blocks


def preview_modal(preview: Preview) -> dict[str, Any]:
    """One checkbox per item (ticked unless it duplicates an existing item), its priority, owner and
    deadline; notes on what could not be read; ticked items reported as done."""
    rows = list(preview.rows)
    noun = "item" if preview.found == 1 else "items"
    head = f"*{preview.found} {noun}* found in *{escape(preview.source)}*"
    if preview.incident_id:
        head += f", to be linked to *{escape(preview.incident_id)}*"
    head += ". Untick what you do not want; nothing is created until you press *Create items*."
    blocks: list[dict[str, Any]] = [section(head)]
    duplicates = sum(1 for r in rows if not r.checked)
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
    for number, start in enumerate(range(0, len(rows), GROUP)):
        blocks += _group(rows[start : start + GROUP], number, len(rows))
    blocks += _footer(preview.done, preview.warnings)
    meta = {"draft": preview.draft_id}
    return _modal(View.EXTRACT_PREVIEW, "Review items", blocks, meta, "Create items")


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


def preview_or_done(preview: Preview) -> dict[str, Any]:
    """The preview, or what it created when it has been used."""
    if preview.used:
        return created_modal(preview.source, preview.created_ids, again=True)
    return preview_modal(preview)


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


def summary_message(
    *, actor_id: str, source: str, incident_id: str | None, items: Sequence[ItemRecord], now: datetime
) -> tuple[str, list[dict[str, Any]]]:
    """The one message that says what an extraction created: every id, with its title, owner and due."""
    noun = "item" if len(items) == 1 else "items"
    head = f":memo: {user(actor_id)} extracted {len(items)} {noun} from *{escape(source)}*"
    if incident_id:
        head += f" for *{escape(incident_id)}*"
    blocks = [section(head + ":"), *_item_blocks(items, now)]
    return summary_text(source, [i.id for i in items]), blocks


def owner_message(
    *, actor_id: str, source: str, items: Sequence[ItemRecord], now: datetime
) -> tuple[str, list[dict[str, Any]]]:
    """The DM to an owner named in the document: every item of theirs the extraction created."""
    noun = "a remediation item" if len(items) == 1 else f"{len(items)} remediation items"
    head = f":inbox_tray: {user(actor_id)} extracted {noun} from *{escape(source)}* and made you the owner:"
    listed = ", ".join(f"{i.id} {escape(truncate(i.title, 80))}" for i in items[:10])
    return truncate(f"{head} {listed}", 3000), [section(head), *_item_blocks(items, now)]
