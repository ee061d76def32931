"""Whatever people type, the item parsers answer with a value or a UserError, never anything else."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.errors import UserError
from bot.core.flags import Arity, Flag, parse_flags
from bot.core.items import lifecycle as lc
from bot.core.items import rules
from bot.core.timing.deadlines import parse_deadline
from bot.slack.text import from_slack

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
ZONES = st.sampled_from([ZoneInfo(z) for z in ("UTC", "America/New_York", "Asia/Kolkata", "Pacific/Chatham")])
WORDS = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
DEADLINE_LIKE = st.one_of(
    WORDS,
    st.from_regex(r"(today|tomorrow|next )?(mon|fri|sunday)? ?\d{1,2}(:\d{2})? ?(am|pm)?", fullmatch=True),
    st.from_regex(r"\+\d{1,6}(m|h|d|w)", fullmatch=True),
    st.from_regex(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:\d{2})?)?", fullmatch=True),
)
SPEC = [
    Flag("priority", Arity.ONE),
    Flag("note", Arity.WORDS),
    Flag("system", Arity.REPEAT),
    Flag("force", Arity.SWITCH),
]


@settings(max_examples=400, deadline=None)
@given(text=DEADLINE_LIKE, tz=ZONES)
def test_deadlines_are_aware_utc_or_a_user_error(text, tz):
    try:
        value = parse_deadline(text, now=NOW, tz=tz)
    except UserError as err:
        assert "<" not in err.message.replace("&lt;", "")
        return
    assert value.tzinfo is not None and value.utcoffset().total_seconds() == 0


@settings(max_examples=400, deadline=None)
@given(
    words=st.lists(
        st.one_of(WORDS, st.sampled_from(["--priority", "--note", "--system", "--force", "--x", "--"])),
        max_size=12,
    )
)
def test_flags_parse_or_refuse(words):
    try:
        parsed = parse_flags(words, SPEC, command="track")
    except UserError:
        return
    assert set(parsed.given()) <= {"priority", "note", "system", "force"}


@settings(max_examples=400, deadline=None)
@given(text=WORDS)
def test_field_parsers_only_raise_user_errors(text):
    for parse in (
        rules.parse_priority,
        rules.parse_kind,
        rules.parse_evidence_kind,
        rules.parse_money,
        rules.parse_percent,
        rules.parse_count,
        rules.normalise_item_id,
        rules.normalise_incident_id,
        lc.parse_status,
        rules.clean_title,
    ):
        try:
            parse(text)
        except UserError as err:
            assert "<!" not in err.message


@settings(max_examples=400, deadline=None)
@given(text=WORDS)
def test_text_from_slack_never_grows_a_special_mention_that_was_not_typed(text):
    assert from_slack(text).count("<!") <= text.count("<!") + text.count("&lt;!")
