"""JUnit XML (what pytest ``--junitxml``, jest-junit, gotestsum and Maven Surefire write) read into test
cases, with a hardened parser: a document type declaration, an entity (external or not, so no XXE and no
entity expansion bomb) or malformed XML is refused with `BadReport` before anything is acted on."""

from __future__ import annotations

import xml.etree.ElementTree as ET  # the element type and ParseError; parsing is defusedxml's
from collections.abc import Iterator

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from bot.core.evidence.testrefs import FAILED, PASSED, SKIPPED, Case

MAX_CASES = 200_000
MAX_MESSAGE = 300


class BadReport(ValueError):
    """The results cannot be read: a short reason, safe to show to the CI job."""


def parse_junit(xml: str | bytes) -> list[Case]:
    """Every ``<testcase>`` of the document, with its suite's ``file`` when the case has none."""
    try:
        root = fromstring(xml, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise BadReport(f"the JUnit XML was refused: {type(exc).__name__} (no DTDs or entities)") from None
    except ET.ParseError as exc:
        raise BadReport(f"the JUnit XML is not well-formed: {exc}") from None
    if root.tag not in ("testsuites", "testsuite", "testcase"):
        raise BadReport(f"not a JUnit report: the root element is <{root.tag[:40]}>")
    cases = list(_cases(root, ""))
    if len(cases) > MAX_CASES:
        raise BadReport(f"more than {MAX_CASES} test cases in one report")
    return cases


def _cases(element: ET.Element, file: str) -> Iterator[Case]:
    if element.tag == "testcase":
        yield _case(element, file)
        return
    file = element.get("file") or file
    for child in element:
        if child.tag in ("testsuite", "testcase"):
            yield from _cases(child, file)


def _case(element: ET.Element, file: str) -> Case:
    outcome, message = PASSED, ""
    for child in element:
        if child.tag in ("failure", "error"):
            outcome = FAILED
            message = (child.get("message") or (child.text or "").strip().split("\n", 1)[0])[:MAX_MESSAGE]
            break
        if child.tag == "skipped":
            outcome = SKIPPED
    return Case(
        classname=element.get("classname") or "",
        name=element.get("name") or "",
        outcome=outcome,
        file=element.get("file") or file,
        message=message,
    )
