"""Hypothesis strategies for what people (and attackers) type: command arguments and modal values."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from bot.slack.listeners.commands.incident import build_router as incident_router
from bot.slack.listeners.commands.remediate import build_router as remediate_router


def _names(router: Any) -> list[str]:
    names: list[str] = []
    for sub in router.subcommands.values():
        names += [sub.name, *sub.aliases]
    return names


REMEDIATE_SUBCOMMANDS = _names(remediate_router())
INCIDENT_SUBCOMMANDS = _names(incident_router())

# Characters people paste: every plane but lone surrogates (which JSON and URL encoding cannot carry).
ANY_CHAR = st.characters(blacklist_categories=("Cs",))
CONTROL = st.sampled_from(["\x00", "\x01", "\x07", "\x1b", "\x7f", "\r", "\t", "\n", "\u0085", "\u2028"])
SNEAKY = st.sampled_from(
    [
        "\u202e",  # right-to-left override
        "\u200b",  # zero-width space
        "\u200d",  # zero-width joiner
        "\ufeff",  # byte-order mark
        "\u2066",  # left-to-right isolate
        "\u0301",  # a combining accent with nothing to combine with
        "\U0001f525",
        "שלום",
        "مرحبا",
        "\uff30\uff2f",  # full-width letters
    ]
)
SLACK_MARKUP = st.sampled_from(
    [
        "<!channel>",
        "<!here>",
        "<!everyone>",
        "<!subteam^S123|@oncall>",
        "<@UBOB|bob>",
        "<@UCAROL>",
        "<@UNOBODY|nobody>",
        "<@>",
        "<#C123|general>",
        "<https://evil.example|click>",
        "<javascript:alert(1)|x>",
        "&lt;!channel&gt;",
        "&amp;",
        "<!date^1700000000^{date}|x>",
        "*bold*",
        "_it_",
        "~s~",
        "`code`",
        "```block```",
        "> quote",
        ":white_check_mark:",
        "@alice",
        "@zed",
    ]
)
SQL = st.sampled_from(
    ["'; DROP TABLE remediation_item; --", '" OR 1=1 --', "%", "_", "\\", "\\x00", "$1", "?", ";"]
)
QUOTES = st.sampled_from(['"', "'", "\u201c", "\u201d", "\u2018", "\u2019", '""', "''", '"a b"', "'a b'"])
FLAG_NAMES = st.sampled_from(
    [
        "--priority",
        "--owner",
        "--deadline",
        "--status",
        "--note",
        "--system",
        "--description",
        "--kind",
        "--mrr",
        "--users",
        "--availability",
        "--incident",
        "--source",
        "--force",
        "--page",
        "--show-overdue",
        "--show-upcoming",
        "--waive",
        "--next",
        "--eta",
        "--impact",
        "--",
        "-",
        "--=",
        "--priority=P0",
        "--force=yes",
        "--Priority",
        "--no-such-flag",
    ]
)
VALUES = st.sampled_from(
    [
        "P0",
        "p1",
        "P2",
        "P3",
        "P9",
        "new",
        "add",
        "mine",
        "overdue",
        "upcoming",
        "open",
        "all",
        "blocked",
        "completed",
        "identified",
        "planned",
        "in_progress",
        "in progress",
        "validated",
        "cancelled",
        "investigating",
        "mitigating",
        "monitoring",
        "resolved",
        "closed",
        "corrective",
        "preventative",
        "detective",
        "commit",
        "code",
        "test",
        "link",
        "abc123f",
        "app/x.py:L1-L2",
        "tests/t.py::test_x",
        "tomorrow 17:00",
        "today",
        "+4h",
        "+3d",
        "+0m",
        "+999999999d",
        "999999999d",
        "99999999999999w",
        "0.0001m",
        "-4h",
        "friday",
        "next monday 9am",
        "2026-11-24",
        "2026-11-24T11:45",
        "2020-01-01",
        "9999-12-31T23:59",
        "0000-00-00",
        "30m",
        "0",
        "-1",
        "1e308",
        "nan",
        "inf",
        "1_000",
        "50000",
        "12.5%",
        "99999999999999999999999",
    ]
)
ID_NOISE = st.sampled_from(
    [
        "P0-20991231-001",
        "P0-20261123-999",
        "p0-20261123-001",
        "P0-2026",
        "INC-20991231-001",
        "INC-7",
        "inc-20261123-001",
        "INC-20261123-999999999999",
        "P0-20261123-001" + "0" * 40,
    ]
)
WORD = st.text(ANY_CHAR, min_size=1, max_size=12)


def long_text() -> st.SearchStrategy[str]:
    """A long run of one character, or of a short pattern: 150 characters to 45 KB."""
    return st.builds(
        lambda unit, n: (unit * (n // max(1, len(unit)) + 1))[:n],
        st.sampled_from(["x", "é", "<!channel>", "\u200b", "a b ", "\U0001f525", '"', "--note "]),
        st.sampled_from([150, 199, 200, 201, 3000, 3001, 10_001, 40_000, 45_000]),
    )


def token(ids: list[str]) -> st.SearchStrategy[str]:
    """One word of a command: an id that exists, a flag, a value, markup, or anything at all."""
    return st.one_of(
        st.sampled_from(ids),
        ID_NOISE,
        FLAG_NAMES,
        VALUES,
        SLACK_MARKUP,
        SQL,
        QUOTES,
        CONTROL,
        SNEAKY,
        WORD,
    )


def quoted(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.builds(lambda q, t: f"{q}{t}{q}", st.sampled_from(['"', "'", ""]), inner)


def piece(ids: list[str]) -> st.SearchStrategy[str]:
    """A token, a flag with a value, or a quoted phrase."""
    phrase = st.lists(st.one_of(WORD, VALUES, SLACK_MARKUP, SNEAKY, SQL), min_size=1, max_size=4).map(
        " ".join
    )
    return st.one_of(
        token(ids),
        st.builds(lambda f, v: f"{f} {v}", FLAG_NAMES, st.one_of(VALUES, SLACK_MARKUP, quoted(phrase))),
        quoted(phrase),
    )


def arguments(ids: list[str]) -> st.SearchStrategy[str]:
    """The text after the sub-command: usually an id first, then tokens, flags and phrases; sometimes a very
    long run, sometimes nothing but noise."""
    head = st.one_of(
        st.sampled_from(ids),
        st.sampled_from(ids).map(str.lower),
        st.sampled_from(["new", "add"]),
        ID_NOISE,
        st.just(""),
    )
    glue = st.sampled_from([" ", " ", " ", "  ", "\t", "\n"])
    body = st.lists(piece(ids), max_size=8)
    structured = st.builds(lambda h, ws, g: g.join([h, *ws]).strip(), head, body, glue)
    with_long = st.builds(lambda a, b: f"{a} {b}", structured, quoted(long_text()))
    return st.one_of(structured, structured, structured, with_long, st.text(ANY_CHAR, max_size=80))


USERS = st.sampled_from(
    ["<@UBOB|bob>", "<@UCAROL|carol>", "<@UALICE>", "<@UNOBODY|x>", "@dave", "UDAVE", "@", "<!here>"]
)
TRACK_FLAG = st.one_of(
    st.builds(lambda v: f"--priority {v}", st.sampled_from(["P0", "P1", "p3", "P7", ""])),
    st.builds(lambda v: f"--owner {v}", USERS),
    st.builds(lambda v: f"--deadline {v}", VALUES),
    st.builds(
        lambda v: f"--status {v}",
        st.sampled_from(
            ["in_progress", "planned", "completed", "blocked", "cancelled", "validated", "identified", "nope"]
        ),
    ),
    st.builds(lambda v: f'--note "{v}"', WORD),
    st.builds(lambda v: f"--system {v}", WORD),
    st.builds(lambda v: f"--kind {v}", st.sampled_from(["corrective", "preventative", "detective", "x"])),
    st.builds(lambda f, v: f"--{f} {v}", st.sampled_from(["mrr", "users", "availability"]), VALUES),
    st.builds(lambda v: f"--incident {v}", st.one_of(ID_NOISE, st.just("INC-20261123-001"))),
    st.just("--force"),
)


def _grammar(ids: list[str]) -> dict[str, st.SearchStrategy[str]]:
    """Well-formed-looking arguments per sub-command, with bad values mixed in."""
    item = st.sampled_from([i for i in ids if not i.startswith("INC-")] or ["P0-20261123-001"])
    inc = st.sampled_from([i for i in ids if i.startswith("INC-")] or ["INC-20261123-001"])
    text = st.one_of(WORD, SLACK_MARKUP, SNEAKY, quoted(WORD))
    flags = st.lists(TRACK_FLAG, max_size=4).map(" ".join)

    def b(fmt: str, *parts: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.builds(lambda *xs: fmt.format(*xs), *parts)

    return {
        "track": st.one_of(b("{} {}", item, flags), b('new "{}" {}', text, flags)),
        "new": b('"{}" {}', text, flags),
        "show": item,
        "list": b(
            "{} {}",
            st.sampled_from(["mine", "open", "all", "overdue", "x"]),
            st.sampled_from(
                ["", "--priority P0", "--status blocked", "--owner <@UBOB|bob>", "--page 2", "--page 0"]
            ),
        ),
        "status": st.sampled_from(["", "--show-overdue", "--show-upcoming --show-overdue", "--x"]),
        "note": b("{} {}", item, text),
        "assign": b("{} {}", item, USERS),
        "reassign": b("{} {}", item, USERS),
        "block": b("{} {}", item, text),
        "unblock": b("{} {}", item, text),
        "cancel": b("{} {}", item, text),
        "evidence": b(
            "{} {} {} {}", item, st.sampled_from(["commit", "code", "test", "link", "vibes"]), VALUES, text
        ),
        "criteria": b('{} add "{}"', item, text),
        "prevent": b('{} "{}"', item, text),
        "validate": item,
        "update": b('{} {} "{}" --next {} --eta {}', inc, VALUES, text, VALUES, quoted(WORD)),
        "resolve": b('{} "{}"', inc, text),
        "ack": inc,
        "acknowledge": inc,
        "reopen": b('{} "{}"', inc, text),
        "postmortem": inc,
        "post-mortem": inc,
        "close": b("{} {}", inc, st.sampled_from(["", '--waive "not needed"', "--waive", "--x"])),
        "declare": text,
    }


def command_text(subcommands: list[str], ids: list[str]) -> st.SearchStrategy[str]:
    """``sub-command + arbitrary args``: half of them shaped like the sub-command's usage (with bad values
    mixed in), half anything at all; now and then an unknown sub-command, upper case, or nothing."""
    grammar = _grammar(ids)
    shaped = st.sampled_from(subcommands).flatmap(
        lambda sub: st.builds(lambda a: f"{sub} {a}".strip(), grammar.get(sub, arguments(ids)))
    )
    head = st.one_of(
        st.sampled_from(subcommands),
        st.sampled_from(subcommands),
        st.sampled_from(subcommands).map(str.upper),
        st.sampled_from(["help", "-h", "?", "", " ", "unknown", "<!channel>", "trac", "--help"]),
        WORD,
    )
    anything = st.builds(lambda h, a: f"{h} {a}" if a else h, head, arguments(ids))
    return st.one_of(shaped, anything)


def values_for(ids: list[str]) -> st.SearchStrategy[str | None]:
    """What a modal input may hold: nothing, an empty string, a value of the right kind, or anything."""
    return st.one_of(
        st.none(),
        st.just(""),
        st.sampled_from(ids),
        VALUES,
        SLACK_MARKUP,
        SQL,
        ID_NOISE,
        long_text(),
        st.text(ANY_CHAR, max_size=60),
        st.builds(lambda a, b: f"{a}\n{b}", st.text(ANY_CHAR, max_size=30), st.text(ANY_CHAR, max_size=30)),
    )


# ---- modal state ----------------------------------------------------------------------------------------

USER_IDS = st.sampled_from(
    ["UALICE", "UBOB", "UCAROL", "UDAVE", "UADMIN", "UNOBODY", "UBOT", "", "W123", "<@UBOB>"]
)
DIGITS = st.sampled_from(
    ["0", "1", "2", "3", "9", "10", "-1", "\u00b2", "\u0661", "01", "1" * 5000, "99999999999999999999"]
)
DATES = st.sampled_from(
    ["2026-11-24", "2026-11-23", "2020-01-01", "9999-12-31", "0001-01-01", "2026-02-30", "tomorrow", ""]
)


def _option_values(element: dict[str, Any]) -> list[str]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += group.get("options") or []
    return [str(o.get("value")) for o in options if isinstance(o, dict) and o.get("value") is not None]


# Values a person would type into the text inputs, by block id: so that many submissions get past the
# first check and reach the deeper ones.
PLAUSIBLE_TEXT = {
    "item_title": ["Fix the retry loop", "<!channel> pwned", "x" * 200],
    "item_deadline": ["tomorrow 17:00", "+3d", "2026-12-01"],
    "item_mrr": ["5000", "50k"],
    "item_incident": ["INC-20261123-001", ""],
    "item_systems": ["api, web", "websocket"],
    "item_criteria": ["No errors for a day\nAlert fires"],
    "item_evidence": ["commit abc123f fixed it", "link https://ci.example/1", "test tests/t.py::test_x"],
    "item_prevention": ["Added an integration test"],
    "incident_title": ["API returns 500s", "<!here> down"],
    "incident_users_affected": ["1200", "1,200"],
    "incident_next_update": ["30m", "2h"],
    "incident_note": ["Rolled back deploy 42"],
    "incident_summary": ["root cause: bad config; fixed by rollback"],
    "incident_item_title": ["Add a canary for the config push"],
    "extract_text": ["## Action items\n\n- [ ] P2: Add a dashboard for retries (owner: @bob)\n"],
}


def _plausible(block_id: str, element: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]] | None:
    kind = element.get("type", "plain_text_input")
    options = _option_values(element)
    if kind == "plain_text_input":
        texts = next((v for k, v in PLAUSIBLE_TEXT.items() if block_id.startswith(k)), ["A note about it"])
        return st.sampled_from(texts).map(lambda v: {"type": kind, "value": v})
    if kind in ("static_select", "radio_buttons") and options:
        return st.sampled_from(options).map(
            lambda v: {
                "type": kind,
                "selected_option": {"text": {"type": "plain_text", "text": v}, "value": v},
            }
        )
    if kind == "users_select":
        return st.sampled_from(["UBOB", "UCAROL", "UDAVE"]).map(lambda u: {"type": kind, "selected_user": u})
    if kind == "datepicker":
        return st.sampled_from(["2026-11-30", "2027-01-15"]).map(lambda d: {"type": kind, "selected_date": d})
    if kind == "checkboxes" and options:
        return st.lists(st.sampled_from(options), unique=True).map(
            lambda vs: {
                "type": kind,
                "selected_options": [{"text": {"type": "plain_text", "text": v}, "value": v} for v in vs],
            }
        )
    return None


def element_value(
    element: dict[str, Any], ids: list[str], block_id: str = ""
) -> st.SearchStrategy[dict[str, Any]]:
    """What Slack would put in ``state.values`` for `element`: mostly something a person would enter, often
    anything at all."""
    anything = _any_value(element, ids)
    plausible = _plausible(block_id, element)
    return anything if plausible is None else st.one_of(plausible, plausible, anything)


def _any_value(element: dict[str, Any], ids: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    kind = element.get("type", "plain_text_input")
    text = values_for(ids)
    if kind in ("plain_text_input", "email_text_input", "url_text_input", "number_input", "rich_text_input"):
        return st.builds(lambda v: {"type": kind, "value": v}, text)
    if kind in ("static_select", "radio_buttons", "external_select"):
        known = _option_values(element) or ["x"]
        option = st.builds(
            lambda v: {"text": {"type": "plain_text", "text": str(v)[:75] or "x"}, "value": v},
            st.one_of(st.sampled_from(known), st.sampled_from(known), text.map(lambda v: v or "")),
        )
        return st.builds(lambda o: {"type": kind, "selected_option": o}, st.one_of(st.none(), option, option))
    if kind == "users_select":
        return st.builds(lambda u: {"type": kind, "selected_user": u}, st.one_of(st.none(), USER_IDS))
    if kind == "multi_users_select":
        return st.builds(lambda us: {"type": kind, "selected_users": us}, st.lists(USER_IDS, max_size=4))
    if kind == "conversations_select" or kind == "channels_select":
        key = "selected_conversation" if kind == "conversations_select" else "selected_channel"
        return st.builds(
            lambda c: {"type": kind, key: c}, st.one_of(st.none(), st.sampled_from(["C1", "D1", ""]))
        )
    if kind == "checkboxes" or kind == "multi_static_select":
        known = _option_values(element) or ["0"]
        value = st.one_of(st.sampled_from(known), st.sampled_from(known), DIGITS, WORD)
        opts = st.lists(value, max_size=6).map(
            lambda vs: [{"text": {"type": "plain_text", "text": "x"}, "value": v} for v in vs]
        )
        return st.builds(lambda o: {"type": kind, "selected_options": o}, opts)
    if kind == "datepicker":
        return st.builds(lambda d: {"type": kind, "selected_date": d}, st.one_of(st.none(), DATES))
    if kind == "timepicker":
        return st.builds(
            lambda t: {"type": kind, "selected_time": t},
            st.one_of(st.none(), st.sampled_from(["17:00", "25:61", ""])),
        )
    if kind == "datetimepicker":
        return st.builds(
            lambda t: {"type": kind, "selected_date_time": t},
            st.one_of(st.none(), st.integers(min_value=-(2**40), max_value=2**40)),
        )
    if kind == "file_input":
        file = st.builds(lambda i, n: {"id": i, "name": n}, st.one_of(WORD, st.just("F0NOPE")), WORD)
        return st.builds(lambda fs: {"type": kind, "files": fs}, st.lists(file, max_size=2))
    return st.builds(lambda v: {"type": kind, "value": v}, text)


def view_state(blocks: list[dict[str, Any]], ids: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """``state.values`` for a modal made of `blocks`: every input filled with anything, or left out."""
    fields = []
    for block in blocks:
        element = block.get("element") if block.get("type") == "input" else None
        if not isinstance(element, dict) or not block.get("block_id"):
            continue
        block_id, action_id = block["block_id"], element.get("action_id") or "a"
        value = element_value(element, ids, block_id).map(lambda v, b=block_id, a=action_id: (b, a, v))
        fields.append(st.one_of(value, value, value, st.none()))

    def assemble(parts: list[Any]) -> dict[str, Any]:
        return {b: {a: v} for p in parts if p is not None for b, a, v in [p]}

    return st.tuples(*fields).map(lambda parts: assemble(list(parts))) if fields else st.just({})


JSON_LEAF = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.text(ANY_CHAR, max_size=20), ID_NOISE
)
JSON_VALUE = st.recursive(
    JSON_LEAF,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def private_metadata(template: str, ids: list[str]) -> st.SearchStrategy[str]:
    """The modal's own private_metadata, the same with its values swapped for anything (another item, a
    wrong type), or something that is not what the app wrote at all."""
    import json as _json

    try:
        parsed = _json.loads(template) if template else None
    except ValueError:
        parsed = None
    options: list[st.SearchStrategy[str]] = [
        st.just(template),
        st.just(""),
        st.text(ANY_CHAR, max_size=40),
        JSON_VALUE.map(_json.dumps),
        st.sampled_from(ids),
    ]
    if isinstance(parsed, dict) and parsed:
        swapped = st.dictionaries(
            st.sampled_from(sorted(parsed)), st.one_of(JSON_VALUE, st.sampled_from(ids)), max_size=len(parsed)
        ).map(lambda d: _json.dumps({**parsed, **d}))
        options += [swapped, swapped, swapped]
    return st.one_of(*options)
