"""Crafted ``block_actions``: any control the app answers, with any value, option and surface, through the
real app in-process.

Whatever arrives: HTTP 200, nothing logged at ERROR, never the error handler's answer. Pressed by someone
who owns, reported, escalates or administers nothing, no item or alert button changes the database: the
value only names a thing, which is read again, and the presser is checked again.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from bot.slack.ids import Action, keyed
from tests.property.conftest import EXAMPLES, PARSERS
from tests.property.harness import World
from tests.property.strategies import ANY_CHAR, ID_NOISE, JSON_VALUE

STRANGER = "UMALLORY"  # in no role anywhere (and unknown to Slack)
INCIDENT_ACTIONS = {a.value for a in Action if a.value.startswith("incident_")}  # open to any responder


def _controls(world: World) -> st.SearchStrategy[str]:
    alert = world.alert
    keyed_ids = [
        keyed(a, k)
        for a in (Action.ALERT_ACK, Action.ALERT_SNOOZE, Action.ALERT_STATUS_UPDATE, Action.ALERT_MENU)
        for k in (alert, alert + 1, "x")
    ]
    opened = [keyed(Action.ITEM_OPEN, i) for i in world.items[:2]]
    handled = [a.value for a in Action if a is not Action.HOME_PAGE]  # declared, but never shown or handled
    return st.sampled_from(handled + keyed_ids + opened)


def _values(world: World) -> st.SearchStrategy[str | None]:
    verbs = st.sampled_from(
        ["block", "cancel", "send_back", "start", "ack", "snooze-2h", "snooze-x", "status"]
    )
    targets = st.sampled_from([*world.ids, "", "P0-20991231-001", str(world.alert)])
    return st.one_of(
        st.none(),
        targets,
        ID_NOISE,
        st.builds(lambda v, t: f"{v}:{t}", verbs, targets),
        st.text(ANY_CHAR, max_size=40),
    )


def _surfaces(world: World) -> st.SearchStrategy[dict[str, Any]]:
    """Where the control claims to be: a channel message, an ephemeral reply, a modal (an item card or any
    other), the Home tab; or a view that is nothing Slack would send."""
    card = world.modals.get("item_note") or {}
    return st.one_of(
        st.just({}),
        st.builds(
            lambda meta, kind, cb: {
                "view": {
                    "id": "VCRAFTED",
                    "type": kind,
                    "callback_id": cb,
                    "private_metadata": meta,
                    "blocks": card.get("blocks", []),
                }
            },
            st.one_of(st.just(""), JSON_VALUE.map(str)),
            st.sampled_from(["modal", "home"]),
            st.sampled_from(["item_card", "item_note", "", "nope"]),
        ),
    )


def test_any_crafted_press_is_answered_cleanly_and_a_stranger_changes_nothing(hostile: World) -> None:
    @PARSERS
    @given(
        action_id=_controls(hostile),
        value=_values(hostile),
        option=st.one_of(st.none(), _values(hostile)),
        surface=_surfaces(hostile),
        user=st.sampled_from([STRANGER, STRANGER, "UALICE", "UBOB", "UCAROL"]),
    )
    def press(
        action_id: str, value: str | None, option: str | None, surface: dict[str, Any], user: str
    ) -> None:
        ran.append(1)
        what = f"{action_id} value={value!r} option={option!r} by {user} on {str(surface)[:120]}"
        observed = hostile.observe(
            lambda: hostile.driver.block_action(
                action_id,
                value=value,
                user=user,
                view=surface.get("view"),
                action_type="button" if option is None else "overflow",
                selected_option=option if option is not None else None,
                message=None if surface.get("view") else {"ts": "1.000001", "blocks": []},
            )
        )
        observed.assert_sound(what)
        if user == STRANGER and action_id.split(":")[0] not in INCIDENT_ACTIONS:
            assert not observed.changed, f"{what}: a stranger changed the database"

    ran: list[int] = []
    press()
    assert len(ran) >= EXAMPLES, f"only {len(ran)} examples ran"
