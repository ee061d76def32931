"""HTML documents (Confluence and Google Docs exports, saved web pages) read as the Markdown they show.

The page goes once through the standard library's ``html.parser`` (no network, no entities fetched, no
scripts run, no tree built: a 200 KB export is read in a few tens of milliseconds) and comes out as ATX
headings, ``-`` lists, pipe tables and ``**bold**``, so the same walk reads it as a pasted Markdown
document. What exports express in their own way is turned into what Markdown would say:

- Confluence task lists (``<ul class="inline-task-list"><li class="checked">`` in page exports,
  ``<ac:task><ac:task-status>complete`` in the storage format) and ``<input type="checkbox">`` become
  ``[x]`` / ``[ ]`` boxes; so do the ☐ ☑ ☒ glyphs some editors write;
- Google Docs marks bold, italic and struck-through text with CSS classes (``.c3{font-weight:700}``):
  those spans become ``**bold**`` and ``_italic_`` (a bold line reads as a pseudo-heading, as in
  Markdown), and a list item struck through from end to end is a done one; its Title paragraph is the
  document's ``#`` heading;
- Google Docs wraps a copied document in ``<b style="font-weight:normal">``: that is not bold;
- links keep their text (a Confluence user link reads ``@Name``), ``<time datetime>`` its date; images,
  scripts, styles, forms, navigation, the page's ``<head>`` and Confluence's page chrome (breadcrumbs,
  "Created by …", attachments, footer) are dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

# Tags that open a line; Slack's own <@U…>, <#C…>, <!here> and <http…> forms are not HTML.
_HTML_LINE = re.compile(r"^\s*</?[a-zA-Z][a-zA-Z0-9-]*(?:\s[^<>]*)?/?>")
_HTML_START = re.compile(r"^\s*(?:<\?xml[^>]*>\s*)?(?:<!doctype\s+html|<html[\s>])", re.IGNORECASE)

_DROPPED = {
    "script", "style", "head", "noscript", "template", "svg", "canvas", "iframe", "nav", "button",
    "select", "textarea", "object", "ac:task-id", "ac:parameter",
}  # fmt: skip
_CHROME_IDS = {"breadcrumb-section", "footer", "navigation", "likes-and-labels-container"}
_CHROME_CLASSES = {"page-metadata", "pageSection", "footer-body"}
_VOID = {"br", "hr", "img", "input", "meta", "link", "col", "area", "base", "wbr", "source", "param"}
_PARAGRAPHS = {
    "p", "div", "section", "article", "header", "footer", "main", "aside", "blockquote", "figure",
    "figcaption", "dl", "dt", "dd", "details", "summary", "address", "form", "fieldset", "body",
    "ac:task-body", "ac:rich-text-body", "ac:layout", "ac:layout-section", "ac:layout-cell",
}  # fmt: skip
_INLINE = {"code": "`", "kbd": "`", "tt": "`", "em": "_", "i": "_"}
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_LISTS = {"ul", "ol", "ac:task-list"}
_BOLD = re.compile(r"font-weight\s*:\s*(?:bold|[6-9]00)", re.IGNORECASE)
_NOT_BOLD = re.compile(r"font-weight\s*:\s*(?:normal|[1-4]00)", re.IGNORECASE)
_ITALIC = re.compile(r"font-style\s*:\s*italic", re.IGNORECASE)
_STRUCK = re.compile(r"text-decoration[a-z-]*\s*:[^;]*line-through", re.IGNORECASE)
_CSS_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_CLASS = re.compile(r"^\s*\.([\w-]+)\s*$")
_BOXES = {"☐": "[ ] ", "☑": "[x] ", "☒": "[x] ", "✓": "[x] ", "✔": "[x] "}
_SPACE = re.compile(r"\s+")
_LIST_LINE = re.compile(r"^\s*(?:[-*+]|\d+[.)]) ")
_KIX_LEVEL = re.compile(r"^lst-kix_\w+-(\d+)$")
_MSO_LEVEL = re.compile(r"mso-list:\s*l\d+\s+level(\d+)", re.IGNORECASE)
_WORD_BULLET = re.compile(r"^(?:[·•o§▪◦\-\u2013*]|\(?\w{1,3}[.)])\s+")  # "·", "o", "§", "1.", "a)" …


def _level(classes: set[str]) -> int | None:
    for name in classes:
        if match := _KIX_LEVEL.match(name):
            return int(match.group(1))
    return None


def _word_list_level(attributes: dict[str, str], classes: set[str]) -> int | None:
    """The level of a Word list paragraph (1 for the top), or None for any other paragraph."""
    if not any(c.startswith("MsoListParagraph") for c in classes) and "mso-list" not in attributes.get(
        "style", ""
    ):
        return None
    match = _MSO_LEVEL.search(attributes.get("style", ""))
    return int(match.group(1)) if match else 1


def looks_like_html(text: str) -> bool:
    """An HTML page (a doctype or ``<html>`` first), or text whose lines are mostly tags."""
    if _HTML_START.match(text[:2000]):
        return True
    lines = [line for line in text.split("\n") if line.strip()]
    tagged = sum(1 for line in lines if _HTML_LINE.match(line))
    return tagged >= 3 and tagged * 2 >= len(lines)


def html_to_markdown(html: str) -> str:
    """The document an HTML page shows, as Markdown (see the module's docstring)."""
    reader = _Reader()
    try:
        reader.feed(html)
        reader.close()
    except AssertionError:  # html.parser gives up on some broken declarations ("<![;"): read them as text
        reader = _Reader()
        reader.feed(html.replace("<!", "&lt;!"))
        reader.close()
    return reader.markdown()


@dataclass
class _Open:
    """An element still open, and what closing it must undo."""

    tag: str
    dropped: bool = False
    mark: str = ""  # the Markdown mark it opened (**, _ or `), written at `mark_at`
    mark_at: int = -1
    struck: bool = False
    task_list: bool = False  # a Confluence <ul class="inline-task-list">
    level: int | None = None  # a Google Docs list's nesting level (class "lst-kix_…-1")
    word_item: bool = False  # a Word list paragraph


@dataclass
class _Item:
    """A list item whose first line is being written."""

    depth: int
    ordered: bool
    number: int
    box: str = ""  # "[x] " / "[ ] " when the markup says so
    status: list[str] = field(default_factory=list)  # an <ac:task-status>'s text
    struck: list[bool] = field(default_factory=list)  # per piece of its own text: struck out?
    word: bool = False  # a Word list paragraph: its text starts with the bullet Word wrote


@dataclass
class _Table:
    rows: list[list[str]] = field(default_factory=list)
    cells: list[str] | None = None
    cell: list[str] | None = None


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.line: list[str] = []
        self.prefix = ""
        self.stack: list[_Open] = []
        self.dropping = 0
        self.css: list[str] = []
        self.bold_classes: set[str] = set()
        self.struck_classes: set[str] = set()
        self.italic_classes: set[str] = set()
        self.lists: list[tuple[bool, list[int]]] = []  # per open list: ordered?, its item counter
        self.item: _Item | None = None
        self.tables: list[_Table] = []
        self.pre = 0
        self.status = 0

    # --- the parser's callbacks -----------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if tag in _VOID:
            if not self.dropping:
                self._void(tag, attributes)
            return
        classes = set(attributes.get("class", "").split())
        dropped = bool(
            tag in _DROPPED
            or attributes.get("id") in _CHROME_IDS
            or classes & _CHROME_CLASSES
            or self._is_time(tag, attributes)
        )
        opened = _Open(tag, dropped=dropped)
        self.stack.append(opened)
        if tag == "style":
            self.css = []
        if self.dropping or dropped:
            self.dropping += dropped
            if tag == "time" and not self.dropping - 1:
                self._text(attributes["datetime"][:10])
            return
        style = attributes.get("style", "")
        opened.struck = tag in ("s", "strike", "del") or bool(
            _STRUCK.search(style) or classes & self.struck_classes
        )
        if classes & {"checkbox-on", "checkbox-off"} and self.item is not None:
            self.item.box = "[x] " if "checkbox-on" in classes else "[ ] "  # Notion's to-do lists
        elif tag == "ac:task-status":
            self.status += 1
        elif tag in _HEADINGS or (tag == "p" and "title" in classes):
            self._block(blank=True)
            self.prefix = "#" * _HEADINGS.get(tag, 1) + " "
        elif tag in _LISTS:
            self._block(blank=not self.lists)
            if not self.lists:
                self._join_lists()
            self.lists.append((tag == "ol", [0]))
            opened.task_list = "inline-task-list" in classes
            opened.level = _level(classes)
        elif tag in ("li", "ac:task"):
            self._start_item(tag, attributes, classes)
        elif tag == "table":
            self._block(blank=True)
            self.tables.append(_Table())
        elif tag == "tr" and self.tables:
            self.tables[-1].cells = []
        elif tag in ("td", "th") and self.tables:
            self.tables[-1].cell = []
        elif tag == "pre":
            self._block(blank=True)
            self.pre += 1
        elif tag == "p" and (level := _word_list_level(attributes, classes)) is not None:
            opened.word_item = True
            self._word_item(level)
        elif tag in _PARAGRAPHS:
            self._block(blank=tag == "p")
        elif tag in ("b", "strong") and not _NOT_BOLD.search(style):
            self._mark(opened, "**")
        elif tag in ("span", "font") and (_BOLD.search(style) or classes & self.bold_classes):
            self._mark(opened, "**")
        elif tag in ("span", "font") and (_ITALIC.search(style) or classes & self.italic_classes):
            self._mark(opened, "_")
        elif tag == "a" and "confluence-userlink" in classes:
            self._text("@")
        elif tag in _INLINE and not self.pre:
            self._mark(opened, _INLINE[tag])

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID or not any(o.tag == tag for o in self.stack):
            return
        while self.stack:
            opened = self.stack.pop()
            self._close(opened)
            if opened.tag == tag:
                return

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1].tag == "style":
            self.css.append(data)
            return
        if self.dropping:
            return
        if self.status:
            if self.item is not None:
                self.item.status.append(data)
            return
        if self.pre:
            parts = data.split("\n")
            self.line.append(parts[0])
            for part in parts[1:]:
                self._flush()
                self.line.append(part)
            return
        text = _SPACE.sub(" ", data.replace("\xa0", " "))
        if not text.strip():
            if text and self.line and not self.line[-1].endswith(" "):
                self.line.append(" ")
            return
        if self.item is not None and not self._in_cell():
            self.item.struck.append(any(o.struck for o in self.stack))
        self._text(text)

    def close(self) -> None:
        super().close()
        while self.stack:
            self._close(self.stack.pop())
        self._flush()

    # --- what each element does -----------------------------------------------------------------

    def _close(self, opened: _Open) -> None:
        tag = opened.tag
        if opened.dropped:
            self.dropping -= 1
            if tag == "style":
                self._read_styles("".join(self.css))
            return
        if self.dropping:
            return
        if tag == "ac:task-status":
            self.status -= 1
            if self.item is not None and "".join(self.item.status).strip().lower() == "complete":
                self.item.box = "[x] "
        elif opened.mark:
            self._unmark(opened)
        elif tag in _HEADINGS or (tag == "p" and self.prefix.startswith("#")):
            self._block(blank=True)
        elif tag in _LISTS:
            self._block(blank=False)
            if self.lists:
                self.lists.pop()
            if not self.lists:
                self._block(blank=True)
        elif tag in ("li", "ac:task"):
            self._block(blank=False)
        elif tag in ("td", "th") and self.tables and self.tables[-1].cell is not None:
            table = self.tables[-1]
            cell = " ".join("".join(table.cell or []).split()).replace("|", "\\|")
            table.cell = None
            if table.cells is not None:
                table.cells.append(cell)
        elif tag == "tr" and self.tables and self.tables[-1].cells is not None:
            table = self.tables[-1]
            if table.cells:
                table.rows.append(table.cells)
            table.cells = None
        elif tag == "table" and self.tables:
            self._write_table(self.tables.pop())
        elif tag == "pre":
            self._block(blank=True)
            self.pre -= 1
        elif opened.word_item:
            self._block(blank=False)
        elif tag in _PARAGRAPHS:
            self._block(blank=tag == "p")

    def _void(self, tag: str, attributes: dict[str, str]) -> None:
        if tag == "br":
            if self._in_cell():
                self._text(" ")
            else:
                self._flush()
        elif tag == "hr":
            self._block(blank=True)
        elif tag == "input" and attributes.get("type", "").lower() == "checkbox":
            box = "[x] " if "checked" in attributes else "[ ] "
            if self.item is not None and not "".join(self.line).strip():
                self.item.box = box
            else:
                self._text(box)

    def _start_item(self, tag: str, attributes: dict[str, str], classes: set[str]) -> None:
        self._block(blank=False)
        if not self.lists:
            self.lists.append((False, [0]))  # an item outside any list
        ordered, counter = self.lists[-1]
        counter[0] += 1
        self.item = _Item(depth=len(self.lists) - 1, ordered=ordered, number=counter[0])
        lists = [o for o in self.stack if o.tag in _LISTS]
        if lists and lists[-1].level is not None:
            self.item.depth = lists[-1].level  # Google Docs: sibling lists, their level in a class name
        if attributes.get("aria-checked") in ("true", "false"):
            self.item.box = "[x] " if attributes["aria-checked"] == "true" else "[ ] "
        if tag == "ac:task":
            self.item.box = "[ ] "
        elif "data-inline-task-id" in attributes or (lists and lists[-1].task_list):
            self.item.box = "[x] " if "checked" in classes else "[ ] "

    def _word_item(self, level: int) -> None:
        """Word writes a list as paragraphs (class MsoListParagraph, style "mso-list: l0 level2"), each
        led by its bullet or number: an item of its own, the bullet dropped when its text comes."""
        self._block(blank=False)
        self._join_lists()
        self.item = _Item(depth=max(0, level - 1), ordered=False, number=1, word=True)

    def _join_lists(self) -> None:
        """A list right after a list (Google Docs writes every level as a list of its own) continues it."""
        if len(self.lines) >= 2 and self.lines[-1] == "" and _LIST_LINE.match(self.lines[-2]):
            self.lines.pop()

    @staticmethod
    def _is_time(tag: str, attributes: dict[str, str]) -> bool:
        return tag == "time" and bool(attributes.get("datetime"))

    def _read_styles(self, css: str) -> None:
        for selectors, body in _CSS_RULE.findall(css):
            names = {m.group(1) for s in selectors.split(",") if (m := _CLASS.match(s))}
            if _BOLD.search(body):
                self.bold_classes |= names
            if _STRUCK.search(body):
                self.struck_classes |= names
            if _ITALIC.search(body):
                self.italic_classes |= names

    # --- writing ----------------------------------------------------------------------------------

    def _in_cell(self) -> bool:
        return bool(self.tables) and self.tables[-1].cell is not None

    def _text(self, text: str) -> None:
        if self._in_cell():
            assert self.tables[-1].cell is not None
            self.tables[-1].cell.append(text)
        else:
            self.line.append(text)

    def _mark(self, opened: _Open, mark: str) -> None:
        target = self.tables[-1].cell if self._in_cell() else self.line
        assert target is not None
        target.append(mark)
        opened.mark, opened.mark_at = mark, len(target) - 1

    def _unmark(self, opened: _Open) -> None:
        target = self.tables[-1].cell if self._in_cell() else self.line
        at, mark = opened.mark_at, opened.mark
        if target is None or at >= len(target) or target[at] != mark:
            return
        inside = "".join(target[at + 1 :])
        if not inside.strip():
            del target[at]
            return
        # the mark hugs its text, as Markdown needs: "** text **" is not bold
        lead = inside[: len(inside) - len(inside.lstrip())]
        trail = inside[len(inside.rstrip()) :]
        target[at:] = [lead, mark, inside.strip(), mark, trail]

    def _block(self, *, blank: bool) -> None:
        if self._in_cell():
            self._text(" ")
            return
        self._flush()
        if blank and self.lines and self.lines[-1] != "":
            self.lines.append("")

    def _flush(self) -> None:
        text = "".join(self.line)
        self.line = []
        prefix, self.prefix = self.prefix, ""
        if not self.pre:
            text = text.strip()
        item, self.item = self.item, None
        if item is not None:
            line = self._item_line(item, text)
            if line is None:
                self.item = item  # an item's text has not started yet: its first line is still ahead
                return
            text = line
        elif not text.strip():
            return
        self.lines.append(prefix + text)

    def _item_line(self, item: _Item, text: str) -> str | None:
        if not text:
            return None
        box = item.box
        if item.word:
            text = _WORD_BULLET.sub("", text, count=1)
            if not text:
                return None
        if text[:1] in _BOXES:
            box, text = _BOXES[text[:1]], text[1:].lstrip()
        elif not box and item.struck and all(item.struck) and not text.startswith("["):
            box = "[x] "  # struck out from end to end: done
        bullet = f"{item.number}. " if item.ordered else "- "
        return "  " * item.depth + bullet + box + text

    def _write_table(self, table: _Table) -> None:
        rows = [r for r in table.rows if any(c.strip() for c in r)]
        if not rows:
            return
        width = max(len(r) for r in rows)
        self._block(blank=True)
        for n, row in enumerate(rows):
            cells = row + [""] * (width - len(row))
            self.lines.append("| " + " | ".join(cells) + " |")
            if n == 0:
                self.lines.append("|" + " --- |" * width)
        self.lines.append("")

    def markdown(self) -> str:
        text = "\n".join(line.rstrip() for line in self.lines)
        return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
