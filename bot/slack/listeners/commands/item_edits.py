"""/remediate note, assign, block, unblock, cancel, evidence, criteria, prevent and validate.

Notes, evidence, success criteria and prevention measures are for anyone; status and owner changes are for
the item's owner, its reporter or an admin (the service checks, and says who can).
"""

from __future__ import annotations

from bot.core.errors import UserError
from bot.core.items import lifecycle as lc
from bot.core.items import rules
from bot.services.items import changes as service
from bot.services.people.refs import resolve_user
from bot.slack.blocks.items.cards import card_text, item_card
from bot.slack.blocks.items.modals import validate_modal
from bot.slack.blocks.replies import section
from bot.slack.router import CommandContext, Reply, SubcommandRouter
from bot.slack.text import from_slack, split_id


def add_to(router: SubcommandRouter) -> None:
    router.add(
        "note",
        note,
        summary="Add a progress note (anyone).",
        usage="/remediate note ID text",
        examples=("/remediate note P0-20250908-001 Fix deployed to staging, watching the startup logs",),
    )
    router.add(
        "assign",
        assign,
        summary="Give the item to someone (owner, reporter or admin); both get a DM.",
        usage="/remediate assign ID @user",
        examples=("/remediate assign P0-20250908-001 @bob",),
        aliases=("reassign",),
    )
    router.add(
        "block",
        block,
        summary="Mark the item Blocked, with what is in the way (owner, reporter or admin).",
        usage="/remediate block ID reason",
        examples=("/remediate block P1-20250908-003 Waiting for staging environment access",),
    )
    router.add(
        "unblock",
        unblock,
        summary="Return a blocked item to the status it had before.",
        usage="/remediate unblock ID [note]",
        examples=("/remediate unblock P1-20250908-003 Staging access granted",),
    )
    router.add(
        "cancel",
        cancel,
        summary="Cancel the item, with the reason (owner, reporter or admin).",
        usage="/remediate cancel ID reason",
        examples=("/remediate cancel P2-20250908-004 Superseded by P0-20250908-001",),
    )
    router.add(
        "evidence",
        evidence,
        summary="Attach evidence: code (path:L10-L20), commit (hash), test (file::name) or link (anyone).",
        usage='/remediate evidence ID code|commit|test|link REFERENCE ["note"]',
        examples=(
            '/remediate evidence P0-20250908-001 commit abc123f "Awaits the manager in smd.py"',
            "/remediate evidence P0-20250908-001 code app/smd.py:L455-L470",
            "/remediate evidence P0-20250908-001 test tests/test_startup.py::test_websocket_manager",
        ),
    )
    router.add(
        "criteria",
        criteria,
        summary="Add a success criterion to the item's checklist (anyone).",
        usage='/remediate criteria ID add "criterion"',
        examples=(
            '/remediate criteria P0-20250908-001 add "Startup completes without DeterministicStartupError"',
        ),
    )
    router.add(
        "prevent",
        prevent,
        summary="Record a prevention measure (anyone).",
        usage='/remediate prevent ID "measure"',
        examples=('/remediate prevent P0-20250908-001 "Added startup integration tests"',),
    )
    router.add(
        "validate",
        validate,
        summary="Open the validation form: tick each criterion, confirm prevention, attach evidence. "
        "The owner cannot validate their own item (four eyes).",
        usage="/remediate validate ID",
        examples=("/remediate validate P0-20250908-001",),
    )


def _id_and_text(ctx: CommandContext, *, what: str) -> tuple[str, str]:
    item_id, text = split_id(ctx.args)
    if not item_id:
        raise UserError("Give the item id first.")
    if not rules.looks_like_item_id(item_id):
        raise UserError(f"`{rules.shown(item_id)}` is not an item id; ids look like {rules.ITEM_ID_FORM}.")
    text = from_slack(text)
    if what and not text.strip():
        raise UserError(f"Write the {what} after the item id.")
    return item_id, text


def _reply(ctx: CommandContext, view: service.ItemView) -> Reply:
    blocks = [
        section(view.message),
        *item_card(view.record, view.entries, ctx.deps.now(), dashboard=ctx.deps.settings.dashboard_base),
    ]
    return Reply(text=f"{view.message} {card_text(view.record)}", blocks=blocks)


def note(ctx: CommandContext) -> Reply:
    item_id, text = _id_and_text(ctx, what="note")
    actor = service.Actor(ctx.user_id)
    return _reply(ctx, service.add_note(ctx.deps, actor=actor, item_id=item_id, text=text))


def assign(ctx: CommandContext) -> Reply:
    words = ctx.argv()
    if len(words) != 2:
        raise UserError("Give the item id and one person.")
    item_id, who = words
    rules.normalise_item_id(item_id)
    owner_id = resolve_user(ctx.deps, who)
    actor = service.actor_for(ctx.deps, ctx.user_id)
    return _reply(ctx, service.assign(ctx.deps, actor=actor, item_id=item_id, owner_id=owner_id))


def _move(ctx: CommandContext, verb: str, *, what: str) -> Reply:
    item_id, text = _id_and_text(ctx, what=what)
    actor = service.actor_for(ctx.deps, ctx.user_id)
    return _reply(ctx, service.move(ctx.deps, actor=actor, item_id=item_id, verb=verb, reason=text or None))


def block(ctx: CommandContext) -> Reply:
    return _move(ctx, lc.BLOCK, what="reason")


def unblock(ctx: CommandContext) -> Reply:
    return _move(ctx, lc.UNBLOCK, what="")


def cancel(ctx: CommandContext) -> Reply:
    return _move(ctx, lc.CANCEL, what="reason")


def evidence(ctx: CommandContext) -> Reply:
    words = ctx.argv()
    if len(words) < 3:
        raise UserError("Give the item id, the kind of evidence and its reference.")
    item_id, kind, ref, *rest = words
    rules.normalise_item_id(item_id)
    rules.parse_evidence_kind(kind)
    actor = service.Actor(ctx.user_id)
    view = service.add_evidence(
        ctx.deps,
        actor=actor,
        item_id=item_id,
        kind=kind,
        ref=from_slack(ref),
        note=from_slack(" ".join(rest)) or None,
    )
    return _reply(ctx, view)


def criteria(ctx: CommandContext) -> Reply:
    words = ctx.argv()
    if len(words) < 3 or words[1].lower() != "add":
        raise UserError("Give the item id, `add` and the criterion in quotes.")
    item_id = words[0]
    rules.normalise_item_id(item_id)
    actor = service.Actor(ctx.user_id)
    text = from_slack(" ".join(words[2:]))
    return _reply(ctx, service.add_criteria(ctx.deps, actor=actor, item_id=item_id, texts=[text]))


def prevent(ctx: CommandContext) -> Reply:
    item_id, text = _id_and_text(ctx, what="prevention measure")
    actor = service.Actor(ctx.user_id)
    return _reply(ctx, service.add_prevention(ctx.deps, actor=actor, item_id=item_id, texts=[text]))


def validate(ctx: CommandContext) -> Reply | None:
    words = ctx.argv()
    if len(words) != 1:
        raise UserError("Give one item id.")
    actor = service.actor_for(ctx.deps, ctx.user_id)
    view = service.show_item(ctx.deps, item_id=words[0])
    service.check_can_validate(view.item, actor, ctx.deps.settings)
    if not ctx.trigger_id:
        raise UserError("I could not open the validation form here; try again from the message box.")
    meta = {"id": view.item.id, "n": len(view.item.criteria), "surface": {"kind": "none"}}
    ctx.client.views_open(trigger_id=ctx.trigger_id, view=validate_modal(view.record, meta, ctx.deps.now()))
    return None
