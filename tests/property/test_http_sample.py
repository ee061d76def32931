"""The hostile examples again, fewer of them (the ``http-sample`` profile, 200 per test), through real signed
HTTP against the running server, on SQLite and on PostgreSQL.

The in-process suites run thousands of examples on SQLite; this sample shows the same holds through the
WSGI server and on PostgreSQL, which refuses what SQLite takes (NUL characters, 64-bit numbers in 32-bit
columns). A refusal is checked against every row of the database.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import CheckedDriver
from tests.fakes.slack_api import FakeSlack
from tests.property.conftest import HTTP_SAMPLE
from tests.property.harness import World, error_log, every_row, seed
from tests.property.strategies import (
    INCIDENT_SUBCOMMANDS,
    REMEDIATE_SUBCOMMANDS,
    command_text,
    private_metadata,
    view_state,
)
from tests.property.test_commands import PEOPLE, check_answer
from tests.property.test_modals import SUBMITTED, check_submission
from tests.support import SIGNING_SECRET, FakeClock, make_settings, running_bot

pytestmark = pytest.mark.both_backends

NUL_AND_FRIENDS = st.sampled_from(
    ["\x00", "a\x00b", "2147483648", "9223372036854775808", "--users 3000000000"]
)
_views = itertools.count(1)


@pytest.fixture
def served(backend: str, database_url: str, fake_slack: FakeSlack, clock: FakeClock) -> Iterator[World]:
    """A running bot (HTTP server, no outbox sender: the rows it would send stay as the request left them)
    with things to aim at, and a signed driver."""
    settings = make_settings(database_url, fake_slack.url, escalation_l1="UDAVE")
    with running_bot(settings, clock, sender=False) as harness, error_log() as log:
        driver = CheckedDriver(harness.url, SIGNING_SECRET, fake=fake_slack)
        items, incidents, alert, modals = seed(harness.bot, driver, fake_slack)
        assert not log.take(), "seeding logged errors"
        yield World(
            harness.bot,
            fake_slack,
            clock,
            driver,
            items,
            incidents,
            alert,
            modals,
            log,
            fingerprint=every_row,
        )


def test_commands_over_http(served: World) -> None:
    ids = [*served.items[:3], *served.incidents]
    typed = st.one_of(
        st.tuples(st.just("/remediate"), command_text(REMEDIATE_SUBCOMMANDS, ids)),
        st.tuples(st.just("/incident"), command_text(INCIDENT_SUBCOMMANDS, ids)),
        st.tuples(
            st.just("/remediate"),
            st.builds(lambda x: f'track new "title {x}" --note "{x}"', NUL_AND_FRIENDS),
        ),
    )

    @HTTP_SAMPLE
    @given(command=typed, user=PEOPLE)
    def send(command: tuple[str, str], user: str) -> None:
        name, text = command
        observed = served.observe(lambda: served.driver.command(name, text, user=user))
        check_answer(observed, f"{name} {text[:300]!r} by {user}")

    send()


def test_modals_over_http(served: World) -> None:
    def submissions(callback: str) -> Any:
        modal = served.modals[callback]
        return st.tuples(
            st.just(callback),
            view_state(modal["blocks"], served.ids),
            private_metadata(modal["private_metadata"], served.ids),
        )

    @HTTP_SAMPLE
    @given(submission=st.sampled_from(SUBMITTED).flatmap(submissions), user=PEOPLE)
    def submit(submission: tuple[str, dict[str, Any], str], user: str) -> None:
        callback, values, meta = submission
        check_submission(served, callback, values, meta, user)

    submit()
