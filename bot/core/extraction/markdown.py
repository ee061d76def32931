"""A small line tokeniser for the Markdown people actually paste: headings (ATX and setext), list items
with checkboxes, pipe tables, fenced code and YAML/TOML front matter (both skipped) and plain lines.

It is deliberately not a full CommonMark parser: it keeps line numbers exact and never backtracks, so a
200 KB document tokenises in milliseconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.core.extraction.markup import DONE_MARKERS, OPEN_CHECKBOX_MARKERS


@dataclass
class Heading:
    line: int
    level: int
    text: str


@dataclass
class ListLine:
    line: int
    indent: int
    checkbox: str | None  # None (plain bullet), " " (open) or "x" (ticked)
    text: str
    # Indented lines that continue this item: (line number, stripped text).
    continuation: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class TableBlock:
    line: int
    header: list[str]
    rows: list[tuple[int, list[str]]]


@dataclass
class TextLine:
    line: int
    text: str
    indent: int
    lazy: bool  # directly follows a list item with no blank line between


@dataclass
class Blank:
    line: int


Token = Heading | ListLine | TableBlock | TextLine | Blank

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(?:={2,}|-{2,})[ \t]*$")
_THEMATIC = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_LIST = re.compile(r"^([ \t]*)([-*+•]|\d{1,9}[.)])(?:[ \t]+(.*)|[ \t]*$)")
_CHECKBOX = re.compile(r"^\[([ xX])\](?:[ \t]+|$)")
_TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$")
_BLOCKQUOTE = re.compile(r"^ {0,3}(?:>[ \t]?)+")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_WHITESPACE_RUN = re.compile(r"\s{2,}")
# Front matter: `---` … `---` (YAML, also closed by `...`) or `+++` … `+++` (TOML) opening the document,
# holding only keys, values, list entries and indented continuations.
_FRONT_MATTER_LINE = re.compile(r"^(?:[\w.\-\"']+\s*[:=]|\s+\S|-\s|\[[\w.\-\"']+\]\s*$|#|\s*$)")
_FRONT_MATTER_MAX = 200  # lines


def _collapse(line: str) -> str:
    """Keep the indentation, squeeze inner whitespace runs (no pattern then has a run to rescan)."""
    body = line.lstrip(" ")
    return line[: len(line) - len(body)] + _WHITESPACE_RUN.sub(" ", body)


def split_cells(line: str) -> list[str]:
    text = line.strip()
    if text.startswith("|"):
        text = text[1:]
    if text.endswith("|") and not text.endswith("\\|"):
        text = text[:-1]
    return [cell.strip().replace("\\|", "|") for cell in _CELL_SPLIT.split(text)]


def _is_table_separator(line: str) -> bool:
    return "|" in line and "-" in line and bool(_TABLE_SEPARATOR.match(line))


def _list_match(line: str) -> tuple[int, str | None, str] | None:
    """(indent, checkbox, text) when the line is a list item."""
    if _THEMATIC.match(line):
        return None
    match = _LIST.match(line)
    if not match:
        return None
    indent = len(match.group(1))
    text = (match.group(3) or "").strip()
    checkbox: str | None = None
    box = _CHECKBOX.match(text)
    if box:
        checkbox = " " if box.group(1) == " " else "x"
        text = text[box.end() :].strip()
    elif text[:1] in OPEN_CHECKBOX_MARKERS:
        checkbox, text = " ", text[1:].strip()
    elif text[:1] in ("☑", "☒"):
        checkbox, text = "x", text[1:].strip()
    return indent, checkbox, text


def front_matter_lines(lines: list[str]) -> int:
    """How many lines at the top of the document are front matter (0 when there is none)."""
    if not lines or lines[0].strip() not in ("---", "+++"):
        return 0
    opener = lines[0].strip()
    closers = ("---", "...") if opener == "---" else ("+++",)
    for index in range(1, min(len(lines), _FRONT_MATTER_MAX)):
        line = lines[index]
        if line.strip() in closers:
            return index + 1 if index > 1 else 0
        if not _FRONT_MATTER_LINE.match(line):
            return 0
    return 0


def tokenize(text: str) -> list[Token]:
    """Tokens for an LF-normalised document, each carrying its 1-based line number."""
    raw_lines = text.split("\n")
    skipped = front_matter_lines(raw_lines)
    lines = [_collapse(_BLOCKQUOTE.sub("", line).expandtabs(4)) for line in raw_lines]
    tokens: list[Token] = []
    fence: str | None = None
    in_comment = False
    last_list: ListLine | None = None
    after_list = False  # previous non-blank token was a list item or its continuation
    saw_blank = False
    tokens.extend(Blank(n + 1) for n in range(skipped))
    i = skipped
    while i < len(lines):
        number, line = i + 1, lines[i]
        i += 1
        if fence is not None:
            stripped = line.strip()
            if stripped.startswith(fence) and not stripped.strip(fence[0]):
                fence = None
            tokens.append(Blank(number))
            continue
        if in_comment:
            if "-->" in line:
                in_comment = False
                line = line.split("-->", 1)[1]
            else:
                tokens.append(Blank(number))
                continue
        if "<!--" in line:
            head, _, tail = line.partition("<!--")
            if "-->" in tail:
                line = head + tail.split("-->", 1)[1]
            else:
                line, in_comment = head, True
        fence_match = _FENCE.match(line)
        if fence_match:
            fence = fence_match.group(1)
            tokens.append(Blank(number))
            continue
        if not line.strip():
            tokens.append(Blank(number))
            saw_blank = True
            continue
        indent = len(line) - len(line.lstrip(" "))

        # Indented text under a list item continues it, even across blank lines.
        listed = _list_match(line)
        if last_list is not None and listed is None and indent >= 2 and not _ATX.match(line):
            last_list.continuation.append((number, line.strip()))
            saw_blank = False
            continue

        heading = _ATX.match(line)
        if heading:
            tokens.append(Heading(number, len(heading.group(1)), (heading.group(2) or "").strip()))
            last_list, after_list, saw_blank = None, False, False
            continue
        if _THEMATIC.match(line):
            tokens.append(Blank(number))
            last_list, after_list = None, False
            continue
        if listed is not None:
            item = ListLine(number, listed[0], listed[1], listed[2])
            tokens.append(item)
            last_list, after_list, saw_blank = item, True, False
            continue
        if "|" in line and i < len(lines) and _is_table_separator(lines[i]):
            header = split_cells(line)
            rows: list[tuple[int, list[str]]] = []
            table_line = number
            i += 1  # the separator
            while i < len(lines) and "|" in lines[i] and lines[i].strip() and not _ATX.match(lines[i]):
                rows.append((i + 1, split_cells(lines[i])))
                i += 1
            tokens.append(TableBlock(table_line, header, rows))
            last_list, after_list, saw_blank = None, False, False
            continue
        if i < len(lines) and _SETEXT.match(lines[i]) and not (after_list and not saw_blank):
            level = 1 if lines[i].strip().startswith("=") else 2
            tokens.append(Heading(number, level, line.strip()))
            i += 1
            last_list, after_list, saw_blank = None, False, False
            continue
        lazy = after_list and not saw_blank
        tokens.append(TextLine(number, line.strip(), indent, lazy))
        if not lazy:
            last_list, after_list = None, False
        saw_blank = False
    return tokens


def leading_status(text: str) -> str | None:
    """'done' or 'open' when the text starts or ends with a status emoji, else None."""
    stripped = text.replace("\ufe0f", "").replace("\ufe0e", "").strip().lstrip("*_ ").rstrip("*_ ")
    if not stripped:
        return None
    for ch in (stripped[0], stripped[-1]):
        if ch in DONE_MARKERS:
            return "done"
    head = stripped[0]
    if head in OPEN_CHECKBOX_MARKERS or head in "🔴🟠🟡🟢🔵⚠❌⏳🚧⛔❗🆕🔥⭕":
        return "open"
    return None
