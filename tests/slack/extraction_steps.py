"""Steps shared by the extraction tests: the fixture documents, a workspace that knows their owners, the
forms, the preview's rows, and what ended up in the database."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlmodel import select

from bot.core.extraction import Extraction, extract
from bot.slack.ids import ExtractInput, View
from storage.models import RemediationItem
from tests.fakes.signing import SlackDriver, checkboxes, plain_value
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
    value: str
    text: str
    description: str
    ticked: bool


def preview_rows(view: dict[str, Any]) -> list[PreviewRow]:
    rows: list[PreviewRow] = []
    for block in view["blocks"]:
        if block.get("type") != "input" or not block["block_id"].startswith(ExtractInput.PICK.value):
            continue
        element = block["element"]
        ticked = {o["value"] for o in element.get("initial_options") or []}
        for option in element["options"]:
            rows.append(
                PreviewRow(
                    option["value"],
                    option["text"]["text"],
                    option["description"]["text"],
                    option["value"] in ticked,
                )
            )
    return rows


def tick(values: list[str]) -> dict[str, dict[str, Any]]:
    """The preview's state with `values` ticked, ten per group as the form holds them."""
    groups: dict[str, list[str]] = {}
    for value in values:
        block_id = f"{ExtractInput.PICK.value}_{int(value) // 10}"
        groups.setdefault(block_id, []).append(value)
    return {block_id: {block_id: checkboxes(chosen)} for block_id, chosen in groups.items()}


def confirm(slack: SlackDriver, values: list[str], *, user: str = "UALICE") -> dict[str, Any]:
    reply = slack.view_submission(View.EXTRACT_PREVIEW.value, tick(values), user=user)
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
    """The option shows the title, or its beginning when it was cut to fit."""
    shown = row.text.split(" ", 1)[1]
    plain = shown.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return plain == title or (plain.endswith("…") and title.startswith(plain[:-1]))
