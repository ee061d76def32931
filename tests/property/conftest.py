"""Hostile input under Hypothesis: the settings profile and the bot the examples are aimed at.

The ``parsers`` profile is what CI runs: at least 2,000 examples per parser (``REMEDIATE_FUZZ_EXAMPLES``
raises it; it never goes below 2,000 in CI), no deadline (a request that touches the database and the fake
Slack takes milliseconds, and a slow first example is not a bug), derandomized so that CI runs the same
examples every time and a failure reproduces from its seed, and no example database written into the tree.
``REMEDIATE_FUZZ_EXAMPLES=200`` (for instance) makes a quicker local run; ``REMEDIATE_FUZZ_RANDOM=1`` draws
new examples on every run (to hunt for bugs; a failure prints the seed to reproduce it with).

The smaller signed-HTTP sample (through the real server, on SQLite and PostgreSQL) uses ``http-sample``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from tests.property.harness import World, world

EXAMPLES = int(os.environ.get("REMEDIATE_FUZZ_EXAMPLES") or 2000)
HTTP_EXAMPLES = int(os.environ.get("REMEDIATE_FUZZ_HTTP_EXAMPLES") or 200)

_COMMON: dict[str, Any] = {
    "deadline": None,
    "derandomize": not os.environ.get("REMEDIATE_FUZZ_RANDOM"),
    "database": None,
    "print_blob": True,
    # One bot serves every example of a test on purpose (its database grows as they run).
    "suppress_health_check": [
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
}
settings.register_profile("parsers", max_examples=EXAMPLES, **_COMMON)
settings.register_profile("http-sample", max_examples=HTTP_EXAMPLES, **_COMMON)

PARSERS = settings.get_profile("parsers")
HTTP_SAMPLE = settings.get_profile("http-sample")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One bot per test module, in-process, on SQLite, with things to aim at (see `World`)."""
    with world(tmp_path_factory.mktemp("hostile")) as w:
        yield w
