"""A Slack message (fallback text and Block Kit blocks) as an e-mail reads it: HTML and plain text with the
same content, mentions replaced by names, links kept, no remote images.

The reports are drawn once, for Slack (`bot.services.rendering`); their e-mails are made from that drawing,
so what the mail says is what the channel says, and a figure added to the Slack report is in the mail too.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from typing import Any

from bot.core.mrkdwn import unescape

_TOKEN = re.compile(r"<([^<>\n]+)>")
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_STYLES = (
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])"), "strong"),
    (re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])"), "em"),
    (re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])"), "s"),
)
_CODE = re.compile(r"`([^`\n]+)`")
_SAFE_SCHEMES = ("https://", "http://", "mailto:")

Names = Callable[[str], str]


def mentioned_users(texts: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(m.group(1) for t in texts for m in _MENTION.finditer(t)))


def block_texts(blocks: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    for b in blocks:
        if isinstance(b.get("text"), dict):
            out.append(str(b["text"].get("text", "")))
        out += [str(f.get("text", "")) for f in b.get("fields", []) or [] if isinstance(f, dict)]
        out += [str(e.get("text", "")) for e in b.get("elements", []) or [] if isinstance(e, dict)]
    return out


def _special(token: str, names: Names, *, as_html: bool) -> str:
    """One ``<…>`` of mrkdwn: a mention, a channel, a user group, a date or a link."""
    target, _, label = token.partition("|")
    label = unescape(label)
    if target.startswith("@"):
        text = "@" + names(target[1:])
    elif target.startswith("#"):
        text = "#" + (label or target[1:])
    elif target.startswith("!subteam^"):
        text = label or "@" + target.removeprefix("!subteam^")
    elif target.startswith("!date^"):
        text = label or target
    elif target.startswith("!"):
        text = "@" + target[1:]
    else:
        url = unescape(target)
        if not url.startswith(_SAFE_SCHEMES):
            return html.escape(label or url) if as_html else label or url
        if as_html:
            return f'<a href="{html.escape(url, quote=True)}">{html.escape(label or url)}</a>'
        return f"{label} ({url})" if label and label != url else url
    return html.escape(text) if as_html else text


def _inline_html(text: str) -> str:
    parts = _CODE.split(text)
    out = []
    for i, part in enumerate(parts):
        escaped = html.escape(unescape(part))
        if i % 2:
            out.append(f"<code>{escaped}</code>")
            continue
        for pattern, tag in _STYLES:
            escaped = pattern.sub(rf"<{tag}>\1</{tag}>", escaped)
        out.append(escaped)
    return "".join(out)


def _inline_text(text: str) -> str:
    text = unescape(text)
    for pattern, _tag in _STYLES:
        text = pattern.sub(r"\1", text)
    return _CODE.sub(r"\1", text)


def mrkdwn_html(text: str, names: Names) -> str:
    out, pos = [], 0
    for m in _TOKEN.finditer(text):
        out.append(_inline_html(text[pos : m.start()]))
        out.append(_special(m.group(1), names, as_html=True))
        pos = m.end()
    out.append(_inline_html(text[pos:]))
    return "".join(out).replace("\n", "<br>\n")


def mrkdwn_text(text: str, names: Names) -> str:
    out, pos = [], 0
    for m in _TOKEN.finditer(text):
        out.append(_inline_text(text[pos : m.start()]))
        out.append(_special(m.group(1), names, as_html=False))
        pos = m.end()
    out.append(_inline_text(text[pos:]))
    return "".join(out)


def _element_text(element: dict[str, Any], names: Names, *, as_html: bool) -> str:
    raw = str(element.get("text", ""))
    if element.get("type") == "plain_text":
        return html.escape(raw) if as_html else raw
    return mrkdwn_html(raw, names) if as_html else mrkdwn_text(raw, names)


def blocks_html(blocks: list[dict[str, Any]], names: Names) -> str:
    """The body of an HTML e-mail showing these blocks (headers, sections, fields, context, dividers)."""
    out: list[str] = []
    for b in blocks:
        kind = b.get("type")
        if kind == "header" and isinstance(b.get("text"), dict):
            out.append(f"<h2>{_element_text(b['text'], names, as_html=True)}</h2>")
        elif kind == "section":
            if isinstance(b.get("text"), dict):
                out.append(f"<p>{_element_text(b['text'], names, as_html=True)}</p>")
            fields = [f for f in b.get("fields", []) or [] if isinstance(f, dict)]
            if fields:
                cells = "".join(f"<td>{_element_text(f, names, as_html=True)}</td>" for f in fields)
                out.append(f'<table cellpadding="6"><tr>{cells}</tr></table>')
        elif kind == "context":
            texts = [
                _element_text(e, names, as_html=True)
                for e in b.get("elements", []) or []
                if isinstance(e, dict) and "text" in e
            ]
            if texts:
                out.append(f'<p style="color:#616061;font-size:90%">{" · ".join(texts)}</p>')
        elif kind == "divider":
            out.append("<hr>")
    return "\n".join(out)


def blocks_text(blocks: list[dict[str, Any]], names: Names) -> str:
    out: list[str] = []
    for b in blocks:
        kind = b.get("type")
        if kind == "header" and isinstance(b.get("text"), dict):
            title = _element_text(b["text"], names, as_html=False)
            out.append(f"{title}\n{'=' * min(len(title), 72)}")
        elif kind == "section":
            if isinstance(b.get("text"), dict):
                out.append(_element_text(b["text"], names, as_html=False))
            fields = [f for f in b.get("fields", []) or [] if isinstance(f, dict)]
            if fields:
                out.append("\n".join(_element_text(f, names, as_html=False) for f in fields))
        elif kind == "context":
            texts = [
                _element_text(e, names, as_html=False)
                for e in b.get("elements", []) or []
                if isinstance(e, dict) and "text" in e
            ]
            if texts:
                out.append(" · ".join(texts))
        elif kind == "divider":
            out.append("-" * 40)
    return "\n\n".join(out)
