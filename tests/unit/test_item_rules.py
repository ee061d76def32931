"""Pure rules of remediation items: ids, priorities, defaults, the lifecycle, flags and deadlines."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.errors import UserError
from bot.core.flags import Arity, Flag, parse_flags
from bot.core.items import lifecycle as lc
from bot.core.items import rules
from bot.core.timing.deadlines import parse_deadline

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # a Monday
NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
TOKYO = ZoneInfo("Asia/Tokyo")


# --- ids and fields ----------------------------------------------------------------------------------


def test_item_id_format_and_case_insensitive_normalisation():
    assert rules.format_item_id("P0", datetime(2025, 9, 8, 23, 59, tzinfo=UTC), 1) == "P0-20250908-001"
    assert rules.format_item_id("P1", datetime(2025, 9, 8, tzinfo=UTC), 1234) == "P1-20250908-1234"
    assert rules.normalise_item_id(" p0-20250908-001, ") == "P0-20250908-001"
    assert rules.sequence_key(datetime(2025, 9, 8, 1, tzinfo=UTC)) == "item:20250908"
    with pytest.raises(UserError, match="not an item id"):
        rules.normalise_item_id("P0-2025-1")


@pytest.mark.parametrize(("text", "expected"), [("p0", "P0"), ("P3", "P3"), ("2", "P2")])
def test_priorities(text, expected):
    assert rules.parse_priority(text) == expected


@pytest.mark.parametrize("text", ["P4", "high", "", "P-1"])
def test_bad_priorities_name_the_allowed_ones(text):
    with pytest.raises(UserError, match="use P0, P1, P2 or P3"):
        rules.parse_priority(text)


def test_title_limits_and_key():
    assert rules.clean_title("  Fix   the\nchain ") == "Fix the chain"
    assert len(rules.clean_title("x" * 200)) == 200
    with pytest.raises(UserError, match="201 characters"):
        rules.clean_title("x" * 201)
    assert rules.title_key("Fix: Async/Await chain!") == "fix async await chain"


def test_error_messages_escape_what_was_typed():
    with pytest.raises(UserError) as err:
        rules.parse_priority("<!channel>")
    assert "<!channel>" not in err.value.message and "&lt;!channel&gt;" in err.value.message


def test_default_deadline_and_mrr():
    policy = {"P0": timedelta(hours=24), "P1": timedelta(hours=72)}
    assert rules.default_deadline("P0", NOW, policy) == NOW + timedelta(hours=24)
    assert rules.default_mrr("P0", 100_000) == 10_000
    assert rules.default_mrr("P1", 100_000) == 5_000
    assert rules.default_mrr("P2", 100_000) is None
    assert rules.default_mrr("P0", None) is None


def test_past_deadlines_need_force():
    with pytest.raises(UserError, match="--force"):
        rules.check_deadline(NOW - timedelta(minutes=1), NOW, force=False)
    rules.check_deadline(NOW - timedelta(days=9), NOW, force=True)


@pytest.mark.parametrize(
    ("text", "value"), [("50000", 50000), ("$50,000", 50000), ("50k", 50000), ("1.2m", 1.2e6)]
)
def test_money(text, value):
    assert rules.parse_money(text) == value


def test_counts_and_percentages():
    assert rules.parse_count("1,200") == 1200
    assert rules.parse_percent("2.5%") == 2.5
    for bad in ("lots", "101", "-1"):
        with pytest.raises(UserError):
            rules.parse_percent(bad)


def test_lists_are_cleaned_deduplicated_and_bounded():
    assert rules.clean_list(["a", " A ", "", "b"], what="x", limit=10, max_items=5, existing=["b"]) == ["a"]
    with pytest.raises(UserError, match="at most 2"):
        rules.clean_list(["a", "b", "c"], what="x", limit=10, max_items=2)
    assert rules.split_systems(["websocket,db", "auth  cache"]) == ["websocket", "db", "auth", "cache"]


# --- lifecycle -------------------------------------------------------------------------------------


def test_the_happy_path_is_allowed():
    path = [lc.IDENTIFIED, lc.PLANNED, lc.IN_PROGRESS, lc.COMPLETED, lc.VALIDATED]
    for here, there in itertools.pairwise(path):
        assert lc.plan_move("P0-20250908-001", here, there).target == there


def test_blocked_from_any_open_state_and_unblock_returns_there():
    for here in (lc.IDENTIFIED, lc.PLANNED, lc.IN_PROGRESS):
        assert lc.plan_move("X", here, lc.BLOCKED).needs_reason
        back = lc.plan_verb("X", lc.BLOCKED, lc.UNBLOCK, blocked_from=here)
        assert back.target == here


def test_cancel_needs_a_reason_and_is_final():
    assert lc.plan_move("X", lc.IN_PROGRESS, lc.CANCELLED).needs_reason
    assert lc.allowed_moves(lc.CANCELLED) == []
    with pytest.raises(UserError, match="Cancelled is final"):
        lc.plan_move("X", lc.CANCELLED, lc.IN_PROGRESS)


def test_completed_can_be_sent_back():
    move = lc.plan_move("X", lc.COMPLETED, lc.IN_PROGRESS)
    assert move.verb == lc.SEND_BACK


def test_refusals_name_the_allowed_moves():
    with pytest.raises(UserError) as err:
        lc.plan_move("P0-20250908-001", lc.IDENTIFIED, lc.COMPLETED)
    text = err.value.message
    assert "P0-20250908-001 cannot go from Identified to Completed" in text
    assert "Planned" in text and "In Progress" in text and "Blocked" in text and "Cancelled" in text
    with pytest.raises(UserError, match="it cannot be validated"):
        lc.plan_verb("X", lc.IN_PROGRESS, lc.VALIDATE)


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("in_progress", lc.IN_PROGRESS),
        ("In Progress", lc.IN_PROGRESS),
        ("in-progress", lc.IN_PROGRESS),
        ("inprogress", lc.IN_PROGRESS),
        ("done", lc.COMPLETED),
        ("BLOCKED", lc.BLOCKED),
        ("canceled", lc.CANCELLED),
    ],
)
def test_status_names(text, status):
    assert lc.parse_status(text) == status


def test_bad_status_lists_the_statuses():
    with pytest.raises(UserError, match="identified, planned, in_progress"):
        lc.parse_status("finished-ish")


# --- flags -----------------------------------------------------------------------------------------

SPEC = [
    Flag("priority", Arity.ONE, "--priority P0"),
    Flag("deadline", Arity.WORDS),
    Flag("note", Arity.WORDS),
    Flag("system", Arity.REPEAT),
    Flag("force", Arity.SWITCH),
]


def test_flags_of_every_arity():
    words = [
        "new",
        "Fix it",
        "--priority",
        "P0",
        "--deadline",
        "tomorrow",
        "17:00",
        "--system",
        "a",
        "--system=b",
        "--note",
        "found",
        "it",
        "--force",
    ]
    parsed = parse_flags(words, SPEC, command="track")
    assert parsed.positional == ["new", "Fix it"]
    assert parsed.get("priority") == "P0"
    assert parsed.get("deadline") == "tomorrow 17:00"
    assert parsed.many("system") == ["a", "b"]
    assert parsed.get("note") == "found it"
    assert parsed.on("force")


def test_words_after_a_one_word_flag_are_positional():
    parsed = parse_flags(["--priority", "P1", "Title", "here"], SPEC, command="track")
    assert parsed.positional == ["Title", "here"]


def test_unknown_flag_and_missing_value():
    with pytest.raises(UserError, match="`--prio` is not a flag of `track`"):
        parse_flags(["--prio", "P0"], SPEC, command="track")
    with pytest.raises(UserError, match=re.escape("`--priority` needs a value, e.g. `--priority P0`")):
        parse_flags(["x", "--priority"], SPEC, command="track")
    with pytest.raises(UserError, match="given twice"):
        parse_flags(["--priority", "P0", "--priority", "P1"], SPEC, command="track")


def test_negative_numbers_are_not_flags():
    assert parse_flags(["--note", "-5", "ok"], SPEC, command="t").get("note") == "-5 ok"


# --- deadlines -------------------------------------------------------------------------------------


def local(tz: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=tz).astimezone(UTC)


@pytest.mark.parametrize(
    ("text", "tz", "expected"),
    [
        ("2025-09-09T11:45", NY, local(NY, 2025, 9, 9, 11, 45)),
        ("2025-09-09 11:45", BERLIN, local(BERLIN, 2025, 9, 9, 11, 45)),
        ("2025-09-09T11:45:00Z", NY, datetime(2025, 9, 9, 11, 45, tzinfo=UTC)),
        ("2025-09-09T11:45+02:00", NY, datetime(2025, 9, 9, 9, 45, tzinfo=UTC)),
        ("2026-12-01", TOKYO, local(TOKYO, 2026, 12, 1, 17, 0)),
        ("today 17:00", NY, local(NY, 2026, 11, 23, 17, 0)),
        ("tomorrow", BERLIN, local(BERLIN, 2026, 11, 24, 17, 0)),
        ("tomorrow 9am", NY, local(NY, 2026, 11, 24, 9, 0)),
        ("Tomorrow 17:00", TOKYO, local(TOKYO, 2026, 11, 24, 17, 0)),  # 23:00 on Monday in Tokyo
        ("+4h", NY, NOW + timedelta(hours=4)),
        ("+3d", NY, NOW + timedelta(days=3)),
        ("in 30 minutes", NY, NOW + timedelta(minutes=30)),
        ("friday", NY, local(NY, 2026, 11, 27, 17, 0)),
        ("fri 12:00", BERLIN, local(BERLIN, 2026, 11, 27, 12, 0)),
        ("monday", NY, local(NY, 2026, 11, 30, 17, 0)),  # the next Monday, not today
        ("next wednesday 09:30", NY, local(NY, 2026, 11, 25, 9, 30)),
        ("5pm", NY, local(NY, 2026, 11, 23, 17, 0)),
    ],
)
def test_deadline_forms_in_the_users_time_zone(text, tz, expected):
    assert parse_deadline(text, now=NOW, tz=tz) == expected


@pytest.mark.parametrize("text", ["", "soon", "2025-13-45", "tomorrow 25:00", "17", "next", "+4y", "13pm"])
def test_unreadable_deadlines_name_the_forms(text):
    with pytest.raises(UserError) as err:
        parse_deadline(text, now=NOW, tz=NY)
    assert "deadline" in err.value.message


def test_deadline_across_a_dst_change():
    # New York leaves DST on 2026-11-01: "tomorrow 09:00" typed on Oct 31 is 14:00 UTC, not 13:00.
    before = datetime(2026, 10, 31, 16, 0, tzinfo=UTC)
    assert parse_deadline("tomorrow 09:00", now=before, tz=NY) == datetime(2026, 11, 1, 14, 0, tzinfo=UTC)
