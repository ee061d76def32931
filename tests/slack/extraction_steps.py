"""Steps shared by the extraction tests: the fixture documents, a workspace that knows their owners, the
forms, the preview's rows, and what ended up in the database."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

from sqlmodel import select

from bot.core.extraction import Extraction, extract
from bot.slack.ids import ExtractInput, View
from storage.models import RemediationItem
from tests.fakes.signing import SlackDriver, checkboxes, plain_value, static_select, users_select
from tests.fakes.slack_api import FakeSlack
from tests.support import BotHarness, snapshot

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "analyses"
DOCUMENTS = sorted(p for p in FIXTURES.iterdir() if p.is_file())


@dataclass(frozen=True)
class Fixture:
    path: Path
    text: str
    today: date
    known_users: dict[str, str]

    @property
    def name(self) -> str:
        return self.path.name


def fixture(path: Path) -> Fixture:
    expected = json.loads((FIXTURES / "expected" / f"{path.stem}.json").read_text())
    return Fixture(
        path,
        path.read_bytes().decode("utf-8"),
        date.fromisoformat(expected["today"]),
        dict(expected["known_users"]),
    )


def add_people(fake: FakeSlack, doc: Fixture) -> None:
    """Make the people a fixture names members of the fake workspace: a one-word name is the handle, a
    name with a space the real name; the <@U…> mentions in the text become members too."""
    by_id: dict[str, list[str]] = {}
    for name, user_id in doc.known_users.items():
        by_id.setdefault(user_id, []).append(name)
    for user_id, names in by_id.items():
        handles = [n for n in names if " " not in n]
        full = [n for n in names if " " in n]
        handle = handles[0] if handles else full[0].replace(" ", ".")
        fake.add_user(user_id, handle, real_name=full[0].title() if full else handle)
    for user_id, label in re.findall(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>", doc.text):
        if fake.user_info(user_id) is None:
            fake.add_user(user_id, label or user_id.lower())


def workspace_names(fake: FakeSlack) -> dict[str, str]:
    """What the workspace's users are called (handle, real name, display name) -> their ids."""
    from slack_sdk import WebClient

    client = WebClient(token=fake.token, base_url=fake.url)
    names: dict[str, str] = {}
    for member in client.users_list(limit=1000)["members"]:
        if member.get("deleted") or member.get("is_bot"):
            continue
        profile = member.get("profile") or {}
        for key in (member.get("name"), member.get("real_name"), profile.get("display_name")):
            if key:
                names[key.lower()] = member["id"]
    return names


def expected(doc: Fixture, fake: FakeSlack) -> Extraction:
    """What the extractor reads in the fixture with the workspace's names."""
    return extract(doc.text, today=doc.today, known_users=workspace_names(fake))


def at_noon_utc(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 15, 0, tzinfo=UTC)


def paste(text: str | None, *, source: str | None = None) -> dict[str, dict[str, Any]]:
    return {
        ExtractInput.TEXT.value: {ExtractInput.TEXT.value: plain_value(text)},
        ExtractInput.FILE.value: {ExtractInput.FILE.value: {"type": "file_input", "files": []}},
        ExtractInput.SOURCE.value: {ExtractInput.SOURCE.value: plain_value(source)},
    }


def attach(file_id: str, name: str, *, source: str | None = None) -> dict[str, dict[str, Any]]:
    values = paste(None, source=source)
    values[ExtractInput.FILE.value] = {
        ExtractInput.FILE.value: {"type": "file_input", "files": [{"id": file_id, "name": name}]}
    }
    return values


def open_form(slack: SlackDriver, fake: FakeSlack, args: str = "", *, user: str = "UALICE") -> dict:
    reply = slack.command("/remediate", f"extract {args}".strip(), user=user)
    assert reply.status == 200 and not reply.text.strip(), reply.text
    return newest_view(fake, View.EXTRACT_INPUT)


def newest_view(fake: FakeSlack, callback: View) -> dict:
    views = [v for v in fake.views.values() if v["callback_id"] == callback.value]
    assert views, f"no open {callback.value} view"
    return views[-1]


def submit_paste(
    slack: SlackDriver, text: str | None, *, source: str | None = None, user: str = "UALICE"
) -> dict[str, Any]:
    reply = slack.view_submission(View.EXTRACT_INPUT.value, paste(text, source=source), user=user)
    assert reply.status == 200, reply.text
    return reply.json() or {}


@dataclass(frozen=True)
class PreviewRow:
    value: str  # the row's index
    text: str  # "*3.* the whole title"
    description: str  # "`P1` · <@UBOB> · due 30 Nov 2026 · corrective" and the notes
    ticked: bool
    block_id: str
    tick_action: str
    edit_action: str


def preview_rows(view: dict[str, Any]) -> list[PreviewRow]:
    """The rows one page of the preview shows: a section (title, fields, notes) then its actions block."""
    rows: list[PreviewRow] = []
    blocks = view["blocks"]
    for above, block in pairwise(blocks):
        if block.get("type") != "actions" or not block.get("block_id", "").startswith(
            ExtractInput.TICK.value
        ):
            continue
        box, edit = block["elements"]
        assert box["type"] == "checkboxes" and edit["type"] == "button"
        first, *rest = above["text"]["text"].split("\n")
        rows.append(
            PreviewRow(
                edit["value"],
                first,
                "\n".join(rest),
                bool(box.get("initial_options")),
                block["block_id"],
                box["action_id"],
                edit["action_id"],
            )
        )
    return rows


def tick(view: dict[str, Any], values: list[str]) -> dict[str, dict[str, Any]]:
    """The state of the preview page `view` with the rows `values` ticked and its other rows unticked."""
    state: dict[str, dict[str, Any]] = {}
    for row in preview_rows(view):
        state[row.block_id] = {row.tick_action: checkboxes(["create"] if row.value in values else [])}
    return state


def confirm(
    slack: SlackDriver, values: list[str], *, user: str = "UALICE", view: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Submit the newest preview (or `view`) with the rows `values` of the page it shows ticked."""
    shown = view or newest_view(slack.fake, View.EXTRACT_PREVIEW)  # type: ignore[arg-type]
    reply = slack.view_submission(
        View.EXTRACT_PREVIEW.value, tick(shown, values), user=user, view_id=shown.get("id")
    )
    assert reply.status == 200, reply.text
    return reply.json() or {}


def items(bot: BotHarness) -> list[RemediationItem]:
    with bot.deps.uow(readonly=True) as session:
        found = list(session.exec(select(RemediationItem).order_by(RemediationItem.id)))  # type: ignore[arg-type]
        session.expunge_all()
    return found


def unchanged_tables(bot: BotHarness) -> dict[str, Any]:
    """Every table but the users.info cache and event claims (a refusal may fill those)."""
    snap = snapshot(bot.deps.engine)
    snap.pop("slack_user", None)
    snap.pop("claim", None)
    return snap


def title_shown(row: PreviewRow, title: str) -> bool:
    """The row shows the whole title (escaped as mrkdwn)."""
    shown = row.text.split(" ", 1)[1]
    return shown.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") == title


def turn_page(slack: SlackDriver, view: dict[str, Any], way: str, *, user: str = "UALICE") -> dict[str, Any]:
    """Press the preview's "prev"/"next" page button; the preview as it then is."""
    reply = slack.block_action(f"extract_page:{way}", view=view["id"], user=user)
    assert reply.status == 200, reply.text
    return slack.fake.views[view["id"]]  # type: ignore[union-attr]


def untick_now(slack: SlackDriver, view: dict[str, Any], row: PreviewRow, *, user: str = "UALICE") -> None:
    """Untick one row's "Create" box, as Slack reports the change at once."""
    reply = slack.block_action(
        row.tick_action,
        view=view["id"],
        user=user,
        action_type="checkboxes",
        action_extra={"selected_options": []},
        state=tick(view, [r.value for r in preview_rows(view) if r.ticked and r.value != row.value]),
    )
    assert reply.status == 200, reply.text


def open_edit(slack: SlackDriver, view: dict[str, Any], row: PreviewRow, *, user: str = "UALICE") -> dict:
    """Press a row's Edit button: the edit form pushed over the preview."""
    reply = slack.block_action(
        row.edit_action,
        view=view["id"],
        user=user,
        state=tick(view, [r.value for r in preview_rows(view) if r.ticked]),
    )
    assert reply.status == 200, reply.text
    pushed = newest_view(slack.fake, View.EXTRACT_EDIT)  # type: ignore[arg-type]
    assert pushed["previous_view_id"] == view["id"]
    return pushed


def edit_values(
    *,
    title: str | None,
    priority: str | None,
    owner: str | None = None,
    deadline: str | None = None,
    kind: str | None = "corrective",
) -> dict[str, dict[str, Any]]:
    return {
        ExtractInput.TITLE.value: {ExtractInput.TITLE.value: plain_value(title)},
        ExtractInput.PRIORITY.value: {ExtractInput.PRIORITY.value: static_select(priority)},
        ExtractInput.OWNER.value: {ExtractInput.OWNER.value: users_select(owner)},
        ExtractInput.DEADLINE.value: {
            ExtractInput.DEADLINE.value: {"type": "datepicker", "selected_date": deadline}
        },
        ExtractInput.KIND.value: {ExtractInput.KIND.value: static_select(kind)},
    }


def save_edit(
    slack: SlackDriver, form: dict[str, Any], values: dict[str, dict[str, Any]], *, user: str = "UALICE"
) -> dict[str, Any]:
    reply = slack.view_submission(View.EXTRACT_EDIT.value, values, view_id=form["id"], user=user)
    assert reply.status == 200, reply.text
    return reply.json() or {}
