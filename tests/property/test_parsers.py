"""Every parser of what people type, on its own, 2,000 examples each (the ``parsers`` profile).

A parser answers with a value or a UserError whose message is safe to show in mrkdwn (it can never mention,
link or ping anything); nothing else may escape. The values it returns can be stored in either database.
Below them, the examples the property tests found, kept as plain regression tests.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.errors import UserError
from bot.core.flags import parse_flags
from bot.core.incidents import rules as incident_rules
from bot.core.items import lifecycle as lc
from bot.core.items import rules
from bot.core.timing.deadlines import parse_deadline
from bot.slack.listeners.commands.extract import FLAGS as EXTRACT_FLAGS
from bot.slack.listeners.commands.items import LIST_FLAGS, STATUS_FLAGS, TRACK_FLAGS
from bot.slack.router import CommandContext
from bot.slack.text import from_slack, split_id, storable
from tests.property.conftest import EXAMPLES, PARSERS
from tests.property.strategies import ANY_CHAR, FLAG_NAMES, SLACK_MARKUP, VALUES, arguments, long_text, token

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
IDS = ["P0-20261123-001", "INC-20261123-001"]
TEXT = st.one_of(st.text(ANY_CHAR, max_size=60), VALUES, SLACK_MARKUP, long_text(), token(IDS))
ARGV = st.lists(st.one_of(token(IDS), FLAG_NAMES, VALUES), max_size=12)
ZONES = st.sampled_from(
    [ZoneInfo(z) for z in ("UTC", "America/New_York", "Pacific/Kiritimati", "Pacific/Niue")]
)
PG_INT_MAX = 2**31 - 1


def refuses_safely(parse: Callable[[], Any]) -> Any:
    """The parser's value, or None after a UserError that is safe to show in mrkdwn."""
    try:
        return parse()
    except UserError as err:
        inert = err.message.replace("<!date^", "").replace("<@", "")
        assert "<!" not in inert and "<http" not in inert, f"a refusal that could ping or link: {err.message}"
        assert err.message.strip()
        return None


FIELD_PARSERS: dict[str, Callable[[str], Any]] = {
    "priority": rules.parse_priority,
    "kind": rules.parse_kind,
    "evidence kind": rules.parse_evidence_kind,
    "item status": lc.parse_status,
    "item id": rules.normalise_item_id,
    "incident id (item)": rules.normalise_incident_id,
    "title": rules.clean_title,
    "note": lambda t: rules.clean_text(t, what="note"),
    "incident id": incident_rules.parse_incident_id,
    "incident status": incident_rules.parse_status,
    "severity": incident_rules.parse_severity,
    "incident title": incident_rules.clean_title,
    "incident commander": incident_rules.parse_user,
    "systems": lambda t: rules.clean_list(
        rules.split_systems([t]), what="system", limit=rules.MAX_SYSTEM_NAME, max_items=rules.MAX_SYSTEMS
    ),
}


@pytest.mark.parametrize("name", sorted(FIELD_PARSERS))
def test_field_parsers_answer_a_value_or_a_safe_refusal(name: str) -> None:
    parse = FIELD_PARSERS[name]

    @PARSERS
    @given(text=TEXT)
    def check(text: str) -> None:
        ran.append(1)
        refuses_safely(lambda: parse(text))

    ran: list[int] = []
    check()
    assert len(ran) >= EXAMPLES


@PARSERS
@given(text=TEXT)
def test_numbers_are_bounded_to_what_the_databases_hold(text: str) -> None:
    money = refuses_safely(lambda: rules.parse_money(text))
    assert money is None or 0 <= money <= rules.MAX_MONEY
    count = refuses_safely(lambda: rules.parse_count(text))
    assert count is None or 0 <= count <= PG_INT_MAX
    percent = refuses_safely(lambda: rules.parse_percent(text))
    assert percent is None or 0 <= percent <= 100
    users = refuses_safely(lambda: incident_rules.parse_users_affected(text))
    assert users is None or 0 <= users <= PG_INT_MAX
    after = refuses_safely(lambda: incident_rules.parse_next_update(text))
    assert after is None or timedelta(0) < after <= incident_rules.MAX_NEXT_UPDATE
    (NOW + after) if after else None  # never overflows


@PARSERS
@given(text=st.one_of(TEXT, st.from_regex(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2})?", fullmatch=True)), tz=ZONES)
def test_deadlines_are_aware_and_checked_or_refused(text: str, tz: ZoneInfo) -> None:
    deadline = refuses_safely(lambda: parse_deadline(text, now=NOW, tz=tz))
    if deadline is None:
        return
    assert deadline.utcoffset() == timedelta(0)
    if refuses_safely(lambda: rules.check_deadline(deadline, NOW, force=True)) is None:
        return
    deadline.astimezone(UTC)  # an accepted deadline is a real instant
    (deadline - timedelta(days=7), deadline + timedelta(days=31))  # and the clocks can count from it


@pytest.mark.parametrize(
    ("spec", "command"),
    [
        (TRACK_FLAGS, "/remediate track"),
        (LIST_FLAGS, "/remediate list"),
        (STATUS_FLAGS, "/remediate status"),
        (EXTRACT_FLAGS, "/remediate extract"),
    ],
    ids=["track", "list", "status", "extract"],
)
def test_flags_parse_or_refuse_safely(spec: Any, command: str) -> None:
    @PARSERS
    @given(argv=ARGV)
    def check(argv: list[str]) -> None:
        ran.append(1)
        parsed = refuses_safely(lambda: parse_flags(argv, spec, command=command))
        if parsed is not None:
            assert parsed.given() <= {f.name for f in spec}

    ran: list[int] = []
    check()
    assert len(ran) >= EXAMPLES


@PARSERS
@given(argv=ARGV)
def test_incident_update_arguments_parse_or_refuse_safely(argv: list[str]) -> None:
    args = refuses_safely(lambda: incident_rules.parse_update_args(argv))
    if args is not None:
        assert args.incident_id.startswith("INC-")


@PARSERS
@given(text=arguments(IDS))
def test_command_text_splits_like_a_shell_or_refuses_safely(text: str) -> None:
    ctx = CommandContext(
        deps=None,  # type: ignore[arg-type]
        client=None,  # type: ignore[arg-type]
        command="/remediate",
        subcommand="track",
        args=text,
        user_id="UALICE",
        user_name="alice",
        channel_id="C1",
        team_id="T1",
        trigger_id=None,
        response_url=None,
    )
    refuses_safely(ctx.argv)
    head, rest = split_id(text)
    assert not any(c.isspace() for c in head.strip(" "))
    assert isinstance(from_slack(rest), str)


@settings(PARSERS, max_examples=300)  # not a parser: a few hundred payloads show it
@given(
    value=st.recursive(
        st.one_of(st.text(max_size=20), st.sampled_from(["\x00", "a\ud800b", "\udfff"])),
        lambda inner: st.lists(inner, max_size=4),
        max_leaves=8,
    )
)
def test_storable_text_has_no_nul_and_encodes_as_utf8(value: Any) -> None:
    cleaned = storable(value)

    def walk(v: Any) -> None:
        if isinstance(v, str):
            assert "\x00" not in v
            v.encode("utf-8")
        else:
            for x in v:
                walk(x)

    walk(cleaned)


# ---- what the property tests found ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parse", "text", "says"),
    [
        (rules.parse_count, "99999999999999999999999", "more users than there are"),
        (rules.parse_count, "3000000000", "more users than there are"),
        (rules.parse_money, "9" * 400, "more than"),
        (incident_rules.parse_users_affected, "\u00b2", "not a number of users"),
        (incident_rules.parse_users_affected, "99999999999", "more users than there are"),
        (incident_rules.parse_next_update, "99999999999999w", "not a duration"),
        (incident_rules.parse_next_update, "999999999d", "at most 30 days"),
        (incident_rules.parse_status, "<!channel>", "&lt;!channel&gt;"),
        (incident_rules.parse_incident_id, "<!here>", "&lt;!here&gt;"),
        (incident_rules.parse_user, "<https://evil|click>", "&lt;https://evil|click&gt;"),
    ],
)
def test_found_by_the_property_tests(parse: Callable[[str], Any], text: str, says: str) -> None:
    with pytest.raises(UserError) as refused:
        parse(text)
    assert says in refused.value.message


def test_a_deadline_near_year_9999_is_refused_before_anything_converts_it() -> None:
    far = datetime(9999, 12, 31, 23, 59, tzinfo=ZoneInfo("America/New_York"))  # no UTC form exists
    with pytest.raises(UserError, match="years away"):
        rules.check_deadline(far, NOW, force=True)


def test_nul_and_lone_surrogates_become_replacement_characters() -> None:
    payload = {"text": "a\x00b", "view": {"values": ["x\ud800y", 3, None]}}
    assert storable(payload) == {"text": "a\ufffdb", "view": {"values": ["x\ufffdy", 3, None]}}


def test_a_new_line_or_a_tab_after_the_id_or_the_sub_command_counts_as_a_space() -> None:
    from bot.slack.listeners.commands.remediate import build_router

    assert split_id("P0-20261123-001\nFirst line\nsecond line") == (
        "P0-20261123-001",
        "First line\nsecond line",
    )
    assert build_router().split("note\tP0-20261123-001 text") == ("note", "P0-20261123-001 text")
