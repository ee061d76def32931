"""Arbitrary values in every modal the app handles, through the real app in-process.

For each callback id, the modal is opened the way people open it (so its blocks are the real ones), then
submitted with anything in its inputs (or inputs left out) and with its own private_metadata, the same
metadata pointing at something else or holding the wrong types, or metadata the app never wrote. Whatever
arrives: HTTP 200, nothing logged at ERROR, never the error handler's answer; a refusal is an error next to
an input of that modal and changes nothing; a view the app answers with passes Slack's Block Kit checks.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.slack.ids import View
from tests.fakes.blockkit_limits import validate_view
from tests.property.conftest import EXAMPLES, PARSERS
from tests.property.harness import DETACHED, World
from tests.property.strategies import private_metadata, view_state

PEOPLE = st.sampled_from(["UALICE", "UBOB", "UCAROL", "UDAVE", "UADMIN"])
SUBMITTED = [v.value for v in View if v is not View.ITEM_CARD]  # the item card has no submit button
_views = itertools.count(1)


def test_every_modal_with_a_submit_button_is_covered(hostile: World) -> None:
    """A new modal (a new View id) needs a way to open it in `tests.property.harness` before it is fuzzed."""
    assert sorted(hostile.modals) == sorted(SUBMITTED)


def check_submission(world: World, callback: str, values: dict[str, Any], meta: str, user: str) -> None:
    modal = world.modals[callback]
    what = f"{callback} by {user} with {json.dumps(values)[:400]} and metadata {meta[:200]!r}"
    observed = world.observe(
        lambda: world.driver.view_submission(
            callback,
            values,
            user=user,
            private_metadata=meta,
            view_id=f"{DETACHED}{next(_views)}",
            view_extra={"blocks": modal["blocks"]},
        )
    )
    observed.assert_sound(what)
    observed.assert_refusal_changed_nothing(what)
    data = observed.reply.json()
    if data is None:
        return
    assert isinstance(data, dict), what
    action = data.get("response_action")
    assert action in ("errors", "update", "push", "clear"), f"{what}: {data}"
    if action == "errors":
        errors = data.get("errors") or {}
        assert errors and all(isinstance(m, str) and m.strip() for m in errors.values()), f"{what}: {data}"
        if meta == modal["private_metadata"]:
            inputs = {b.get("block_id") for b in modal["blocks"] if b.get("type") == "input"}
            assert set(errors) <= inputs, f"{what}: errors next to no input of the modal: {errors}"
    if action in ("update", "push"):
        problems = validate_view(data.get("view"), "modal")
        assert not problems, f"{what}: Slack would refuse the view: {problems}"


@pytest.mark.parametrize("callback", SUBMITTED)
def test_any_submission_of_any_modal_is_answered_cleanly(hostile: World, callback: str) -> None:
    modal = hostile.modals[callback]

    @PARSERS
    @given(
        values=view_state(modal["blocks"], hostile.ids),
        meta=private_metadata(modal["private_metadata"], hostile.ids),
        user=PEOPLE,
    )
    def submit(values: dict[str, Any], meta: str, user: str) -> None:
        ran.append(1)
        check_submission(hostile, callback, values, meta, user)

    ran: list[int] = []
    submit()
    assert len(ran) >= EXAMPLES, f"only {len(ran)} examples ran"
