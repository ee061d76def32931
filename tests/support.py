"""Test support: a clock you move by hand, and a real bot process-in-a-thread on a free port."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.config import Settings, load_settings
from bot.jobs.registry import JobResult, get_job
from bot.jobs.scheduler import run_job
from bot.runtime import Bot
from tests.fakes.slack_api import FakeSlack

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-test-token"
INCIDENT_CHANNEL = "CINCIDENTS"

# Users of the fake workspace: id -> (name, tz)
USERS = {
    "UALICE": ("alice", "America/New_York"),
    "UBOB": ("bob", "Europe/Berlin"),
    "UCAROL": ("carol", "UTC"),
    "UDAVE": ("dave", "Asia/Tokyo"),
    "UADMIN": ("admin", "UTC"),
}


@contextmanager
def serving_fake_slack(kind: type[FakeSlack] = FakeSlack, **kwargs: Any) -> Iterator[FakeSlack]:
    """A started fake Slack (`kind`, FakeSlack or a test's variant of it) holding the USERS; stopped after."""
    fake = kind(token=BOT_TOKEN, **kwargs)
    fake.start()
    for uid, (name, tz) in USERS.items():
        fake.add_user(uid, name, real_name=name.title(), tz=tz)
    try:
        yield fake
    finally:
        fake.stop()


class FakeClock:
    """A clock that only moves when told to. Callable like the real one; thread-safe."""

    def __init__(self, start: datetime | None = None):
        self._now = start or datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # a Monday
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, when: datetime) -> None:
        assert when.tzinfo is not None, "use an aware datetime"
        with self._lock:
            self._now = when.astimezone(UTC)

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        with self._lock:
            self._now += delta if delta is not None else timedelta(**kwargs)
            return self._now


def make_settings(database_url: str, api_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": api_url,
        "database_url": database_url,
        "incident_channel": INCIDENT_CHANNEL,
        "host": "127.0.0.1",
        "slack_channel_rate": 50.0,
        "quiet_hours": "off",
        "_env_file": None,
    }
    values.update(overrides)
    return load_settings(**values)


class BotHarness:
    """A running bot (real Bolt app, real cheroot server, real database) wired to the fake Slack."""

    def __init__(self, bot: Bot, clock: FakeClock):
        self.bot = bot
        self.clock = clock
        self.deps = bot.deps

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.bot.port}"

    def run_job(self, name: str, at: datetime | None = None) -> JobResult:
        if at is not None:
            self.clock.set(at)
        return run_job(self.deps, get_job(name), self.clock())

    def deliver(self) -> Any:
        """Send everything due now (the background sender may also be doing so; leases keep it once)."""
        return self.bot.notifier.drain()

    def uow(self) -> Any:
        return self.deps.uow()


@contextmanager
def running_bot(settings: Settings, clock: FakeClock, *, sender: bool = True) -> Iterator[BotHarness]:
    bot = Bot(settings, clock=clock, scheduler=False, port=0, sender_poll=0.05)
    if sender:
        bot.start()
    else:
        assert bot.http is not None
        bot.http.start()
    try:
        yield BotHarness(bot, clock)
    finally:
        bot.stop()


def snapshot(engine: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (outbox included), for asserting that a refused request changed nothing."""
    from sqlalchemy import text
    from sqlmodel import SQLModel

    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for table in sorted(SQLModel.metadata.tables):
            rows = conn.execute(text(f'SELECT * FROM "{table}"')).fetchall()
            out[table] = sorted(tuple(str(v) for v in r) for r in rows)
    return out


def libpq_url(url: str) -> str:
    """A SQLAlchemy ``postgresql+psycopg://`` URL as libpq (psycopg.connect) takes it."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """Create an empty database on the server of `admin_url`; yield its ``postgresql+psycopg://`` URL; drop
    it afterwards, ending any session still connected to it."""
    import uuid

    import psycopg
    from sqlalchemy.engine import make_url

    name = f"remediate_t_{uuid.uuid4().hex[:12]}"
    admin = libpq_url(admin_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        # template0: nobody is ever connected to it, so tests creating databases at once never collide.
        conn.execute(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'")
    url = make_url(admin_url).set(drivername="postgresql+psycopg", database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            if conn.info.server_version >= 130000:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            else:
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
                )
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
