"""JSON logs: the fixed keys every line carries, and the fields a caller passes with ``extra=``."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.logs import new_request_id, setup_logging


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    setup_logging("INFO", "json")
    out = io.StringIO()
    root.handlers[0].setStream(out)  # type: ignore[attr-defined]
    yield out
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)


def _records(out: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_an_extra_field_and_the_request_id_are_in_the_json_line(json_lines: io.StringIO) -> None:
    rid = new_request_id()
    logging.getLogger("bot.test").info("reminded %s", "alice", extra={"item_id": "P0-17"})

    (record,) = _records(json_lines)
    assert record["item_id"] == "P0-17"
    assert record["request_id"] == rid
    assert record["msg"] == "reminded alice"
    assert record["level"] == "INFO"
    assert record["logger"] == "bot.test"
    assert str(record["ts"]).endswith("+00:00")


def test_an_exception_is_one_json_line_with_its_trace(json_lines: io.StringIO) -> None:
    try:
        raise ValueError("bad date")
    except ValueError:
        logging.getLogger("bot.test").exception("could not parse")

    (record,) = _records(json_lines)
    assert record["msg"] == "could not parse"
    assert "ValueError: bad date" in str(record["exc"])
    assert {"ts", "level", "logger", "request_id"} <= record.keys()
