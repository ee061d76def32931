"""Reading a document for extraction from a GitHub file link (``/remediate extract <link>``), through the
contents API with the configured token. Only links to a file of a repository on github.com (or on the
configured GitHub Enterprise Server) are read: nothing else is ever fetched."""

from __future__ import annotations

from bot.config import Settings
from bot.core.trackers import issues
from bot.github.client import GitHub

FORM = "https://github.com/OWNER/REPO/blob/BRANCH/path/to/postmortem.md"


def blob_of(settings: Settings, url: str) -> issues.BlobRef | None:
    """The file a GitHub file link names, or None when `url` is not one."""
    return issues.parse_blob_url(url, hosts=issues.github_hosts(settings.github_api_url))


def read_blob(settings: Settings, blob: issues.BlobRef, *, limit: int) -> bytes:
    """The file's bytes (at most `limit`); LookupError with a message people can read."""
    if settings.github_token is None:
        raise LookupError("GitHub is not set up for this bot (GITHUB_TOKEN), so it cannot read GitHub files.")
    api = GitHub(settings.github_api_url, settings.github_token.get_secret_value(), timeout=2.5)
    text = api.file_text(blob.repository, blob.ref, blob.path, limit=limit)
    return text.encode("utf-8")
