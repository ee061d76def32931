"""/incident: declare and run incidents. `/incident` alone opens the declare modal."""

from __future__ import annotations

from slack_bolt import App

from bot.core.errors import UserError
from bot.core.incidents import rules
from bot.core.mrkdwn import date, user
from bot.core.records import IncidentRecord
from bot.deps import Deps
from bot.services.incidents import closeout as incident_admin
from bot.services.incidents import lifecycle as incidents
from bot.services.incidents import review as incident_review
from bot.services.incidents.cards import clocks_for
from bot.slack.blocks.incidents import messages as msgs
from bot.slack.blocks.incidents import modals as views
from bot.slack.blocks.replies import code_safe
from bot.slack.ids import Command
from bot.slack.listeners.commands.base import listen
from bot.slack.router import CommandContext, Reply, SubcommandRouter


def _one_id(ctx: CommandContext, usage: str) -> tuple[str, list[str]]:
    argv = ctx.argv()
    if not argv:
        raise UserError("Which incident? Give its id.", usage=usage)
    return rules.parse_incident_id(argv[0]), argv[1:]


def declare(ctx: CommandContext) -> Reply | None:
    settings = ctx.deps.settings
    if not ctx.trigger_id:
        raise UserError("Slack sent no trigger to open the form with; run the command again.")
    view = views.declare_modal(
        user_id=ctx.user_id,
        channel=settings.incident_channel,
        clocks=clocks_for(settings),
        title=" ".join(ctx.args.split())[:200],
    )
    ctx.client.views_open(trigger_id=ctx.trigger_id, view=view)
    return None


UPDATE_USAGE = '/incident update INC-… <status> "what changed" [--next 30m] [--eta "…"] [--impact "…"]'


def update(ctx: CommandContext) -> Reply:
    args = rules.parse_update_args(ctx.argv())
    inc = incidents.post_update(
        ctx.deps,
        incident_id=args.incident_id,
        actor_id=ctx.user_id,
        status=args.status,
        note=args.text,
        impact=args.impact,
        eta=args.eta,
        next_in=args.next_in,
    ).incident
    if inc.status == rules.RESOLVED:
        return Reply(f"Resolved {inc.id}; monitoring until {date(inc.monitoring_until)}.")
    return Reply(
        f"Posted the update to {inc.id}: {inc.status.capitalize()}. "
        f"Next update due {date(inc.next_update_due)}."
    )


RESOLVE_USAGE = '/incident resolve INC-… "root cause: …; fixed by …"'


def resolve(ctx: CommandContext) -> Reply:
    incident_id, rest = _one_id(ctx, RESOLVE_USAGE)
    inc = incidents.resolve(
        ctx.deps, incident_id=incident_id, actor_id=ctx.user_id, summary=" ".join(rest)
    ).incident
    return Reply(
        f"Resolved {inc.id}. Monitoring until {date(inc.monitoring_until)}; it closes by itself then "
        f'unless reopened (`/incident reopen {inc.id} "why"`).'
    )


def acknowledge(ctx: CommandContext) -> Reply:
    incident_id, _ = _one_id(ctx, "/incident ack INC-…")
    outcome = incidents.acknowledge(ctx.deps, incident_id=incident_id, actor_id=ctx.user_id)
    inc = outcome.incident
    if not outcome.changed:
        return Reply(msgs.already_acknowledged(IncidentRecord.of(inc)))
    return Reply(f"Acknowledged {inc.id}. The initial-response page is off.")


def reopen(ctx: CommandContext) -> Reply:
    incident_id, rest = _one_id(ctx, '/incident reopen INC-… "why"')
    if not rest:
        raise UserError("Say why it is reopened.")
    inc = incidents.reopen(
        ctx.deps, incident_id=incident_id, actor_id=ctx.user_id, reason=" ".join(rest)
    ).incident
    return Reply(
        f"Reopened {inc.id} ({inc.status.capitalize()}). Next update due {date(inc.next_update_due)}."
    )


def postmortem(ctx: CommandContext) -> Reply:
    incident_id, _ = _one_id(ctx, "/incident postmortem INC-…")
    posted = incident_review.post_postmortem(ctx.deps, incident_id=incident_id, actor_id=ctx.user_id)
    return Reply(
        f"Posted the post-mortem draft for {posted.incident.id} in <#{posted.channel}> "
        f"(the full template is the file `{posted.filename}` in its thread)."
    )


def list_(ctx: CommandContext) -> Reply:
    argv = [a.lower() for a in ctx.argv()]
    which = argv[0] if argv else "open"
    if which not in ("open", "all") or len(argv) > 1:
        raise UserError(f"`{code_safe(' '.join(argv)[:40])}` is not a list I know; use `open` or `all`.")
    rows, total = incident_admin.list_incidents(ctx.deps, include_closed=which == "all")
    text, blocks = views.list_reply(
        [IncidentRecord.of(r) for r in rows], total, include_closed=which == "all", now=ctx.deps.now()
    )
    return Reply(text, blocks)


def show(ctx: CommandContext) -> Reply:
    incident_id, _ = _one_id(ctx, "/incident show INC-…")
    info = incident_admin.detail(ctx.deps, incident_id)
    text, blocks = views.show_reply(info, clocks_for(ctx.deps.settings), now=ctx.deps.now())
    return Reply(text, blocks)


def assign(ctx: CommandContext) -> Reply:
    incident_id, rest = _one_id(ctx, "/incident assign INC-… @commander")
    if len(rest) != 1:
        raise UserError("Mention the new commander, like @alice.")
    commander = rules.parse_user(rest[0])
    outcome = incident_admin.assign(
        ctx.deps, incident_id=incident_id, actor_id=ctx.user_id, commander_id=commander
    )
    if not outcome.changed:
        return Reply(f"{user(commander)} is already the commander of {outcome.incident.id}.")
    return Reply(f"{user(commander)} is now the commander of {outcome.incident.id}.")


CLOSE_USAGE = '/incident close INC-… [--waive "reason"]'


def close(ctx: CommandContext) -> Reply:
    incident_id, rest = _one_id(ctx, CLOSE_USAGE)
    waiver = None
    if rest:
        if rest[0] != "--waive" or len(rest) < 2:
            raise UserError('Only `--waive "reason"` may follow the id.', usage=CLOSE_USAGE)
        waiver = " ".join(rest[1:])
    inc = incident_admin.close(
        ctx.deps, incident_id=incident_id, actor_id=ctx.user_id, waiver=waiver
    ).incident
    return Reply(f"Closed {inc.id}." + (" The close-out waiver is on its timeline." if waiver else ""))


def build_router() -> SubcommandRouter:
    router = SubcommandRouter(Command.INCIDENT.value, "/incident — declare and run incidents")
    router.default = "declare"
    add = router.add
    add(
        "declare",
        declare,
        summary="open the form to declare an incident (also `/incident` alone)",
        usage="/incident declare [title]",
        examples=("/incident", "/incident declare API returns 500s"),
    )
    add(
        "update",
        update,
        summary="post a status update (status update template), move the status, reset the update clock",
        usage=UPDATE_USAGE,
        examples=('/incident update INC-20251010-001 mitigating "Rolled back deploy 42" --next 30m',),
    )
    add(
        "resolve",
        resolve,
        summary="resolve it and start the monitoring period; it closes by itself when that ends",
        usage=RESOLVE_USAGE,
        examples=('/incident resolve INC-20251010-001 "root cause: bad config; fixed by rollback"',),
    )
    add(
        "ack",
        acknowledge,
        summary="acknowledge it (the same as the Acknowledge button)",
        usage="/incident ack INC-…",
        aliases=("acknowledge",),
    )
    add("reopen", reopen, summary="reopen a resolved incident", usage='/incident reopen INC-… "why"')
    add(
        "postmortem",
        postmortem,
        summary="post the post-mortem draft, pre-filled from the record, with an Add action item button",
        usage="/incident postmortem INC-…",
        aliases=("post-mortem",),
    )
    add("list", list_, summary="open incidents (or all of them)", usage="/incident list [open|all]")
    add(
        "show",
        show,
        summary="one incident: status, clocks, action items, timeline",
        usage="/incident show INC-…",
    )
    add(
        "assign",
        assign,
        summary="make someone the commander (the commander or an admin)",
        usage="/incident assign INC-… @commander",
    )
    add(
        "close",
        close,
        summary="close a resolved incident now; P0/P1 need a preventative item or a waiver",
        usage=CLOSE_USAGE,
        examples=('/incident close INC-20251010-001 --waive "the fix itself removes the cause"',),
    )
    return router


def register(app: App, deps: Deps) -> None:
    listen(app, deps, Command.INCIDENT, build_router())
