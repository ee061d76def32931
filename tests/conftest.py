"""Fixtures shared by every test: a fake Slack, a clock, a database, a running bot and a signed driver."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.blockkit_limits import validate_blocks
from tests.fakes.signing import SlackDriver
from tests.fakes.slack_api import FakeSlack
from tests.support import SIGNING_SECRET, USERS, BotHarness, FakeClock, make_settings, running_bot


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack(token="xoxb-test-token")
    fake.start()
    for uid, (name, tz) in USERS.items():
        fake.add_user(uid, name, real_name=name.title(), tz=tz)
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def database_url(tmp_path: Any) -> str:
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
