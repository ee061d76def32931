"""Migrations on both backends: from empty to head, models and migrations agree, replicas start together."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlmodel import SQLModel

import storage.models  # noqa: F401 - registers the tables
from storage.db import make_engine
from storage.migrate import alembic_config, check, upgrade
from tests.support import BOT_TOKEN, INCIDENT_CHANNEL, SIGNING_SECRET

pytestmark = pytest.mark.both_backends


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def _head() -> str:
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def _versions(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return [row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))]


def test_upgrade_from_empty_creates_every_table_and_check_passes(engine: Engine) -> None:
    assert inspect(engine).get_table_names() == []
    upgrade(engine)
    tables = set(inspect(engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables
    assert _versions(engine) == [_head()]
    check(engine)  # `alembic check`: raises when the models and the migrations disagree


def test_upgrade_is_idempotent(engine: Engine) -> None:
    upgrade(engine)
    upgrade(engine)
    assert _versions(engine) == [_head()]
    check(engine)


def test_every_revision_has_a_downgrade_path_back_to_empty(engine: Engine) -> None:
    from alembic import command

    upgrade(engine)
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    check(engine)


def _cli_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_", "INCIDENT_"))}
    env.update(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        INCIDENT_CHANNEL=INCIDENT_CHANNEL,
        DATABASE_URL=database_url,
        LOG_LEVEL="WARNING",
    )
    return env


def test_several_processes_migrating_at_once_apply_each_revision_once(
    engine: Engine, database_url: str, backend: str, tmp_path: Path
) -> None:
    """Replicas that start together all run `db upgrade`: PostgreSQL serialises them on an advisory lock,
    SQLite on its write lock; every one exits 0 and the schema is applied once."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "bot", "db", "upgrade"],
            cwd=tmp_path,
            env=_cli_env(database_url),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outcomes = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    for code, out, err in outcomes:
        assert code == 0, err
        assert "latest schema" in out
    assert _versions(engine) == [_head()]
    check(engine)
