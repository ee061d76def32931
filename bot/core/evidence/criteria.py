"""Success criteria as typed, each with the test that proves it when one is named (``--test REF``)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from bot.core.errors import UserError
from bot.core.evidence.testrefs import check_ref, split_criterion
from bot.core.items import rules


def new_criteria(values: Iterable[str], *, existing: Sequence[str] = ()) -> list[dict[str, Any]]:
    """The criteria to add, ``{"text", "done": False[, "test"]}`` each: cleaned like every list of an item
    (stripped, de-duplicated against `existing`, bounded); UserError naming the problem otherwise."""
    tests: dict[str, str] = {}
    texts: list[str] = []
    for raw in values:
        text, ref = split_criterion(raw or "")
        text = re.sub(r"\s+", " ", text).strip()
        if ref is not None:
            if not text:
                raise UserError('Write the criterion before `--test`, e.g. "Startup completes" --test …')
            try:
                tests.setdefault(text.lower(), check_ref(ref))  # the first of two alike is kept
            except ValueError as exc:
                raise UserError(f"--test: {exc}.") from None
        texts.append(text)
    added = rules.clean_list(
        texts, what="success criterion", limit=rules.MAX_TEXT, max_items=rules.MAX_CRITERIA, existing=existing
    )
    out: list[dict[str, Any]] = []
    for text in added:
        entry: dict[str, Any] = {"text": text, "done": False}
        if text.lower() in tests:
            entry["test"] = tests[text.lower()]
        out.append(entry)
    return out
