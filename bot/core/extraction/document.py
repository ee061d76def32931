"""Gatekeeping for pasted documents: size, encoding, binary and HTML detection."""

from __future__ import annotations

import re

from bot.core.extraction.model import DocumentError

_ACCEPTED = "paste Markdown or plain text"
# Tags that open a line; Slack's own <@U…>, <#C…>, <!here> and <http…> forms are not HTML.
_HTML_LINE = re.compile(r"^\s*</?[a-zA-Z][a-zA-Z0-9-]*(?:\s[^<>]*)?/?>")
_HTML_START = re.compile(r"^\s*(?:<!doctype\s+html|<html[\s>])", re.IGNORECASE)
_CONTROL = {chr(c) for c in range(32)} - {"\t", "\n", "\r", "\f"} | {"\x7f"}


def normalise_newlines(text: str) -> str:
    """Drop a leading BOM and turn CRLF and lone CR into LF."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")


def check_document(raw: bytes | str, *, max_bytes: int = 200_000) -> str:
    """Return the document as LF-normalised text, or raise DocumentError saying why it cannot be read."""
    data = raw.encode("utf-8", errors="surrogatepass") if isinstance(raw, str) else bytes(raw)
    if len(data) == 0:
        raise DocumentError(f"The document is empty; {_ACCEPTED}.")
    if len(data) > max_bytes:
        raise DocumentError(
            f"The document is {len(data):,} bytes; the limit is {max_bytes:,} bytes. "
            f"Paste the analysis section only, as Markdown or plain text."
        )
    if b"\x00" in data or "\ufffd".encode() in data:
        # U+FFFD is what a NUL or an undecodable byte became on its way here (Slack payloads, file
        # decoding): text people write does not contain it.
        raise DocumentError(f"The document looks binary (it contains NUL or undecodable bytes); {_ACCEPTED}.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(
            f"The document is not UTF-8 text (undecodable byte at offset {exc.start}); {_ACCEPTED}."
        ) from None
    text = normalise_newlines(text)
    if not text.strip():
        raise DocumentError(f"The document contains only whitespace; {_ACCEPTED}.")
    controls = sum(1 for ch in text if ch in _CONTROL)
    if controls * 10 > len(text):
        raise DocumentError(f"The document looks binary (mostly non-printable characters); {_ACCEPTED}.")
    if _looks_like_html(text):
        raise DocumentError(
            f"The document looks like HTML; {_ACCEPTED} (copy the rendered text, or the Markdown source)."
        )
    return text


def _looks_like_html(text: str) -> bool:
    if _HTML_START.match(text[:2000]):
        return True
    lines = [line for line in text.split("\n") if line.strip()]
    tagged = sum(1 for line in lines if _HTML_LINE.match(line))
    return tagged >= 3 and tagged * 2 >= len(lines)
