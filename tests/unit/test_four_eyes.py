"""Four eyes, as a rule on an item's history: nobody who owned the item since it last entered In Progress,
and nobody who marked it Completed, may validate it (unless self-validation is allowed)."""

from __future__ import annotations

import pytest

from bot.core.items import four_eyes
from bot.core.items.four_eyes import COMPLETED, OWNED, OWNS, Entry, barred, refusal

ITEM = "P0-20261123-001"


def created(owner: str | None = "UBOB", by: str = "UALICE") -> Entry:
    return Entry("created", by, {"owner_id": owner, "priority": "P0"})


def assigned(to: str, by: str = "UALICE", was: str | None = None) -> Entry:
    return Entry("assigned", by, {"from": was, "to": to})


def moved(was: str, to: str, by: str = "UBOB", verb: str = "", kind: str = "status") -> Entry:
    return Entry(kind, by, {"from": was, "to": to, "verb": verb})


def noted(by: str) -> Entry:
    return Entry("note", by, {"text": "looked at it"})


START = moved("identified", "in_progress", verb="start")
COMPLETE = moved("in_progress", "completed", verb="complete")


def why(history: list[Entry], actor: str, *, owner: str | None) -> str | None:
    return barred(history, owner_id=owner).get(actor)


def test_the_owner_who_completed_is_barred_and_everyone_else_is_free():
    history = [created(), noted("UCAROL"), START, COMPLETE]
    assert barred(history, owner_id="UBOB") == {"UBOB": OWNS}
    for free in ("UALICE", "UCAROL", "UDAVE"):
        assert why(history, free, owner="UBOB") is None


def test_the_owner_who_completed_and_handed_the_item_on_is_still_barred():
    history = [created(), START, COMPLETE, assigned("UCAROL", by="UBOB", was="UBOB")]
    assert barred(history, owner_id="UCAROL") == {"UBOB": OWNED, "UCAROL": OWNS}


def test_a_reporter_who_completed_an_item_someone_else_owns_is_barred():
    history = [created(), START, moved("in_progress", "completed", by="UALICE", verb="complete")]
    assert barred(history, owner_id="UBOB") == {"UALICE": COMPLETED, "UBOB": OWNS}


def test_every_owner_since_the_work_started_is_barred():
    history = [
        created(owner="UDAVE"),
        assigned("UBOB", was="UDAVE"),  # Dave gave it away before anybody started: he is free
        START,
        assigned("UCAROL", was="UBOB"),
        assigned("UERIN", was="UCAROL"),
        moved("in_progress", "completed", by="UERIN", verb="complete"),
        assigned("UFRANK", was="UERIN"),
    ]
    assert barred(history, owner_id="UFRANK") == {
        "UBOB": OWNED,
        "UCAROL": OWNED,
        "UERIN": OWNED,  # owning is the stronger reason than completing
        "UFRANK": OWNS,
    }


def test_a_failed_validation_starts_the_work_again():
    """Sent back: whoever owned or completed the earlier attempt may validate the new one, unless they
    own it still or had a hand in the new attempt."""
    history = [
        created(),
        START,
        moved("in_progress", "completed", by="UALICE", verb="complete"),
        moved("completed", "in_progress", by="UCAROL", verb="send_back", kind="validation_failed"),
        assigned("UDAVE", was="UBOB"),
        moved("in_progress", "completed", by="UDAVE", verb="complete"),
    ]
    # Bob owned the item when it went back to In Progress: he owned it during the new attempt too.
    assert barred(history, owner_id="UDAVE") == {"UBOB": OWNED, "UDAVE": OWNS}
    assert why(history, "UALICE", owner="UDAVE") is None, "Alice completed the earlier attempt only"
    assert why(history, "UCAROL", owner="UDAVE") is None, "the validator who sent it back may validate"


def test_a_block_in_the_middle_of_the_work_is_a_pause_not_a_new_start():
    history = [
        created(),
        START,
        moved("in_progress", "blocked", verb="block"),
        assigned("UCAROL", was="UBOB"),
        moved("blocked", "in_progress", by="UCAROL", verb="unblock"),
        moved("in_progress", "completed", by="UCAROL", verb="complete"),
    ]
    assert barred(history, owner_id="UCAROL") == {"UBOB": OWNED, "UCAROL": OWNS}


def test_unblocking_into_in_progress_from_before_the_work_starts_it():
    history = [
        created(),
        moved("identified", "blocked", verb="block"),
        assigned("UCAROL", was="UBOB"),
        moved("blocked", "identified", by="UCAROL", verb="unblock"),
        moved("identified", "in_progress", by="UCAROL", verb="start"),
        moved("in_progress", "completed", by="UCAROL", verb="complete"),
    ]
    assert why(history, "UBOB", owner="UCAROL") is None, "Bob owned it only before the work began"


def test_an_item_that_started_in_progress_counts_its_first_owner():
    history = [created(owner="UBOB"), moved("identified", "in_progress", by="UALICE", verb="start")]
    history += [assigned("UCAROL", was="UBOB"), moved("in_progress", "completed", by="UCAROL")]
    assert barred(history, owner_id="UCAROL") == {"UBOB": OWNED, "UCAROL": OWNS}


def test_without_a_history_only_the_owner_is_barred():
    assert barred([], owner_id="UBOB") == {"UBOB": OWNS}
    assert barred([], owner_id=None) == {}


def test_entries_the_rule_does_not_read_change_nothing():
    history = [created(), START, noted("UCAROL"), Entry("evidence", "UDAVE", {"kind": "link"}), COMPLETE]
    assert barred(history, owner_id="UBOB") == {"UBOB": OWNS}
    assert {"created", "assigned", "status", "validation_failed"} <= set(four_eyes.KINDS)


@pytest.mark.parametrize(
    ("actor", "owner", "history", "needles"),
    [
        (
            "UBOB",
            "UBOB",
            [created(), START, COMPLETE],
            ("You own P0-", "four eyes", "<@UALICE> for instance"),
        ),
        (
            "UBOB",
            "UCAROL",
            [created(), START, COMPLETE, assigned("UCAROL")],
            ("You owned P0-20261123-001 while it was in progress", "four eyes", "<@UALICE>"),
        ),
        (
            "UALICE",
            "UBOB",
            [created(), START, moved("in_progress", "completed", by="UALICE")],
            ("You marked P0-20261123-001 completed", "four eyes", "a teammate for instance"),
        ),
    ],
)
def test_the_refusal_says_why_and_who_could(actor, owner, history, needles):
    text = refusal(
        ITEM, actor, owner_id=owner, reporter_id="UALICE", history=history, allow_self_validation=False
    )
    assert text is not None
    for needle in needles:
        assert needle in text, text


def test_the_reporter_is_suggested_only_when_free():
    history = [created(owner="UALICE", by="UALICE"), START, COMPLETE]
    text = refusal(
        ITEM, "UBOB", owner_id="UALICE", reporter_id="UALICE", history=history, allow_self_validation=False
    )
    assert text is not None and "a teammate" in text and "<@UALICE> for instance" not in text


def test_self_validation_allowed_lets_everybody():
    history = [created(), START, COMPLETE, assigned("UCAROL")]
    for actor in ("UBOB", "UCAROL"):
        assert (
            refusal(
                ITEM,
                actor,
                owner_id="UCAROL",
                reporter_id="UALICE",
                history=history,
                allow_self_validation=True,
            )
            is None
        )
    assert (
        refusal(
            ITEM,
            "UDAVE",
            owner_id="UCAROL",
            reporter_id="UALICE",
            history=history,
            allow_self_validation=False,
        )
        is None
    )
