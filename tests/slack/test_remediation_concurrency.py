"""Fifty people create items at the same moment, through HTTP: fifty distinct ids, no gaps."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import CheckedDriver
from tests.slack.item_steps import count
from tests.support import SIGNING_SECRET

pytestmark = pytest.mark.both_backends


def test_fifty_concurrent_creates_get_fifty_distinct_ids(bot, fake_slack):
    users = ["UALICE", "UBOB", "UCAROL", "UDAVE", "UADMIN"]

    def create(i: int) -> str:
        with CheckedDriver(bot.url, SIGNING_SECRET, fake=fake_slack) as driver:
            reply = driver.command(
                "/remediate",
                f'track new "Concurrent fix {i}" --priority P{i % 4}',
                user=users[i % len(users)],
            )
        assert reply.status == 200, reply.text
        text = reply.json()["text"]
        assert "Created" in text, text
        return text.split("*")[1]

    with ThreadPoolExecutor(max_workers=50) as pool:
        ids = list(pool.map(create, range(50)))
    assert len(set(ids)) == 50
    assert sorted(int(i.rsplit("-", 1)[1]) for i in ids) == list(range(1, 51)), "one daily sequence, no gaps"
    assert all(i.split("-")[1] == "20261123" for i in ids)
    assert count(bot, "remediation_item") == 50
