"""Arbitrary text after every /remediate and /incident sub-command, through the real app in-process.

Whatever is typed: the request ends in HTTP 200 with one clear answer (or a modal), nothing is logged at
ERROR, the error handler never answers, and a refused request leaves the database as it was. Each test runs
the ``parsers`` profile (2,000 examples in CI); the sub-command is part of what is generated.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.property.conftest import PARSERS
from tests.property.harness import Observed, World
from tests.property.strategies import INCIDENT_SUBCOMMANDS, REMEDIATE_SUBCOMMANDS, command_text

PEOPLE = st.sampled_from(["UALICE", "UBOB", "UCAROL", "UDAVE", "UADMIN"])


def check_answer(observed: Observed, what: str) -> None:
    """One clear answer: ephemeral text that is not empty, or an empty ack after opening a modal; a refusal
    says what was wrong and changes nothing."""
    observed.assert_sound(what)
    data: Any = observed.reply.json()
    if data is None:
        assert observed.opened_views == 1, f"{what}: an empty answer, and no modal opened"
        assert not observed.changed, f"{what}: opening a form changed the database"
        return
    assert isinstance(data, dict), f"{what}: {observed.reply.text[:200]}"
    assert data.get("response_type") == "ephemeral", f"{what}: {data}"
    text = data.get("text") or ""
    assert text.strip(), f"{what}: an answer without text"
    shown = json.dumps(data.get("blocks") or [], ensure_ascii=False)
    if observed.refused:
        assert ":warning:" in shown, f"{what}: a refusal that does not say what was wrong: {text[:200]}"
        assert not observed.changed, f"{what}: refused ({text[:200]}), yet the database changed"
    for ping in ("<!channel>", "<!here>", "<!everyone>", "<!subteam"):
        assert ping not in text and ping not in shown, f"{what}: the answer could ping: {text[:200]}"


@PARSERS
@given(
    text=command_text(REMEDIATE_SUBCOMMANDS, ["P0-20261123-001", "P1-20261123-004", "P2-20261123-003"]),
    user=PEOPLE,
)
def test_remediate_answers_anything_typed_clearly(hostile: World, text: str, user: str) -> None:
    observed = hostile.observe(lambda: hostile.driver.command("/remediate", text, user=user))
    check_answer(observed, f"/remediate {text[:300]!r} by {user}")


@PARSERS
@given(text=command_text(INCIDENT_SUBCOMMANDS, ["INC-20261123-001", "INC-20261123-002"]), user=PEOPLE)
def test_incident_answers_anything_typed_clearly(hostile: World, text: str, user: str) -> None:
    observed = hostile.observe(lambda: hostile.driver.command("/incident", text, user=user))
    check_answer(observed, f"/incident {text[:300]!r} by {user}")
