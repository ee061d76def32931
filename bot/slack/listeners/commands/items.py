"""/remediate track, new, show, list and status: create, update and look at remediation items.

Every handler parses everything first (so a typo changes nothing and costs no Slack call), then resolves
people and the typist's time zone, then calls one service that applies all changes or none.
"""

from __future__ import annotations

from typing import Any

from bot.core.errors import UserError
from bot.core.flags import Arity, Flag, Parsed, parse_flags
from bot.core.items import lifecycle as lc
from bot.core.items import rules
from bot.core.timing.deadlines import DEADLINE_FORMS, parse_deadline
from bot.services.items import changes as service
from bot.services.items import reports
from bot.services.people.refs import resolve_user
from bot.services.people.users import get_person
from bot.slack.blocks.format import escape
from bot.slack.blocks.items.cards import card_text, item_card
from bot.slack.blocks.items.lists import list_reply, status_view
from bot.slack.blocks.items.modals import create_modal
from bot.slack.blocks.replies import section
from bot.slack.router import CommandContext, Reply, SubcommandRouter
from bot.slack.text import from_slack

TRACK_FLAGS = [
    Flag("priority", Arity.ONE, "--priority P0"),
    Flag("owner", Arity.ONE, "--owner @alice"),
    Flag("deadline", Arity.WORDS, "--deadline tomorrow 17:00"),
    Flag("status", Arity.WORDS, "--status in_progress"),
    Flag("note", Arity.WORDS, '--note "Found it in smd.py:465"'),
    Flag("system", Arity.REPEAT, "--system websocket"),
    Flag("description", Arity.WORDS, '--description "What is wrong and why"'),
    Flag("kind", Arity.ONE, "--kind corrective"),
    Flag("mrr", Arity.ONE, "--mrr 50000"),
    Flag("users", Arity.ONE, "--users 1200"),
    Flag("availability", Arity.ONE, "--availability 2.5"),
    Flag("incident", Arity.ONE, "--incident INC-20251010-001"),
    Flag("source", Arity.WORDS, "--source reports/FIVE_WHYS.md"),
    Flag("force", Arity.SWITCH),
]
LIST_FLAGS = [
    Flag("priority", Arity.ONE, "--priority P0"),
    Flag("status", Arity.WORDS, "--status blocked"),
    Flag("owner", Arity.ONE, "--owner @alice"),
    Flag("page", Arity.ONE, "--page 2"),
]
STATUS_FLAGS = [Flag("show-overdue", Arity.SWITCH), Flag("show-upcoming", Arity.SWITCH)]

_FLAGS_USAGE = (
    "[--priority P0|P1|P2|P3] [--owner @user] [--deadline WHEN] [--status STATUS] [--note TEXT] "
    "[--system NAME] [--description TEXT] [--kind corrective|preventative|detective] [--mrr AMOUNT] "
    "[--users N] [--availability PERCENT] [--incident INC-…] [--source REF] [--force]"
)
TRACK_USAGE = f'/remediate track new "title" | track ID | track (the form) — flags: {_FLAGS_USAGE}'
NEW_USAGE = f'/remediate new (the form)  |  /remediate new "title" {_FLAGS_USAGE}'
LIST_USAGE = (
    "/remediate list [mine|overdue|upcoming|open|blocked|completed|all] "
    "[--priority P0] [--status blocked] [--owner @user] [--page N]"
)
PAGE_SIZE = 20


def add_to(router: SubcommandRouter) -> None:
    router.add(
        "track",
        track,
        summary="Create an item (`track new`), update one (`track ID`), or open the form (`track` alone). "
        f"Deadlines are read in your time zone: {DEADLINE_FORMS}; a past one needs --force.",
        usage=TRACK_USAGE,
        examples=(
            '/remediate track new "Fix async/await chain in SMD startup" --priority P0 --owner @alice '
            '--deadline 2025-09-09T11:45 --system websocket --note "Starting the fix in SMD"',
            "/remediate track P0-20250908-001 --owner @bob --deadline tomorrow 17:00 --status in_progress "
            '--note "Identified async/await issue in smd.py:465"',
            "/remediate track",
        ),
    )
    router.add(
        "new",
        new,
        summary="Open the form to track a new item (or create one straight away, like `track new`).",
        usage=NEW_USAGE,
        examples=("/remediate new", '/remediate new "Add alert on health check failures" --priority P1'),
    )
    router.add(
        "show",
        show,
        summary="The item card: fields, checklist, evidence, latest timeline entries and buttons.",
        usage="/remediate show ID",
        examples=("/remediate show P0-20250908-001",),
    )
    router.add(
        "list",
        list_items,
        summary="Items, most urgent first (default: open ones).",
        usage=LIST_USAGE,
        examples=(
            "/remediate list mine",
            "/remediate list overdue --priority P0",
            "/remediate list --status blocked",
        ),
    )
    router.add(
        "status",
        status,
        summary="The daily status view: completed today, in progress, blocked or at risk, alerts.",
        usage="/remediate status [--show-overdue] [--show-upcoming]",
        examples=("/remediate status --show-overdue --show-upcoming",),
    )


# --- track / new ----------------------------------------------------------------------------------


def track(ctx: CommandContext) -> Reply | None:
    words = ctx.argv()
    if not words:
        open_create_modal(ctx)
        return None
    parsed = parse_flags(words, TRACK_FLAGS, command="/remediate track")
    head = parsed.positional[0] if parsed.positional else ""
    if head.lower() == "new":
        return _create(ctx, parsed, parsed.positional[1:], usage=TRACK_USAGE)
    if rules.looks_like_item_id(head):
        if len(parsed.positional) > 1:
            extra = rules.shown(" ".join(parsed.positional[1:]))
            raise UserError(f'I did not understand `{extra}`; put text in a flag such as `--note "…"`.')
        return _update(ctx, head, parsed)
    if not head:
        raise UserError('Say `new "title"` to create an item, or give an item id to update one.')
    raise UserError(f"`{rules.shown(head)}` is neither `new` nor an item id such as {rules.ITEM_ID_FORM}.")


def new(ctx: CommandContext) -> Reply | None:
    words = ctx.argv()
    if not words:
        open_create_modal(ctx)
        return None
    parsed = parse_flags(words, TRACK_FLAGS, command="/remediate new")
    return _create(ctx, parsed, parsed.positional, usage=NEW_USAGE)


def open_create_modal(ctx: CommandContext) -> None:
    if not ctx.trigger_id:
        raise UserError('I could not open the form here; use `/remediate track new "title" --priority P1`.')
    ctx.client.views_open(trigger_id=ctx.trigger_id, view=create_modal(meta={"channel": ctx.channel_id}))


def _common_fields(parsed: Parsed) -> dict[str, Any]:
    """The flags both create and update take, checked for form before anything is looked up."""
    out: dict[str, Any] = {}
    if parsed.get("priority") is not None:
        out["priority"] = rules.parse_priority(parsed.get("priority") or "")
    if parsed.get("kind") is not None:
        out["kind"] = rules.parse_kind(parsed.get("kind") or "")
    if parsed.get("status") is not None:
        out["status"] = lc.parse_status(parsed.get("status") or "")
    if parsed.get("mrr") is not None:
        out["mrr_at_risk"] = rules.parse_money(parsed.get("mrr") or "")
    if parsed.get("users") is not None:
        out["users_affected"] = rules.parse_count(parsed.get("users") or "")
    if parsed.get("availability") is not None:
        out["availability_impact"] = rules.parse_percent(parsed.get("availability") or "")
    if parsed.get("incident") is not None:
        out["incident_id"] = rules.normalise_incident_id(parsed.get("incident"))
    for name in ("note", "description", "source"):
        if parsed.get(name) is not None:
            out[name] = from_slack(parsed.get(name))
    if parsed.many("system"):
        out["systems"] = tuple(from_slack(s) for s in parsed.many("system"))
    return out


def _people_and_time(ctx: CommandContext, parsed: Parsed, fields: dict[str, Any]) -> None:
    """Resolve --owner and read --deadline in the typist's time zone (may ask Slack; no session held)."""
    if parsed.get("owner") is not None:
        fields["owner_id"] = resolve_user(ctx.deps, parsed.get("owner") or "")
    if parsed.get("deadline") is not None:
        tz = get_person(ctx.deps, ctx.user_id).tz
        fields["deadline"] = parse_deadline(parsed.get("deadline") or "", now=ctx.deps.now(), tz=tz)


def _create(ctx: CommandContext, parsed: Parsed, title_words: list[str], *, usage: str) -> Reply:
    title = from_slack(" ".join(title_words))
    if not title.strip():
        raise UserError("A new item needs a title, in quotes after `new`.", usage=usage)
    fields = _common_fields(parsed)
    rules.clean_title(title)  # refuse a bad title before looking anybody up
    _people_and_time(ctx, parsed, fields)
    fields.setdefault("priority", "P2")
    if "source" in fields:
        fields["source_ref"] = fields.pop("source")
    view = service.create_item(
        ctx.deps, actor_id=ctx.user_id, title=title, force=parsed.on("force"), **fields
    )
    return _card_reply(ctx, view, f":white_check_mark: Created *{view.item.id}*.")


def _update(ctx: CommandContext, item_id: str, parsed: Parsed) -> Reply:
    fields = _common_fields(parsed)
    if not fields and not parsed.get("owner") and not parsed.get("deadline"):
        raise UserError(
            f"Nothing to change on {rules.shown(item_id)}: give at least one flag, "
            'e.g. `--status in_progress --note "…"`.'
        )
    _people_and_time(ctx, parsed, fields)
    if "source" in fields:
        fields["source_ref"] = fields.pop("source")
    changes = service.ItemChanges(force=parsed.on("force"), **fields)
    actor = service.actor_for(ctx.deps, ctx.user_id)
    view = service.update_item(ctx.deps, actor=actor, item_id=item_id, changes=changes)
    return _card_reply(ctx, view, view.message)


def _card_reply(ctx: CommandContext, view: service.ItemView, message: str) -> Reply:
    record = view.record
    blocks = [
        section(message),
        *item_card(record, view.entries, ctx.deps.now(), dashboard=ctx.deps.settings.dashboard_base),
    ]
    return Reply(text=f"{message} {card_text(record)}", blocks=blocks)


# --- show / list / status -------------------------------------------------------------------------


def show(ctx: CommandContext) -> Reply:
    words = ctx.argv()
    if len(words) != 1:
        raise UserError("Give one item id.")
    view = service.show_item(ctx.deps, item_id=words[0])
    return Reply(
        text=card_text(view.record),
        blocks=item_card(
            view.record, view.entries, ctx.deps.now(), dashboard=ctx.deps.settings.dashboard_base
        ),
    )


def list_items(ctx: CommandContext) -> Reply:
    parsed = parse_flags(ctx.argv(), LIST_FLAGS, command="/remediate list")
    if len(parsed.positional) > 1:
        raise UserError(f"List one of: {', '.join(reports.SCOPES)}.")
    scope = parsed.positional[0].lower() if parsed.positional else "open"
    if scope not in reports.SCOPES:
        raise UserError(f"`{rules.shown(scope)}` is not a list; use one of {', '.join(reports.SCOPES)}.")
    priority = rules.parse_priority(parsed.get("priority") or "") if parsed.get("priority") else None
    status = lc.parse_status(parsed.get("status") or "") if parsed.get("status") else None
    page = _page(parsed.get("page"))
    owner = resolve_user(ctx.deps, parsed.get("owner") or "") if parsed.get("owner") else None
    now = ctx.deps.now()
    base = reports.scope_filter(scope, user_id=ctx.user_id, now=now)
    where = type(base)(
        statuses=(status,) if status else base.statuses,
        priority=priority,
        owner_id=owner or base.owner_id,
        deadline_before=base.deadline_before,
        deadline_from=base.deadline_from,
    )
    result = reports.list_page(ctx.deps, where=where, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    title = {"mine": "Your open items", "all": "All items"}.get(scope, f"{scope.capitalize()} items")
    if status:
        title += f" ({lc.LABELS[status]})"
    if priority:
        title += f" · {priority}"
    again = ["/remediate list", scope]
    again += [f"--priority {priority}"] if priority else []
    again += [f"--status {status}"] if status else []
    again += [f"--owner {escape(parsed.get('owner'))}"] if owner else []
    hint = f"`{' '.join(again)} --page {page + 1}`"
    text, blocks = list_reply(title, result, now, more_hint=hint)
    return Reply(text=text, blocks=blocks)


def _page(text: str | None) -> int:
    if text is None:
        return 1
    if not text.isdigit() or not 1 <= int(text) <= 10_000:
        raise UserError(f"`{rules.shown(text)}` is not a page number.")
    return int(text)


def status(ctx: CommandContext) -> Reply:
    parsed = parse_flags(ctx.argv(), STATUS_FLAGS, command="/remediate status")
    if parsed.positional:
        raise UserError(f"`{rules.shown(' '.join(parsed.positional))}` is not an option of status.")
    tz = get_person(ctx.deps, ctx.user_id).tz
    board = reports.status_board(
        ctx.deps, tz=tz, show_overdue=parsed.on("show-overdue"), show_upcoming=parsed.on("show-upcoming")
    )
    text, blocks = status_view(board, ctx.deps.now())
    return Reply(text=text, blocks=blocks)
