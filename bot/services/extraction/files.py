"""Reading a file someone shared in Slack: ``files.info``, then its ``url_private`` with the bot token.

Call outside a unit of work (two network calls). The token is only ever sent to Slack's own file hosts (or
the configured SLACK_API_URL's host), redirects included; the download stops at the size limit.
"""

from __future__ import annotations

import http.client
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bot.core.errors import UserError
from bot.core.extraction.document import HTML_FACTOR
from bot.core.mrkdwn import escape, truncate
from bot.deps import Deps
from bot.services.people import SLACK_DOWN

log = logging.getLogger(__name__)

HTML_EXTENSIONS = (".html", ".htm")
TEXT_EXTENSIONS = (".md", ".markdown", ".txt", *HTML_EXTENSIONS)
DOWNLOAD_TIMEOUT = 5.0  # seconds; the answer to Slack is due within 3, and a stuck download must not hang


@dataclass(frozen=True)
class FileMeta:
    id: str
    name: str
    size: int | None
    url: str | None


@dataclass(frozen=True)
class SharedFile:
    name: str
    content: bytes


class FileProblem(UserError):
    """The file cannot be read (not text, too big, gone); the message says why and what is accepted."""


def is_text_name(name: str) -> bool:
    return name.lower().endswith(TEXT_EXTENSIONS)


def shown_name(name: str) -> str:
    return escape(truncate(name, 120))


def file_meta(deps: Deps, file_id: str) -> FileMeta:
    """files.info for `file_id`; FileProblem when Slack does not give it to us."""
    try:
        info: dict[str, Any] = deps.client.files_info(file=file_id).get("file") or {}
    except SLACK_DOWN as exc:
        error = getattr(getattr(exc, "response", None), "get", lambda _k: None)("error") or type(exc).__name__
        log.info("files.info %s failed: %s", file_id, error)
        raise FileProblem(
            f"I could not open that file (Slack said `{escape(str(error))}`). Share it again in a channel "
            "I am in, or paste the text."
        ) from None
    size = info.get("size")
    return FileMeta(
        id=file_id,
        name=str(info.get("name") or info.get("title") or file_id),
        size=size if isinstance(size, int) else None,
        url=info.get("url_private_download") or info.get("url_private"),
    )


def download_text_file(deps: Deps, meta: FileMeta, *, max_bytes: int) -> SharedFile:
    """The content of a ``.md``/``.txt``/``.html`` file, at most `max_bytes` (an HTML file's markup may
    take `HTML_FACTOR` times as much); FileProblem otherwise."""
    name = shown_name(meta.name)
    if not is_text_name(meta.name):
        raise FileProblem(
            f"`{name}` is not a Markdown, text or HTML file; I read `.md`, `.txt` and `.html` files."
        )
    if meta.name.lower().endswith(HTML_EXTENSIONS):
        max_bytes *= HTML_FACTOR  # an export's markup and styles; its text is held to the limit
    if meta.size is not None and meta.size > max_bytes:
        raise FileProblem(
            f"`{name}` is {meta.size:,} bytes; the limit is {max_bytes:,} bytes. "
            "Share the analysis section only."
        )
    if not meta.url or not _may_send_token(deps, meta.url):
        raise FileProblem(f"I could not download `{name}` from Slack.")
    token = deps.settings.slack_bot_token.get_secret_value()
    # _may_send_token allowed only http(s) URLs on Slack's hosts (or SLACK_API_URL's), never file: etc.
    request = urllib.request.Request(meta.url, headers={"Authorization": f"Bearer {token}"})  # noqa: S310
    opener = urllib.request.build_opener(_SlackOnlyRedirects(deps))
    try:
        with opener.open(request, timeout=DOWNLOAD_TIMEOUT) as response:
            content = response.read(max_bytes + 1)
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        log.info("download of file %s failed: %s", meta.id, exc)
        raise FileProblem(f"I could not download `{name}` from Slack; try again in a moment.") from None
    if len(content) > max_bytes:
        raise FileProblem(
            f"`{name}` is over {max_bytes:,} bytes, the limit. Share the analysis section only."
        )
    return SharedFile(meta.name, content)


def _may_send_token(deps: Deps, url: str) -> bool:
    """Slack's file hosts over https, or the host of SLACK_API_URL (a proxy, or a test double)."""
    parts = urlsplit(url)
    api = urlsplit(deps.settings.slack_api_url)
    if parts.scheme == api.scheme and parts.netloc == api.netloc:
        return True
    host = (parts.hostname or "").lower()
    return parts.scheme == "https" and (host == "slack.com" or host.endswith(".slack.com"))


class _SlackOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to a host that may see the token (urllib would forward the header)."""

    def __init__(self, deps: Deps):
        self.deps = deps

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        if not _may_send_token(self.deps, newurl):
            raise urllib.error.HTTPError(newurl, code, "redirect away from Slack refused", headers, fp)
        return super().redirect_request(req, fp, code, msg, headers, newurl)
