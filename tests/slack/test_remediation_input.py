"""Bad input gets one clear ephemeral message with the right form and changes nothing; user text never
pings anyone."""

from __future__ import annotations

import json

import pytest

from tests.slack.item_steps import create, domain_snapshot, item, refused, run
from tests.support import snapshot

ITEM = "P2-20261123-001"  # the item the warm-up creates


@pytest.fixture
def warm(bot, slack, fake_slack):
    """One item, its DM sent, and the users involved already looked up (so that a refusal cannot even touch
    the users.info cache)."""
    item_id = create(slack, '"Warm up" --priority P2 --owner <@UBOB|bob> --deadline +1d', user="UALICE")
    assert item_id == ITEM
    bot.deliver()
    fake_slack.wait_for(lambda: fake_slack.posts("UBOB"))
    return item_id


CASES = [
    ("show P0-20991231-001", "There is no item P0-20991231-001"),
    ("show banana", "not an item id"),
    ("track p9-20261123-001 --status in_progress", "nor an item id"),
    ('track new "Fix it" --prio P0', "`--prio` is not a flag of `/remediate track`"),
    ('track new "Fix it" --priority', "`--priority` needs a value"),
    ('track new "Fix it" --owner', "`--owner` needs a value"),
    ('track new "Fix it" --priority P7', "not a priority"),
    (f"track {ITEM} --status finished-ish", "not a status"),
    (f"track {ITEM} --deadline next blursday", "could not read"),
    ('track new "Fix it" --deadline 2026-13-40', "could not read"),
    ('track new "Fix it" --deadline 2020-01-01', "in the past"),
    (f"track {ITEM} --deadline yesterday-ish", "could not read"),
    (f"track {ITEM} --deadline 2026-11-20T10:00", "in the past"),
    ('track new "' + "x" * 201 + '"', "201 characters"),
    ('track new "Fix it" --owner <@UNOBODY|nobody>', "no user"),
    ('track new "Fix it" --owner @zed', "don't know a user"),
    (f"assign {ITEM} <@UNOBODY|nobody>", "no user"),
    ('track new "Fix it" --kind magic', "not a kind"),
    ('track new "Fix it" --mrr lots', "not an amount"),
    ('track new "Fix it" --availability 140', "between 0 and 100"),
    ('track new "Fix it" --incident INC-7', "not an incident id"),
    ("track new", "needs a title"),
    (f"track {ITEM}", "Nothing to change"),
    (f"track {ITEM} extra words", "did not understand"),
    ("track banana --priority P1", "neither `new` nor an item id"),
    ('track new "unbalanced --priority P1', "check your quotes"),
    ("note P0-20991231-001 hello", "There is no item"),
    (f"note {ITEM}", "Write the note"),
    (f"block {ITEM}", "Write the reason"),
    (f"cancel {ITEM}", "Write the reason"),
    (f"evidence {ITEM} vibes abc", "not a kind of evidence"),
    (f"evidence {ITEM} commit", "kind of evidence and its reference"),
    (f"criteria {ITEM} remove x", "`add`"),
    (f"validate {ITEM}", "only a Completed item"),
    ("list someday", "not a list"),
    ("list --page zero", "not a page number"),
    ("status --verbose", "not a flag"),
]


@pytest.mark.parametrize(("command", "says"), CASES, ids=[c for c, _ in CASES])
def test_bad_input_gets_one_clear_ephemeral_message_and_changes_nothing(bot, slack, warm, command, says):
    before = snapshot(bot.deps.engine)
    data = run(slack, command, user="UALICE")
    refused(data, says, "Usage:")
    assert snapshot(bot.deps.engine) == before


def test_a_past_deadline_is_accepted_with_force(bot, slack, warm):
    item_id = create(slack, '"Back-filled from last quarter" --priority P3 --deadline 2026-10-01 --force')
    assert item(bot, item_id).deadline.isoformat().startswith("2026-10-01")
    run(slack, f"track {item_id} --deadline 2026-09-01T09:00 --force")


def test_a_refused_update_applies_none_of_its_changes(bot, slack, warm):
    before = domain_snapshot(bot)  # looking Carol up fills the users.info cache, and that is all
    # Priority, owner and note are fine; the status move is not allowed: nothing at all is written.
    data = run(slack, f"track {ITEM} --priority P0 --owner <@UCAROL|carol> --note hi --status completed")
    refused(data, "cannot go from Identified to Completed")
    assert domain_snapshot(bot) == before
    assert item(bot, ITEM).priority == "P2"


def test_user_text_never_reaches_slack_unescaped(bot, slack, fake_slack):
    item_id = create(
        slack,
        '"<!channel> pwned <@UADMIN> &lt;b&gt;" --priority P0 --owner <@UBOB|bob> '
        '--note "<!here> also &amp; <!everyone>" --system "<!channel>"',
        user="UALICE",
    )
    run(slack, f"note {item_id} <!channel> second", user="UCAROL")
    run(slack, f'evidence {item_id} link "<!channel>" "<!here>"', user="UCAROL")
    run(slack, f'criteria {item_id} add "<!channel> criterion"', user="UCAROL")
    shown = run(slack, f"show {item_id}", user="UCAROL")
    listed = run(slack, "list open", user="UCAROL")
    status = run(slack, "status --show-overdue --show-upcoming", user="UCAROL")
    refusal = run(slack, "show <!channel>", user="UCAROL")
    slack.event({"type": "app_home_opened", "user": "UBOB", "channel": "DBOB", "tab": "home"})
    fake_slack.wait_for(lambda: fake_slack.home("UBOB"))
    bot.deliver()
    fake_slack.wait_for(lambda: fake_slack.posts("UBOB"))
    everything = json.dumps([shown, listed, status, refusal]) + json.dumps(
        [c.args for c in fake_slack.calls if c.method != "users.info"]
    )
    for special in ("<!channel>", "<!here>", "<!everyone>", "<@UADMIN>"):
        assert special not in everything, special
    assert "&lt;!channel&gt; pwned" in everything
    assert item(bot, item_id).title == "<!channel> pwned @UADMIN <b>", "stored as typed, escaped when shown"
