"""/remediate extract: turn a Five Whys analysis or post-mortem into remediation items, after a preview.

With a `.md`/`.txt` file the person shared in this channel within the hour, the preview opens at once;
otherwise (or with --paste) the form opens to paste or attach the document. Nothing is created here.
"""

from __future__ import annotations

from bot.core.errors import UserError
from bot.core.flags import Arity, Flag, parse_flags
from bot.core.items import rules
from bot.services.extraction import files as slack_files
from bot.services.extraction import preview as service
from bot.services.incidents import closeout as incident_admin
from bot.slack.blocks import extraction as blocks
from bot.slack.blocks.replies import context
from bot.slack.router import CommandContext, Reply, SubcommandRouter
from bot.slack.text import from_slack

FLAGS = [
    Flag("incident", Arity.ONE, "--incident INC-20251010-001"),
    Flag("source", Arity.WORDS, "--source STARTUP_FAILURE_FIVE_WHYS_ANALYSIS.md"),
    Flag("paste", Arity.SWITCH),
]
USAGE = "/remediate extract [GitHub file link] [--incident INC-…] [--source NAME] [--paste]"


def add_to(router: SubcommandRouter) -> None:
    router.add(
        "extract",
        extract,
        summary="Read remediation items out of a Five Whys analysis, post-mortem or remediation plan: "
        "paste it in the form, or upload it here as a .md/.txt file first (or share it with me in a DM). "
        "You review every item before anything is created.",
        usage=USAGE,
        examples=(
            "/remediate extract",
            "/remediate extract --incident INC-20251010-001",
            "/remediate extract https://github.com/acme/backend/blob/main/postmortems/checkout.md",
            "/remediate extract --source https://wiki.example.com/postmortems/checkout --paste",
        ),
    )


def extract(ctx: CommandContext) -> Reply | None:
    parsed = parse_flags(ctx.argv(), FLAGS, command="/remediate extract")
    link = _link(parsed.positional)
    incident_id = rules.normalise_incident_id(parsed.get("incident"))
    if incident_id:
        incident_admin.get(ctx.deps, incident_id)  # NotFound when there is no such incident
    source = from_slack(parsed.get("source")).strip() if parsed.get("source") else None
    if link is not None:
        return _preview(ctx, _from_github(ctx, link, source), incident_id)
    note = None
    if not parsed.on("paste"):
        file_id = service.pending_file(ctx.deps, user_id=ctx.user_id, channel_id=ctx.channel_id)
        if file_id:
            meta = slack_files.file_meta(ctx.deps, file_id)
            if slack_files.is_text_name(meta.name):
                return _from_file(ctx, meta, incident_id, source)
            note = (
                f"Your last file here, `{slack_files.shown_name(meta.name)}`, is not a .md, .txt or .html "
                "file; paste the document or attach it below."
            )
    if not ctx.trigger_id:
        raise UserError("I could not open the form here; upload the document as a .md file and try again.")
    view = blocks.input_modal(channel_id=ctx.channel_id, incident_id=incident_id, source=source, note=note)
    ctx.client.views_open(trigger_id=ctx.trigger_id, view=view)
    return None


def _from_file(
    ctx: CommandContext, meta: slack_files.FileMeta, incident_id: str | None, source: str | None
) -> Reply | None:
    try:
        document = service.read_file(ctx.deps, meta, source=source)
    except UserError as err:
        raise UserError(
            f"{err.message} (Upload a corrected file, or run `/remediate extract --paste` to paste "
            "the text.)",
            usage=USAGE,
        ) from None
    return _preview(ctx, document, incident_id)


def _link(words: list[str]) -> str | None:
    """The one link given (a GitHub file link is read); any other text is refused."""
    if len(words) == 1 and from_slack(words[0]).strip().strip("<>").split("|")[0].startswith(
        ("https://", "http://")
    ):
        return from_slack(words[0]).strip().strip("<>").split("|")[0]
    if words:
        raise UserError(
            "`/remediate extract` takes no text of its own: paste the document in the form it opens, "
            "upload it here as a .md, .txt or .html file and run the command again, or give a GitHub file "
            "link (`/remediate extract https://github.com/OWNER/REPO/blob/main/postmortem.md`)."
        )
    return None


def _from_github(ctx: CommandContext, link: str, source: str | None) -> service.Document:
    """A GitHub file link, read through the API with the configured token; any other URL is refused."""
    from bot.github.files import FORM, blob_of, read_blob

    blob = blob_of(ctx.deps.settings, link)
    if blob is None:
        raise UserError(
            f"I only read GitHub file links ({FORM}); other links are not fetched. Paste the document "
            "with `/remediate extract --paste`, or upload it here as a file.",
            usage=USAGE,
        )
    try:
        raw = read_blob(ctx.deps.settings, blob, limit=service.MAX_BYTES)
    except LookupError as exc:
        raise UserError(f"{exc} (`{rules.shown(blob.path)}` in {blob.repository})", usage=USAGE) from None
    return service.read_pasted(raw.decode("utf-8"), source=source or link)


def _preview(ctx: CommandContext, document: service.Document, incident_id: str | None) -> Reply | None:
    try:
        preview = service.prepare(
            ctx.deps,
            user_id=ctx.user_id,
            channel_id=ctx.channel_id,
            document=document,
            incident_id=incident_id,
        )
    except service.NothingActionable as problem:
        text, found = blocks.nothing_message(problem)
        hint = context("`/remediate extract --paste` opens the form to paste a document instead.")
        return Reply(text=text, blocks=[*found, hint], refused=True)
    if not ctx.trigger_id:
        raise UserError("I could not open the preview here; share the file with me in a DM instead.")
    ctx.client.views_open(trigger_id=ctx.trigger_id, view=blocks.preview_modal(preview))
    return None
