"""/remediate link, unlink, whoami and people: an item's issue in GitHub or Jira, and people's accounts there.

/remediate link ID github|jira             create the issue now (in that tracker)
/remediate link ID <issue URL | owner/repo#42 | OPS-7>   link an existing issue (checked to exist)
/remediate unlink ID
/remediate whoami github LOGIN | jira ACCOUNT_ID   (anyone, for themselves)
/remediate people @alice github LOGIN | jira ACCOUNT_ID   (admins)
"""

from __future__ import annotations

import re

from bot.core.errors import Forbidden, UserError
from bot.core.items import rules
from bot.core.trackers import issues
from bot.services.items.steps import actor_for
from bot.services.people.admins import is_admin
from bot.services.people.refs import resolve_user
from bot.services.trackers import links
from bot.slack.router import CommandContext, Reply, SubcommandRouter

LINK_USAGE = "/remediate link ID github|jira  |  /remediate link ID <GitHub issue URL | Jira key or URL>"
WHOAMI_USAGE = "/remediate whoami github LOGIN  |  /remediate whoami jira ACCOUNT_ID"
PEOPLE_USAGE = "/remediate people @user github LOGIN  |  /remediate people @user jira ACCOUNT_ID"
_LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?")
_ACCOUNT = re.compile(r"[A-Za-z0-9:_-]{1,128}")


def add_to(router: SubcommandRouter) -> None:
    router.add(
        "link",
        link,
        summary="Create the item's issue in GitHub or Jira now, or link an existing issue; it then syncs "
        "both ways.",
        usage=LINK_USAGE,
        examples=(
            "/remediate link P0-20250908-001 github",
            "/remediate link P0-20250908-001 https://github.com/acme/backend/issues/42",
            "/remediate link P0-20250908-001 OPS-7",
        ),
    )
    router.add(
        "unlink",
        unlink,
        summary="Stop syncing the item with its issue (the issue stays as it is).",
        usage="/remediate unlink ID",
        examples=("/remediate unlink P0-20250908-001",),
    )
    router.add(
        "whoami",
        whoami,
        summary="Tell the bot your GitHub login or Jira account id, so issues are assigned to you.",
        usage=WHOAMI_USAGE,
        examples=("/remediate whoami github octocat",),
    )
    router.add(
        "people",
        people,
        summary="(Admins) Set someone's GitHub login or Jira account id.",
        usage=PEOPLE_USAGE,
        examples=("/remediate people @alice github alice-gh",),
    )


def _configured(ctx: CommandContext) -> list[str]:
    s = ctx.deps.settings
    return [t for t, on in ((issues.GITHUB, s.github_tracker), (issues.JIRA, s.jira_tracker)) if on]


def _tracker(ctx: CommandContext, word: str) -> str:
    tracker = word.lower()
    if tracker not in issues.TRACKERS:
        raise UserError(f"`{rules.shown(word)}` is not a tracker; say github or jira.")
    if tracker not in _configured(ctx):
        raise UserError(f"{issues.NAMES[tracker]} is not set up for this bot (see the README).")
    return tracker


def link(ctx: CommandContext) -> Reply:
    words = ctx.argv()
    if len(words) != 2:
        raise UserError("Give an item id and github, jira or the issue to link.", usage=LINK_USAGE)
    item_id, what = words
    if not rules.looks_like_item_id(item_id):
        raise UserError(f"`{rules.shown(item_id)}` is not an item id; ids look like {rules.ITEM_ID_FORM}.")
    if not _configured(ctx):
        raise UserError("No issue tracker is set up for this bot (GitHub or Jira: see the README).")
    actor = actor_for(ctx.deps, ctx.user_id)
    if what.lower() in issues.TRACKERS:
        view = links.create_issue(ctx.deps, actor=actor, item_id=item_id, tracker=_tracker(ctx, what))
        return Reply(text=f":link: {view.message}")
    s = ctx.deps.settings
    ref = issues.parse_issue_ref(
        what,
        github_hosts=issues.github_hosts(s.github_api_url),
        github_repository=s.github_repository,
        jira_base_url=s.jira_base_url,
    )
    if ref is None:
        raise UserError(
            f"`{rules.shown(what)}` is not an issue I can link: give a GitHub issue URL, owner/repo#42, "
            "a Jira key such as OPS-7 or its browse URL, or github / jira to create one.",
            usage=LINK_USAGE,
        )
    _tracker(ctx, ref.tracker)
    found = _look_up(ctx, ref)
    view = links.link_existing(ctx.deps, actor=actor, item_id=item_id, found=found)
    return Reply(text=f":link: {view.message}")


def _look_up(ctx: CommandContext, ref: issues.IssueRef) -> links.FoundIssue:
    """Ask the tracker for the issue (it must exist); no session is held meanwhile."""
    try:
        if ref.tracker == issues.GITHUB:
            from bot.github.lookup import find_issue

            return find_issue(ctx.deps.settings, ref)
        from bot.jira.lookup import find_issue as find_jira_issue

        return find_jira_issue(ctx.deps.settings, ref)
    except LookupError as exc:
        raise UserError(str(exc)) from None


def unlink(ctx: CommandContext) -> Reply:
    words = ctx.argv()
    if len(words) != 1:
        raise UserError("Give one item id.", usage="/remediate unlink ID")
    view = links.unlink(ctx.deps, actor=actor_for(ctx.deps, ctx.user_id), item_id=words[0])
    return Reply(text=view.message)


def _account(tracker: str, text: str) -> str:
    account = text.strip().lstrip("@")
    if tracker == issues.GITHUB:
        if not _LOGIN.fullmatch(account):
            raise UserError(f"`{rules.shown(text)}` is not a GitHub login.", usage=WHOAMI_USAGE)
        return account.lower()
    if not _ACCOUNT.fullmatch(account):
        raise UserError(f"`{rules.shown(text)}` is not a Jira account id.", usage=WHOAMI_USAGE)
    return account


def whoami(ctx: CommandContext) -> Reply:
    words = ctx.argv()
    if len(words) != 2:
        raise UserError("Say which tracker and your account there.", usage=WHOAMI_USAGE)
    tracker = _tracker(ctx, words[0])
    account = _account(tracker, words[1])
    message = links.set_person(
        ctx.deps, actor_id=ctx.user_id, user_id=ctx.user_id, tracker=tracker, account=account
    )
    return Reply(text=f":bust_in_silhouette: {message}")


def people(ctx: CommandContext) -> Reply:
    words = ctx.argv()
    if len(words) != 3:
        raise UserError("Name the person, the tracker and their account there.", usage=PEOPLE_USAGE)
    if not is_admin(ctx.deps, ctx.user_id):
        raise Forbidden("Only admins set other people's accounts; use `/remediate whoami` for your own.")
    tracker = _tracker(ctx, words[1])
    account = _account(tracker, words[2])
    user_id = resolve_user(ctx.deps, words[0])
    message = links.set_person(
        ctx.deps, actor_id=ctx.user_id, user_id=user_id, tracker=tracker, account=account
    )
    return Reply(text=f":bust_in_silhouette: {message}")
