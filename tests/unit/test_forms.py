"""The form module: a submitted view's state -> typed values by name; a refusal -> errors by block id."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import pytest

from bot.core.errors import Checks, Invalid, UserError, about
from bot.slack import forms
from bot.slack.forms import Field

SPEC = {
    "title": Field("b_title"),
    "count": Field("b_count", "number"),
    "priority": Field("b_priority", "select"),
    "systems": Field("b_systems", "multi_select"),
    "owner": Field("b_owner", "user"),
    "people": Field("b_people", "users"),
    "due": Field("b_due", "date"),
    "at": Field("b_at", "time"),
    "when": Field("b_when", "datetime"),
    "flags": Field("b_flags", "checkboxes"),
    "ticked": Field("b_tick", "checkboxes", prefix=True, also=("criteria",)),
    "files": Field("b_files", "files"),
}


def view(values: dict[str, dict[str, Any]], meta: str = "") -> dict[str, Any]:
    """A submitted view as Slack sends it: each block holds one element under its action id."""
    return {
        "id": "V1",
        "private_metadata": meta,
        "state": {"values": {block: {f"{block}_action": element} for block, element in values.items()}},
    }


def test_every_kind_is_read_into_its_type() -> None:
    form = forms.read(
        view(
            {
                "b_title": {"type": "plain_text_input", "value": "  Disk full  "},
                "b_count": {"type": "number_input", "value": "12.5"},
                "b_priority": {"type": "static_select", "selected_option": {"value": "P1"}},
                "b_systems": {
                    "type": "multi_static_select",
                    "selected_options": [{"value": "a"}, {"value": "b"}],
                },
                "b_owner": {"type": "users_select", "selected_user": "UALICE"},
                "b_people": {"type": "multi_users_select", "selected_users": ["U1", "U2"]},
                "b_due": {"type": "datepicker", "selected_date": "2030-01-31"},
                "b_at": {"type": "timepicker", "selected_time": "17:30"},
                "b_when": {"type": "datetimepicker", "selected_date_time": 1_900_000_000},
                "b_flags": {"type": "checkboxes", "selected_options": [{"value": "force"}]},
                "b_tick_0": {"type": "checkboxes", "selected_options": [{"value": "0"}, {"value": "2"}]},
                "b_tick_1": {"type": "checkboxes", "selected_options": [{"value": "11"}]},
                "b_files": {"type": "file_input", "files": [{"id": "F1"}, {"name": "no id"}]},
            },
            meta='{"id": "R-1"}',
        ),
        SPEC,
    )
    assert form.errors == {}
    assert form.values == {
        "title": "Disk full",
        "count": Decimal("12.5"),
        "priority": "P1",
        "systems": ["a", "b"],
        "owner": "UALICE",
        "people": ["U1", "U2"],
        "due": date(2030, 1, 31),
        "at": time(17, 30),
        "when": datetime.fromtimestamp(1_900_000_000, tz=UTC),
        "flags": ["force"],
        "ticked": ["0", "2", "11"],
        "files": ["F1"],
    }
    assert form.meta == {"id": "R-1"} and form["owner"] == "UALICE"


def test_an_empty_or_missing_input_is_none_and_an_empty_list() -> None:
    form = forms.read(view({"b_title": {"value": "   "}, "b_priority": {"selected_option": None}}), SPEC)
    assert form.values["title"] is None and form.values["priority"] is None and form.values["due"] is None
    assert form.values["systems"] == [] and form.values["ticked"] == [] and form.values["files"] == []
    assert form.errors == {} and form.read_errors() is None


@pytest.mark.parametrize("meta", ["", "not json", "[1, 2]", "null"])
def test_metadata_that_is_not_an_object_reads_as_empty(meta: str) -> None:
    assert forms.read(view({}, meta=meta), SPEC).meta == {}
    assert forms.metadata({"private_metadata": meta}) == {}


def test_a_view_without_state_reads_as_all_empty() -> None:
    form = forms.read(None, SPEC)
    assert form.values["title"] is None and form.errors == {}


@pytest.mark.parametrize(
    ("block", "element"),
    [
        ("b_count", {"value": "twelve"}),
        ("b_count", {"value": "NaN"}),
        ("b_due", {"selected_date": "2030-02-31"}),
        ("b_at", {"selected_time": "25:00"}),
        ("b_when", {"selected_date_time": "soon"}),
    ],
)
def test_what_cannot_be_read_is_an_error_at_its_block(block: str, element: dict[str, Any]) -> None:
    form = forms.read(view({block: element}), SPEC)
    assert list(form.errors) == [block]
    refusal = form.read_errors()
    assert (
        refusal is not None and refusal["response_action"] == "errors" and list(refusal["errors"]) == [block]
    )


def test_a_service_problem_lands_next_to_the_input_it_names() -> None:
    form = forms.read(view({}), SPEC)
    assert form.refusal(UserError("Too long.", field="owner")) == {
        "response_action": "errors",
        "errors": {"b_owner": "Too long."},
    }
    # a split input shows its problem at its first group, under any of its names
    assert form.refusal(UserError("Tick them all.", field="criteria"))["errors"] == {
        "b_tick_0": "Tick them all."
    }


def test_a_problem_naming_no_input_goes_where_the_caller_says_or_to_the_first_input() -> None:
    form = forms.read(view({}), SPEC)
    assert form.refusal(UserError("No."))["errors"] == {"b_title": "No."}
    assert form.refusal(UserError("No.", field="elsewhere"), at="b_due")["errors"] == {"b_due": "No."}
    assert form.refusal("Plain words.", at="b_at")["errors"] == {"b_at": "Plain words."}


def test_several_problems_at_once_each_land_at_their_input() -> None:
    form = forms.read(view({}), SPEC)
    refusal = form.refusal(Invalid({"title": "Give a title.", "priority": "Pick one."}))
    assert refusal["errors"] == {"b_title": "Give a title.", "b_priority": "Pick one."}


def test_field_errors_are_plain_bounded_text() -> None:
    message = "`&lt;@U1&gt;` is due <!date^1900000000^{date}|31 Jan 2030> &amp; more " + "x" * 300
    shown = forms.read(view({}), SPEC).refusal(UserError(message, field="title"))["errors"]["b_title"]
    assert shown.startswith("<@U1> is due 31 Jan 2030 & more x")
    assert len(shown) == forms.MAX_ERROR


def test_about_names_the_input_of_an_unnamed_problem_only() -> None:
    with pytest.raises(UserError) as raised, about("deadline"):
        raise UserError("In the past.")
    assert raised.value.field == "deadline" and raised.value.problems == {"deadline": "In the past."}
    with pytest.raises(UserError) as kept, about("deadline"):
        raise UserError("Bad owner.", field="owner")
    assert kept.value.field == "owner"


def test_checks_collect_every_problem_then_raise_them_together() -> None:
    def positive(text: str) -> int:
        if int(text) <= 0:
            raise UserError("Give a positive number.")
        return int(text)

    checks = Checks()
    assert checks("a", positive, "3") == 3
    assert checks("b", positive, "-1") is None
    checks.require("c", "  ", "Say something.")
    checks.require("d", "fine", "never shown")
    with pytest.raises(Invalid) as raised:
        checks.done()
    assert raised.value.problems == {"b": "Give a positive number.", "c": "Say something."}
    assert raised.value.field == "b" and raised.value.message == "Give a positive number."
    Checks().done()  # nothing failed: nothing raised


def test_a_text_can_be_kept_as_typed() -> None:
    spec = {"doc": Field("b_doc", strip=False)}
    assert forms.read(view({"b_doc": {"value": "  # Title\n"}}), spec)["doc"] == "  # Title\n"


def test_indexes_keep_only_what_the_form_wrote() -> None:
    assert forms.indexes(["0", "12", "²", "-1", "12345", "x"]) == [0, 12]
