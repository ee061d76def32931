"""How a test reference (what a person writes on a success criterion) matches a test case of a CI report.

A reference names a test the way its runner does:

- pytest node id: ``tests/test_boot.py::test_start``, ``tests/test_boot.py::TestBoot::test_start``,
  ``tests/test_boot.py::test_start[cold-cache]``;
- Jest: ``src/boot.test.js::Boot starts without errors`` (file, ``::``, describe titles and test title
  joined by spaces), or the full title alone;
- Go: ``github.com/acme/app/boot::TestStart`` or ``./boot::TestStart/cold_cache`` (package, ``::``, test and
  subtest), or ``github.com/acme/app/boot.TestStart``;
- Maven Surefire: ``com.acme.BootTest#testStart`` or ``com.acme.BootTest.testStart``.

A JUnit test case is read the way each runner writes it: pytest ``--junitxml`` puts the module's dotted
path and the class in ``classname`` (``tests.test_boot.TestBoot``) and the function with its parameters in
``name``; jest-junit puts the titles in ``name`` (its ``classname`` is the same titles by default) and the
file, when configured, in a ``file`` attribute; gotestsum puts the package import path in ``classname`` and
``TestX/subtest`` in ``name``; Surefire puts the fully qualified class in ``classname`` and the method in
``name``.

The rule: both sides become a *container* (file, module, package or class: split into parts at ``/``,
``.`` and ``::``, a source file's extension dropped) and a *test name*. They match when

1. the names are equal; or the reference gives no parameters (``[…]``, ``(…)``) or subtest (``/…``) and
   the case's name is the reference's name followed by them (every parametrization and subtest of a
   watched test is watched); and
2. the reference's container parts are the last parts of the case's container (``test_boot.py::test_start``
   matches ``tests/test_boot.py::test_start``; a bare name matches that name in any container). A case that
   carries no container (jest-junit without the file attribute) is matched on its name alone.

A reference written without ``::`` or ``#`` (``com.acme.BootTest.testStart``) is split at its last ``.``
into container and name. Several cases can match one reference: it failed when any of them failed, passed
when at least one passed and none failed, and was skipped otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"
OUTCOMES = (PASSED, FAILED, SKIPPED)

MAX_REF = 500  # characters of a test reference

# Extensions dropped from a file part: test files of the runners above (and their usual neighbours).
_SOURCE = re.compile(r"\.(py|js|jsx|ts|tsx|mjs|cjs|go|java|kt|scala|rb|cs)$", re.I)
_PARTS = re.compile(r"::|[/\\.#]")


@dataclass(frozen=True)
class Case:
    """One test case of a report: where it lives, its name and its outcome."""

    classname: str
    name: str
    outcome: str
    file: str = ""
    message: str = ""  # the failure's message, when it failed


@dataclass(frozen=True)
class Ref:
    """A parsed test reference: its container parts and its name."""

    text: str
    container: tuple[str, ...]
    name: str


def _split_container(text: str) -> tuple[str, ...]:
    text = text.strip().removeprefix("./")
    pieces = text.split("::")
    pieces[0] = _SOURCE.sub("", pieces[0])
    return tuple(p for piece in pieces for p in _PARTS.split(piece) if p and p != ".")


def parse_ref(text: str) -> Ref:
    """`text` as a reference (stripped); its container may be empty."""
    text = text.strip()
    if "::" in text:
        head, _, name = text.rpartition("::")
    elif "#" in text:
        head, _, name = text.rpartition("#")
    else:
        # A dotted name (Java's class.method, Go's package.TestX/sub): its last dot before any parameters
        # separates the container from the test.
        params = min((i for i in (text.find("["), text.find("(")) if i >= 0), default=len(text))
        dot = text.rfind(".", 0, params)
        if dot > 0:
            head, name = text[:dot], text[dot + 1 :]
        else:
            head, name = "", text
    return Ref(text, _split_container(head), name.strip())


def readings(text: str) -> list[Ref]:
    """The ways `text` can be read: a dotted reference may also be a bare title (``handles v1.2 files``)."""
    ref = parse_ref(text)
    text = text.strip()
    if ref.name != text and "::" not in text and "#" not in text:
        return [ref, Ref(text, (), text)]
    return [ref]


def _base(name: str) -> str:
    """A test name without its parameters or subtests: ``test_x[1]`` / ``m(String)[2]`` / ``TestX/sub``."""
    cut = len(name)
    for mark in ("[", "(", "/"):
        i = name.find(mark)
        if i > 0:
            cut = min(cut, i)
    return name[:cut]


def _name_matches(ref: str, case: str) -> bool:
    if ref == case:
        return True
    if _base(ref) != ref:  # the reference names one parametrization or subtest
        return False
    return case.startswith(ref) and case[len(ref)] in "[(/"


def _containers(case: Case) -> list[tuple[str, ...]]:
    """Where `case` lives, each way its runner may say it (classname; the file attribute)."""
    out = []
    if case.classname and case.classname != case.name:
        out.append(_split_container(case.classname))
    if case.file:
        out.append(_split_container(case.file))
    return out


def matches(ref: Ref, case: Case) -> bool:
    """Whether reference `ref` names test case `case` (the rule in the module docstring)."""
    if not _name_matches(ref.name, case.name):
        return False
    if not ref.container:
        return True
    containers = _containers(case)
    if not containers:
        return True  # the runner said only the name (jest-junit without the file attribute)
    n = len(ref.container)
    return any(c[-n:] == ref.container for c in containers if len(c) >= n)


def outcome_of(outcomes: Iterable[str]) -> str | None:
    """The outcome of a reference from those of the cases it matched (None: it matched none)."""
    seen = set(outcomes)
    if not seen:
        return None
    if FAILED in seen:
        return FAILED
    return PASSED if PASSED in seen else SKIPPED


@dataclass(frozen=True)
class Verdict:
    """What a report says of one watched reference: its outcome and the first failing case's message."""

    ref: str
    outcome: str
    message: str = ""


class CaseIndex:
    """The cases of one report, indexed by name so that looking up a reference costs a few probes."""

    def __init__(self, cases: Sequence[Case]):
        self.cases = cases
        self._by_base: dict[str, list[Case]] = {}
        for case in cases:
            self._by_base.setdefault(_base(case.name), []).append(case)

    def verdict(self, ref_text: str) -> Verdict | None:
        found: dict[int, Case] = {}
        for ref in readings(ref_text):
            for c in self._by_base.get(_base(ref.name), ()):
                if matches(ref, c):
                    found[id(c)] = c
        return _verdict(ref_text, list(found.values()))


def _verdict(ref_text: str, found: Sequence[Case]) -> Verdict | None:
    outcome = outcome_of(c.outcome for c in found)
    if outcome is None:
        return None
    message = next((c.message for c in found if c.outcome == FAILED and c.message), "")
    return Verdict(ref_text, outcome, message)


# --- references written on a success criterion ---------------------------------------------------------

_TEST_FLAG = re.compile(r"(?:^|\s)(?:--|\u2014|\u2013)test(?:=|\s+)(.+?)\s*$")


def split_criterion(text: str) -> tuple[str, str | None]:
    """A criterion as typed, ``Startup completes --test tests/test_boot.py::test_start``: its text and
    the test reference (None without ``--test``), which is the rest of the line (a Jest title has spaces).
    Slack turns ``--`` into a dash: that reads the same."""
    m = _TEST_FLAG.search(text)
    if m is None:
        return text, None
    return text[: m.start()].strip(), m.group(1).strip("`'\"")


def check_ref(text: str) -> str:
    """A test reference as stored; ValueError with a sentence when it cannot be one."""
    text = text.strip()
    if not text:
        raise ValueError("the test reference is empty")
    if len(text) > MAX_REF:
        raise ValueError(f"a test reference is at most {MAX_REF} characters")
    if any(ch in text for ch in "\n\r\t"):
        raise ValueError("a test reference is one line")
    if not parse_ref(text).name:
        raise ValueError(f"`{text[:80]}` names no test (e.g. tests/test_boot.py::test_start)")
    return text
