"""/remediate dashboard: a personal, one-time sign-in link to the web dashboard, answered privately."""

from __future__ import annotations

from bot.core.errors import UserError
from bot.services.dashboard import access
from bot.slack.router import CommandContext, Reply, SubcommandRouter

USAGE = "/remediate dashboard"


def add_to(router: SubcommandRouter) -> None:
    router.add(
        "dashboard",
        dashboard,
        summary="Get a private link that signs you in to the web dashboard (status board, business impact, "
        "team performance, incidents, every item). The link lasts 15 minutes and opens once.",
        usage=USAGE,
        examples=("/remediate dashboard",),
    )


def dashboard(ctx: CommandContext) -> Reply:
    if ctx.args.strip():
        raise UserError("`/remediate dashboard` takes nothing after it.")
    link = access.issue_link(ctx.deps, user_id=ctx.user_id, now=ctx.deps.now())
    return Reply(
        text=f"Your personal dashboard link (valid 15 minutes, opens once; do not share it): "
        f"<{link.url}|Open the dashboard>"
    )
