"""Gatekeeping for documents: size, encoding and binary detection; HTML is read as the Markdown it shows."""

from __future__ import annotations

from bot.core.extraction.html import html_to_markdown, looks_like_html
from bot.core.extraction.model import DocumentError

_ACCEPTED = "paste Markdown or plain text (or an HTML export)"
# An HTML export carries its markup and styles: it may be this many times the limit, its text may not.
HTML_FACTOR = 3
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
    if len(data) > max_bytes and (len(data) > max_bytes * HTML_FACTOR or not _html_bytes(data)):
        limit = max_bytes * HTML_FACTOR if _html_bytes(data) else max_bytes
        raise DocumentError(
            f"The document is {len(data):,} bytes; the limit is {limit:,} bytes. "
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
    if looks_like_html(text):
        text = html_to_markdown(text)
        if not text.strip():
            raise DocumentError("The HTML document shows no text; paste Markdown or plain text.")
        if len(text.encode()) > max_bytes:
            raise DocumentError(
                f"The HTML document's text is {len(text.encode()):,} bytes; the limit is {max_bytes:,} "
                "bytes. Export the analysis section only."
            )
    return text


def _html_bytes(data: bytes) -> bool:
    return looks_like_html(data[:4000].decode("utf-8", errors="replace"))
