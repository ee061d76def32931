"""A CI test report as the bot takes it, whichever way it came (the signed hook or `remediate ci report`)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from bot.core.evidence.testrefs import FAILED, PASSED, SKIPPED, Case


@dataclass(frozen=True)
class TestReport:
    """One CI run's results for one commit. `items` were named explicitly; `message` is the commit
    message (its ``Remediates:`` trailers name more)."""

    __test__ = False  # not a pytest test class, whatever its name

    commit: str
    run_url: str
    cases: tuple[Case, ...]
    repository: str = ""
    ref: str = ""
    items: tuple[str, ...] = ()
    message: str = ""

    @property
    def key(self) -> str:
        """The report's identity: the same run of the same commit is one report, however often sent."""
        return report_key(self.repository, self.run_url, self.commit)

    def counts(self) -> dict[str, int]:
        out = {PASSED: 0, FAILED: 0, SKIPPED: 0}
        for case in self.cases:
            out[case.outcome] = out.get(case.outcome, 0) + 1
        return out


def report_key(repository: str, run_url: str, commit: str) -> str:
    joined = "\x1f".join((repository.strip().lower(), run_url.strip(), commit.strip().lower()))
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


def short_commit(commit: str) -> str:
    return commit[:12]
