"""Fixtures shared by every test: a fake Slack, a clock, a database, a running bot and a signed driver.

Databases
---------
``database_url`` is a fresh SQLite file by default. To run a test on SQLite *and* PostgreSQL, mark it::

    pytestmark = pytest.mark.both_backends      # every test of the module
    @pytest.mark.both_backends                  # or one test

It then runs twice, ``test_x[sqlite]`` and ``test_x[postgres]``; everything built on ``database_url``
(``bot``, ``slack``, ...) follows. The PostgreSQL run gets a database of its own, created from
``REMEDIATE_TEST_POSTGRES_URL`` (default ``postgresql://postgres@127.0.0.1:5432/test``) and dropped
afterwards; it is skipped, saying why, only when no server answers (``.ci/run`` starts one when none is
running). The ``backend`` fixture tells a test which one it got. A test that needs PostgreSQL alone asks for
``postgres_url`` (a fresh ``postgresql+psycopg://`` URL) instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.blockkit_limits import validate_blocks
from tests.fakes.signing import SlackDriver
from tests.fakes.slack_api import FakeSlack
from tests.support import (
    SIGNING_SECRET,
    BotHarness,
    FakeClock,
    libpq_url,
    make_settings,
    postgres_database,
    running_bot,
    serving_fake_slack,
)


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    with serving_fake_slack() as fake:
        yield fake


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


def _postgres_admin_url() -> str:
    # .ci/postgres.sh exports an empty value when it found no server and could not start one.
    return os.environ.get("REMEDIATE_TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL


def pytest_configure(config: Any) -> None:
    config.addinivalue_line(
        "markers", "both_backends: run on SQLite and on PostgreSQL (parametrises the database_url fixture)"
    )


def pytest_generate_tests(metafunc: Any) -> None:
    if "backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_backends"):
        metafunc.parametrize(
            "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
        )


def pytest_report_header(config: Any) -> str:
    return f"PostgreSQL for tests: {_postgres_admin_url()} (REMEDIATE_TEST_POSTGRES_URL)"


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The admin URL of a reachable PostgreSQL server; skips (once, with the reason) when there is none."""
    import psycopg

    url = _postgres_admin_url()
    try:
        psycopg.connect(libpq_url(url), connect_timeout=3).close()
    except Exception as exc:
        why = " ".join(str(exc).split())[:200]
        pytest.skip(
            f"no PostgreSQL server at {url} ({type(exc).__name__}: {why}); "
            "start one or set REMEDIATE_TEST_POSTGRES_URL (.ci/run does both)"
        )
    return url


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test (``postgresql+psycopg://``), dropped afterwards."""
    with postgres_database(postgres_server) as url:
        yield url


@pytest.fixture
def backend(request: Any) -> str:
    """``sqlite`` or ``postgres``: which database ``database_url`` points at (see the module docstring)."""
    return getattr(request, "param", "sqlite")


@pytest.fixture
def database_url(backend: str, request: Any, tmp_path: Any) -> str:
    if backend == "postgres":
        return str(request.getfixturevalue("postgres_url"))
    return f"sqlite:///{tmp_path / 'remediate.db'}"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Override in a test module (or parametrize) to change the bot's settings."""
    return {}


@pytest.fixture
def bot(
    fake_slack: FakeSlack, clock: FakeClock, database_url: str, settings_overrides: dict[str, Any]
) -> Iterator[BotHarness]:
    settings = make_settings(database_url, fake_slack.url, **settings_overrides)
    with running_bot(settings, clock) as harness:
        yield harness


class CheckedDriver(SlackDriver):
    """A SlackDriver that checks every answer the bot gives against Slack's Block Kit limits."""

    def post_raw(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        reply = super().post_raw(*args, **kwargs)
        data = reply.json() if reply.status == 200 else None
        if isinstance(data, dict):
            if data.get("blocks"):
                errors = validate_blocks(data["blocks"], "message")
                assert not errors, f"reply breaks Block Kit limits: {errors}"
                assert data.get("text"), "reply with blocks has no fallback text"
            if data.get("response_action") in ("update", "push") and data.get("view"):
                errors = validate_blocks(data["view"].get("blocks", []), "modal")
                assert not errors, f"view breaks Block Kit limits: {errors}"
        return reply


@pytest.fixture
def slack(bot: BotHarness, fake_slack: FakeSlack) -> SlackDriver:
    return CheckedDriver(bot.url, SIGNING_SECRET, fake=fake_slack)
