"""The hostile-input rig: the real Bolt app driven in-process (fast enough for thousands of examples), a
change counter on every table, and the checks every request must pass.

`DispatchDriver` is a `SlackDriver` whose requests are signed exactly as over HTTP and handed to the app's
``dispatch`` instead of a socket, so every payload builder of the driver (commands, block actions, view
submissions with the fake's view bookkeeping) works unchanged. `World` is one bot on a real SQLite database
with a few items and incidents to aim at; `Observed` is what one request did.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from slack_bolt.request import BoltRequest
from sqlalchemy import Engine, inspect, text

from bot.runtime import Bot
from tests.fakes.signing import Reply, SlackDriver
from tests.fakes.slack_api import FakeSlack
from tests.support import SIGNING_SECRET, USERS, FakeClock, make_settings

# Tables whose rows a refused request may still add: the users.info cache (looking a person up to say
# "there is no such user" is not a change anybody could see).
CACHE_TABLES = frozenset({"slack_user"})
DETACHED = "VDETACHED"  # view ids submitted without a modal the fake opened (see DispatchDriver)


class DispatchDriver(SlackDriver):
    """Signed requests handed to ``app.dispatch`` in this thread: the whole app (signature check, workspace
    guard, de-duplication, listeners, error handler) without the HTTP server."""

    def __init__(self, app: Any, fake: FakeSlack, *, team_id: str = "T0001") -> None:
        super().__init__("http://in-process", SIGNING_SECRET, fake=fake, team_id=team_id)
        self.app = app

    def _find_view(self, callback_id: str, view_id: str | None) -> dict[str, Any] | None:
        # A detached submission (a view id the fake never opened) skips the fake's view bookkeeping, which
        # copies every open modal on each call.
        if view_id is not None and view_id.startswith(DETACHED):
            return None
        return super()._find_view(callback_id, view_id)

    def _send(self, body: bytes, headers: dict[str, str]) -> Reply:
        sent = {k.lower(): v for k, v in headers.items()}
        resp = self.app.dispatch(BoltRequest(body=body.decode("utf-8"), headers=sent))
        body_text = resp.body if isinstance(resp.body, str) else (resp.body or b"").decode("utf-8")
        flat = {k: (v[0] if isinstance(v, list | tuple) and v else str(v)) for k, v in resp.headers.items()}
        return Reply(resp.status, flat, body_text)


def install_change_counter(engine: Engine) -> None:
    """SQLite triggers that count every row inserted, updated or deleted in every table but the caches.

    A refused request must leave the count where it was: exact, whatever the size of the database, and a
    rolled-back transaction counts nothing."""
    tables = [t for t in inspect(engine).get_table_names() if t not in CACHE_TABLES]
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS change_count (n INTEGER NOT NULL)"))
        conn.execute(text("DELETE FROM change_count"))
        conn.execute(text("INSERT INTO change_count (n) VALUES (0)"))
        for table in tables:
            for op in ("INSERT", "UPDATE", "DELETE"):
                conn.execute(
                    text(
                        f'CREATE TRIGGER IF NOT EXISTS "count_{table}_{op.lower()}" AFTER {op} ON "{table}" '
                        "BEGIN UPDATE change_count SET n = n + 1; END"
                    )
                )


def change_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT n FROM change_count")).scalar_one())


def every_row(engine: Engine) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table but the caches (for databases without the change counter)."""
    out: dict[str, list[tuple[str, ...]]] = {}
    with engine.connect() as conn:
        for table in sorted(set(inspect(engine).get_table_names()) - CACHE_TABLES):
            rows = conn.execute(text(f'SELECT * FROM "{table}"')).fetchall()
            out[table] = sorted(tuple(str(v) for v in r) for r in rows)
    return out


class ErrorLog(logging.Handler):
    """Every record at ERROR or above, from any logger, while installed."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []
        self._lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        with self._lock:
            self.records.append(record)

    def take(self) -> list[str]:
        with self._lock:
            out = [
                f"{r.name}: {r.getMessage()}" + (" (with traceback)" if r.exc_info else "")
                for r in self.records
            ]
            self.records.clear()
        return out


@contextmanager
def error_log() -> Iterator[ErrorLog]:
    handler = ErrorLog()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


def refused_count(bot: Bot) -> float:
    """How many requests the app has counted as refused so far (commands, actions and views)."""
    metrics = bot.deps.metrics
    return sum(
        sample.value
        for counter in (metrics.commands, metrics.actions)
        for family in counter.collect()
        for sample in family.samples
        if sample.name.endswith("_total") and sample.labels.get("outcome") == "refused"
    )


def modals_opened(bot: Bot) -> float:
    """views.open and views.push calls the app has made so far (its Slack client counts them)."""
    return sum(
        sample.value
        for family in bot.deps.metrics.slack_calls.collect()
        for sample in family.samples
        if sample.name.endswith("_total") and sample.labels.get("method") in ("views.open", "views.push")
    )


def shown_text(data: Any) -> str:
    """Everything a person reads in an answer (fallback text and blocks), as one string."""
    return json.dumps(data, ensure_ascii=False) if not isinstance(data, str) else data


GENERIC_FAILURE = "Something went wrong on our side"


@dataclass
class Observed:
    """One request: the reply, the log records at ERROR, and whether the database changed."""

    reply: Reply
    errors: list[str]
    changed: bool
    refused: bool
    opened_views: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def assert_sound(self, what: str) -> None:
        """No 5xx, no traceback, no error logged, no generic failure message."""
        assert self.reply.status < 500, f"{what}: HTTP {self.reply.status} {self.reply.text[:300]}"
        assert self.reply.status == 200, f"{what}: HTTP {self.reply.status} {self.reply.text[:300]}"
        assert "Traceback" not in self.reply.text, f"{what}: a traceback in the answer"
        assert GENERIC_FAILURE not in self.reply.text, f"{what}: the error handler answered {self.reply.text}"
        assert not self.errors, f"{what}: errors were logged: {self.errors}"

    def assert_refusal_changed_nothing(self, what: str) -> None:
        if self.refused:
            assert not self.changed, f"{what}: refused, yet the database changed"


@dataclass
class World:
    """One bot (no HTTP server, no sender) on SQLite, with the fake Slack, a fixed clock and things to aim
    at: ``items`` (all reported by Alice, most owned by Bob; the fourth to sixth Completed with two success
    criteria each), ``incidents`` (commander Alice; the second resolved), ``alert`` (an escalation alert on
    an overdue item of Bob's) and ``modals`` (each modal the app opens, by callback id, as it opened it).
    """

    bot: Bot
    fake: FakeSlack
    clock: FakeClock
    driver: DispatchDriver
    items: list[str]
    incidents: list[str]
    alert: int
    modals: dict[str, dict[str, Any]]
    log: ErrorLog
    # What says whether the database changed: the change counter, or every row where there is none.
    fingerprint: Callable[[Engine], Any] = change_count

    @property
    def engine(self) -> Engine:
        return self.bot.deps.engine

    @property
    def ids(self) -> list[str]:
        return [*self.items, *self.incidents, str(self.alert)]

    def observe(self, send: Any) -> Observed:
        before, refused_before = self.fingerprint(self.engine), refused_count(self.bot)
        views_before = modals_opened(self.bot)
        self.log.take()
        reply = send()
        opened = int(modals_opened(self.bot) - views_before)
        data = reply.json()
        refused = refused_count(self.bot) > refused_before or (
            isinstance(data, dict) and data.get("response_action") == "errors"
        )
        return Observed(
            reply=reply,
            errors=self.log.take(),
            changed=self.fingerprint(self.engine) != before,
            refused=refused,
            opened_views=opened,
        )


@contextmanager
def world(tmp: Path, **overrides: Any) -> Iterator[World]:
    """A `World` on a fresh database in `tmp`, torn down afterwards."""
    fake = FakeSlack(token="xoxb-test-token")
    fake.start()
    for uid, (name, tz) in USERS.items():
        fake.add_user(uid, name, real_name=name.title(), tz=tz)
    clock = FakeClock()
    settings = make_settings(
        f"sqlite:///{tmp / 'hostile.db'}", fake.url, **{"escalation_l1": "UDAVE", **overrides}
    )
    bot = Bot(settings, clock=clock, http=False, scheduler=False, sender_poll=0.05)
    try:
        with error_log() as log:
            driver = DispatchDriver(bot.app, fake)
            items, incidents, alert, modals = seed(bot, driver, fake)
            install_change_counter(bot.deps.engine)
            assert not log.take(), "seeding logged errors"
            yield World(bot, fake, clock, driver, items, incidents, alert, modals, log)
    finally:
        bot.deps.engine.dispose()
        fake.stop()


def seed(bot: Bot, driver: SlackDriver, fake: FakeSlack) -> tuple[list[str], list[str], int, dict[str, Any]]:
    """Items, incidents, an escalation alert and every modal opened once, through `driver` (in-process or
    over HTTP): what the hostile examples are aimed at."""
    items = _seed_items(driver)
    incidents = _seed_incidents(bot)
    alert = _seed_alert(bot)
    return items, incidents, alert, _open_every_modal(driver, fake, items, incidents, alert)


def _seed_items(driver: SlackDriver) -> list[str]:
    made = []
    for args in (
        '"Fix the async chain" --priority P0 --owner <@UBOB|bob> --deadline +2d',
        '"Add a startup test" --priority P1 --owner <@UBOB|bob> --status in_progress',
        '"Alert on health checks" --priority P2',
        '"Retry the webhook" --priority P1 --owner <@UBOB|bob> --status in_progress',
        '"Page on queue depth" --priority P2 --owner <@UCAROL|carol> --status in_progress',
        '"Pin the base image" --priority P3 --owner <@UBOB|bob> --status in_progress',
    ):
        reply = driver.command("/remediate", f"track new {args}", user="UALICE")
        data = reply.json()
        assert data and "Created" in data["text"], reply.text
        made.append(data["text"].split("*")[1])
    for item_id, owner in zip(made[3:], ("UBOB", "UCAROL", "UBOB"), strict=True):
        for line in (f'criteria {item_id} add "No retries lost"', f'criteria {item_id} add "Alert fires"'):
            assert "added" in driver.command("/remediate", line, user="UALICE").json()["text"]
        done = driver.command("/remediate", f"track {item_id} --status completed", user=owner).json()
        assert "Updated" in done["text"], done
    return made


def _seed_incidents(bot: Bot) -> list[str]:
    from bot.services.incidents import lifecycle as incidents

    made = []
    for title, severity in (("API returns 500s", "P1"), ("Slow dashboard", "P3")):
        form = incidents.DeclareForm(title=title, severity=severity, impact="Some users")
        made.append(incidents.declare(bot.deps, actor_id="UALICE", form=form).incident.id)
    # the second one resolved, so that close / reopen have something to act on
    incidents.resolve(bot.deps, incident_id=made[1], actor_id="UALICE", summary="cache warmed")
    return made


def _seed_alert(bot: Bot) -> int:
    from bot.jobs.registry import get_job
    from bot.jobs.scheduler import run_job
    from tests.clockwork import add_item, alerts

    now = bot.deps.now()
    item_id = add_item(
        bot.deps, priority="P0", deadline=now - timedelta(hours=5), owner="UBOB", reporter="UALICE"
    )
    run_job(bot.deps, get_job("escalations"), now)
    [alert] = alerts(bot.deps, item_id)
    assert alert.id is not None
    return alert.id


def _open_every_modal(
    driver: SlackDriver, fake: FakeSlack, items: list[str], incidents: list[str], alert: int
) -> dict[str, dict[str, Any]]:
    """Open each modal the way people do and keep it as the fake holds it (blocks, private_metadata)."""
    from bot.slack.ids import Action, ExtractInput, View, keyed

    def newest(callback: str) -> dict[str, Any]:
        found = [v for v in fake.views.values() if v["callback_id"] == callback]
        assert found, f"the {callback} modal did not open"
        return found[-1]

    driver.command("/remediate", "track", user="UCAROL")
    driver.block_action(Action.ITEM_NOTE.value, value=items[0], user="UCAROL")
    driver.block_action(Action.ITEM_REASSIGN.value, value=items[0], user="UALICE")
    driver.command("/remediate", f"validate {items[3]}", user="UCAROL")
    driver.block_action(keyed(Action.ALERT_STATUS_UPDATE, alert), value=str(alert), user="UALICE")
    driver.command("/incident", "declare", user="UCAROL")
    for action in (Action.INCIDENT_UPDATE, Action.INCIDENT_RESOLVE, Action.INCIDENT_ADD_ACTION_ITEM):
        driver.block_action(action.value, value=incidents[0], user="UCAROL")
    driver.command("/remediate", "extract", user="UCAROL")
    modals = {
        v.value: newest(v.value)
        for v in (
            View.ITEM_CREATE,
            View.ITEM_NOTE,
            View.ITEM_REASSIGN,
            View.ITEM_VALIDATE,
            View.ITEM_STATUS_UPDATE,
            View.INCIDENT_DECLARE,
            View.INCIDENT_UPDATE,
            View.INCIDENT_RESOLVE,
            View.INCIDENT_ACTION_ITEM,
            View.EXTRACT_INPUT,
        )
    }
    document = (
        "## Action items\n\n- [ ] P1: Add retries to the webhook sender (owner: @bob, due 2026-12-01)\n"
    )
    field = ExtractInput.TEXT.value
    driver.view_submission(
        View.EXTRACT_INPUT.value,
        {field: {field: {"type": "plain_text_input", "value": document}}},
        user="UCAROL",
        view_id=modals[View.EXTRACT_INPUT.value]["id"],
    )
    preview = modals[View.EXTRACT_PREVIEW.value] = newest(View.EXTRACT_PREVIEW.value)
    driver.block_action(keyed(Action.EXTRACT_EDIT, 0), value="0", user="UCAROL", view=preview)
    modals[View.EXTRACT_EDIT.value] = newest(View.EXTRACT_EDIT.value)
    return modals
