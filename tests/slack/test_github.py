"""GitHub Issues both ways, end to end: the real server and database, signed Slack requests, the fake Slack,
a fake GitHub REST API on loopback that checks every call (`tests.fakes.github`), web hooks signed as
GitHub signs them, and the clock injected."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.slack.ids import Action
from storage import trackers as store
from tests.fakes.github import FakeGitHub
from tests.slack.item_steps import create, events, item, refused, run
from tests.slack.notification_steps import deliveries, post_hook, wait_until, worker
from tests.support import make_settings, running_bot, snapshot

TOKEN = "github_pat_11ABCDEFG0123456789_remediateTestTokenValue"
SECRET = "github-webhook-secret-for-tests"
REPO = "acme/backend"
BOB, CAROL = "<@UBOB|bob>", "<@UCAROL|carol>"


@pytest.fixture
def github(clock):
    fake = FakeGitHub(TOKEN, repositories=(REPO, "acme/other"), clock=clock, hook_secret=SECRET)
    fake.assignable.update({"bob-gh", "carol-gh", "alice-gh"})
    yield fake
    fake.close()
    assert fake.errors == []


@pytest.fixture
def bot(fake_slack, clock, database_url, github):
    settings = make_settings(
        database_url,
        fake_slack.url,
        github_token=TOKEN,
        github_repository=REPO,
        github_api_url=github.url,
        github_webhook_secret=SECRET,
        tracker_auto_create="P0",
        admin_users="UADMIN",
    )
    with running_bot(settings, clock) as harness:
        github.hook_url = f"{harness.url}/hooks/github"
        yield harness


def link_of(bot, item_id):
    with bot.uow() as session:
        found = store.link_of(session, item_id=item_id)
        session.expunge_all()
    return found


def linked(bot, item_id):
    """The item's link once its issue exists (the creation went out and was answered)."""
    return wait_until(
        lambda: (lambda x: x if x is not None and x.number else None)(link_of(bot, item_id)),
        message=f"the issue of {item_id}",
    )


def settle(bot):
    """Everything due now went out (the background workers may be on it too; leases keep it once)."""
    worker(bot, "github").drain()
    bot.deliver()

    def due():
        now = bot.clock()
        return [
            r.id
            for destination in ("slack", "github")
            for r in deliveries(bot, destination)
            if r.status == "pending" and r.not_before <= now
        ]

    wait_until(lambda: not due(), message="the deliveries due now")


def summaries(bot, item_id):
    return [e.summary for e in events(bot, item_id)]


def dms(fake_slack, user, needle):
    return [m for m in fake_slack.messages(user) if needle in m["text"]]


def domain(bot):
    """Every table but the claims of hooks, the users.info cache and the link's sync stamps."""
    snap = snapshot(bot.deps.engine)
    for table in ("claim", "slack_user", "tracker_link"):
        snap.pop(table, None)
    return snap


def new_p0(slack, bot, *, title="Rotate the leaked deploy key", owner=BOB):
    item_id = create(slack, f'"{title}" --priority P0 --owner {owner} --deadline +2d', user="UALICE")
    return item_id, linked(bot, item_id)


@pytest.mark.both_backends
def test_a_p0_item_gets_its_issue_with_title_labels_assignee_and_deadline(bot, slack, fake_slack, github):
    assert github.calls[0].path == f"/repos/{REPO}"  # the token is checked once at start
    run(slack, "whoami github Bob-GH", user="UBOB")
    item_id, link = new_p0(slack, bot)
    [issue] = github.created()
    shown = item(bot, item_id)
    assert issue["title"] == f"[{item_id}] Rotate the leaked deploy key"
    assert [label["name"] for label in issue["labels"]] == ["remediate", "priority:P0"]
    assert [a["login"] for a in issue["assignees"]] == ["bob-gh"]
    assert f"**Deadline:** {shown.deadline.strftime('%Y-%m-%d %H:%M UTC')}" in issue["body"]
    assert "**Priority:** P0" in issue["body"] and item_id in issue["body"]
    [post] = github.writes("POST")
    assert post.headers["authorization"] == f"Bearer {TOKEN}"
    assert post.headers["x-github-api-version"] == "2022-11-28"
    assert link.number == str(issue["number"]) and link.url == issue["html_url"]
    assert link.remote_id == str(issue["id"])
    assert f"GitHub #{issue['number']} created: {issue['html_url']}" in summaries(bot, item_id)

    # A P1 item gets none unless asked; an unmapped owner leaves the issue unassigned and says so once.
    other = create(slack, f'"Add a runbook" --priority P1 --owner {CAROL} --deadline +5d')
    settle(bot)
    assert len(github.created()) == 1 and link_of(bot, other) is None
    answer = run(slack, f"link {other} github", user="UALICE")
    assert "Creating a GitHub issue" in answer["text"]
    linked(bot, other)
    second = github.created()[1]
    assert second["assignees"] == [] and "**Owner:** Carol (Slack)" in second["body"]
    fake_slack.wait_for(lambda: dms(fake_slack, "UCAROL", "whoami github"), message="the unmapped notice")
    settle(bot)
    assert len(github.writes("POST")) == 2
    assert github.issue(REPO, issue["number"])["state"] == "open"


@pytest.mark.both_backends
def test_link_checks_the_issue_exists_and_unlink_stops_the_sync(bot, slack, fake_slack, github):
    existing = github.add_issue(REPO, title="Deploys are flaky", author="carol-gh")
    item_id = create(slack, f'"Make deploys reliable" --priority P2 --owner {BOB} --deadline +5d')
    settle(bot)
    before = domain(bot)
    for wrong, needle in (
        (f"{REPO}#7", f"no issue {REPO}#7"),
        ("https://github.com/acme/nowhere/issues/3", "no issue acme/nowhere#3"),
        ("https://example.com/acme/backend/issues/3", "not an issue I can link"),
    ):
        refused(run(slack, f"link {item_id} {wrong}"), needle)
    pr = github.add_issue(REPO, title="A pull request", pull_request=True)
    refused(run(slack, f"link {item_id} {pr['html_url']}"), "pull request")
    assert domain(bot) == before and github.writes() == []

    answer = run(slack, f"link {item_id} {existing['html_url']}")
    assert f"{REPO}#{existing['number']}" in answer["text"], answer
    link = link_of(bot, item_id)
    assert (link.project, link.number, link.url) == (REPO, str(existing["number"]), existing["html_url"])
    refused(run(slack, f"link {item_id} github"), "already linked")
    other = create(slack, '"Another" --priority P3 --deadline +9d')
    refused(run(slack, f"link {other} {REPO}#{existing['number']}"), f"already linked to {item_id}")

    # Linked: the issue follows the item, and GitHub's changes reach it.
    run(slack, f"track {item_id} --status in_progress", user="UBOB")
    github.close_issue(REPO, existing["number"], reason="completed")
    wait_until(lambda: item(bot, item_id).status == "completed", message="completed from GitHub")

    answer = run(slack, f"unlink {item_id}", user="UBOB")
    assert "no longer linked" in answer["text"] and link_of(bot, item_id) is None
    refused(run(slack, f"unlink {item_id}", user="UBOB"), "not linked")
    settle(bot)
    before, writes = domain(bot), len(github.writes())
    [hook] = github.reopen_issue(REPO, existing["number"])
    assert hook.status == 200 and "ignored" in hook.answer, hook.answer
    run(slack, f"track {item_id} --deadline +6d", user="UBOB")
    run(slack, f"note {item_id} Fixed in the deploy script", user="UBOB")
    settle(bot)
    assert len(github.writes()) == writes  # nothing more goes to the unlinked issue
    assert before["remediation_item"] != domain(bot)["remediation_item"]


@pytest.mark.both_backends
def test_closing_the_issue_completes_the_item_tells_the_validator_once_and_reopening_restarts_it(
    bot, slack, fake_slack, github
):
    item_id, link = new_p0(slack, bot)
    settle(bot)
    writes = len(github.writes())
    [hook] = github.close_issue(REPO, link.number, reason="completed", by="bob-gh")
    assert hook.status == 202 and hook.answer["changed"] is True, hook.answer
    assert hook.headers["X-Hub-Signature-256"].startswith("sha256=")
    assert item(bot, item_id).status == "completed"
    assert f"(from GitHub #{link.number})" in " ".join(summaries(bot, item_id))
    ready = fake_slack.wait_for(
        lambda: dms(fake_slack, "UALICE", "ready for validation"), message="the validator told"
    )
    assert f"/remediate validate {item_id}" in ready[0]["text"] or item_id in json.dumps(ready[0])

    again = github.redeliver(hook)
    assert again.status == 200 and again.answer.get("duplicate") is True
    settle(bot)
    assert len(dms(fake_slack, "UALICE", "ready for validation")) == 1
    assert len(github.writes()) == writes  # what GitHub said is not sent back to it

    [hook] = github.reopen_issue(REPO, link.number, by="bob-gh")
    assert hook.status == 202 and hook.answer["changed"] is True, hook.answer
    assert item(bot, item_id).status == "in_progress"
    settle(bot)
    assert len(github.writes()) == writes
    assert github.issue(REPO, link.number)["state"] == "open"


@pytest.mark.both_backends
def test_closed_as_not_planned_asks_the_owner_and_keep_open_reopens_the_issue(
    bot, slack, fake_slack, github, clock
):
    item_id, link = new_p0(slack, bot)
    settle(bot)
    [hook] = github.close_issue(REPO, link.number, reason="not_planned")
    assert hook.status == 202, hook.answer
    assert item(bot, item_id).status not in ("cancelled", "completed")
    [question] = fake_slack.wait_for(
        lambda: dms(fake_slack, "UBOB", "closed as not planned"), message="the owner asked"
    )
    actions = [e["action_id"] for b in question["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert actions == [Action.TRACKER_CANCEL.value, Action.TRACKER_KEEP_OPEN.value]

    slack.block_action(
        Action.TRACKER_KEEP_OPEN.value, message=question, user="UBOB", channel=question["channel"]
    )
    wait_until(lambda: github.issue(REPO, link.number)["state"] == "open", message="the issue reopened")
    assert item(bot, item_id).status not in ("cancelled", "completed")
    [reopen] = github.writes("PATCH")
    assert reopen.body == {"state": "open"}
    for echo in github.flush():  # GitHub's reopened hook for our own PATCH
        assert echo.status == 202 and echo.answer.get("changed") is False, echo.answer

    # Closed as not planned again, later, and this time the owner cancels.
    clock.advance(minutes=30)
    github.close_issue(REPO, link.number, reason="not_planned")
    question = fake_slack.wait_for(
        lambda: dms(fake_slack, "UBOB", "closed as not planned")[1:], message="asked again"
    )[0]
    slack.block_action(
        Action.TRACKER_CANCEL.value, message=question, user="UBOB", channel=question["channel"]
    )
    wait_until(lambda: item(bot, item_id).status == "cancelled", message="cancelled")
    settle(bot)
    issue = github.issue(REPO, link.number)
    assert (issue["state"], issue["state_reason"]) == ("closed", "not_planned")


@pytest.mark.both_backends
def test_reassigning_in_slack_patches_once_and_its_echo_changes_nothing(bot, slack, fake_slack, github):
    for user, login in (("UBOB", "bob-gh"), ("UCAROL", "carol-gh")):
        run(slack, f"whoami github {login}", user=user)
    item_id, link = new_p0(slack, bot)
    settle(bot)
    run(slack, f"assign {item_id} {CAROL}", user="UALICE")
    wait_until(lambda: github.writes("PATCH"), message="the PATCH")
    settle(bot)
    [patch] = github.writes("PATCH")
    assert patch.body["assignees"] == ["carol-gh"]
    assert [a["login"] for a in github.issue(REPO, link.number)["assignees"]] == ["carol-gh"]

    before, writes = domain(bot), len(github.calls)
    echoes = github.flush()  # GitHub tells us of our own change: unassigned bob-gh, assigned carol-gh
    assert [e.action for e in echoes] == ["unassigned", "assigned"]
    assert all(e.status in (200, 202) for e in echoes), [e.answer for e in echoes]
    settle(bot)
    assert domain(bot) == before
    assert len(github.calls) == writes
    assert item(bot, item_id).owner_id == "UCAROL"


@pytest.mark.both_backends
def test_reassigning_in_github_changes_the_owner_once_and_sends_nothing_back(bot, slack, fake_slack, github):
    for user, login in (("UBOB", "bob-gh"), ("UCAROL", "carol-gh")):
        run(slack, f"whoami github {login}", user=user)
    item_id, link = new_p0(slack, bot)
    settle(bot)
    writes = len(github.writes())
    hooks = github.assign_issue(REPO, link.number, "carol-gh", by="alice-gh")
    assert [h.action for h in hooks] == ["unassigned", "assigned"]
    assert item(bot, item_id).owner_id == "UCAROL"
    moved = [s for s in summaries(bot, item_id) if "(from GitHub" in s]
    assert len(moved) == 1 and "Owner:" in moved[0], moved
    github.redeliver(hooks[1])
    settle(bot)
    assert len(github.writes()) == writes
    assert len([s for s in summaries(bot, item_id) if "(from GitHub" in s]) == 1
    fake_slack.wait_for(lambda: dms(fake_slack, "UCAROL", "now the owner"), message="the new owner told")

    # An account nobody mapped changes nothing.
    github.assign_issue(REPO, link.number, "stranger-gh")
    assert item(bot, item_id).owner_id == "UCAROL"


def test_an_outage_then_a_secondary_rate_limit_delays_changes_and_each_arrives_once_in_order(
    bot, slack, fake_slack, github, clock
):
    for user, login in (("UBOB", "bob-gh"), ("UCAROL", "carol-gh")):
        run(slack, f"whoami github {login}", user=user)
    item_id, link = new_p0(slack, bot)
    settle(bot)

    def attempts():
        return sum(r.attempts for r in deliveries(bot, "github"))

    github.down(500)
    run(slack, f"assign {item_id} {CAROL}", user="UALICE")
    wait_until(lambda: attempts() >= 1, message="a first attempt")
    run(slack, f"track {item_id} --deadline +4d", user="UCAROL")
    run(slack, f"track {item_id} --priority P1", user="UCAROL")
    for _ in range(3):  # three minutes of 500s
        before = attempts()
        clock.advance(minutes=1)
        wait_until(lambda b=before: attempts() > b, message="a retry")
    github.up()
    github.fail_with(403, times=1, retry_after=120)
    before = attempts()
    clock.advance(minutes=2)
    wait_until(lambda: attempts() > before, message="the rate-limited try")
    assert [c.status for c in github.calls[-1:]] == [403]
    clock.advance(seconds=60)  # not yet: GitHub said two minutes
    worker(bot, "github").drain()
    assert not github.writes("PATCH")
    clock.advance(seconds=61)
    wait_until(lambda: len(github.writes("PATCH")) == 3, message="the three changes")
    clock.advance(minutes=10)
    settle(bot)
    patches = github.writes("PATCH")
    assert len(patches) == 3
    assert patches[0].body["assignees"] == ["carol-gh"]
    assert "**Deadline:**" in patches[1].body["body"] and "assignees" not in patches[1].body
    assert patches[2].body["labels"] == ["remediate", "priority:P1"]
    assert "**Priority:** P1" in patches[2].body["body"]
    assert all(r.status == "sent" for r in deliveries(bot, "github"))
    issue = github.issue(REPO, link.number)
    assert [a["login"] for a in issue["assignees"]] == ["carol-gh"]
    assert [label["name"] for label in issue["labels"]] == ["remediate", "priority:P1"]
    assert item(bot, item_id).deadline.strftime("%Y-%m-%d %H:%M UTC") in issue["body"]


@pytest.mark.both_backends
def test_forged_replayed_and_unknown_hooks(bot, slack, fake_slack, github):
    item_id, link = new_p0(slack, bot)
    settle(bot)
    issue = github.issue(REPO, link.number)
    issue.update(state="closed", state_reason="completed")
    body = github.hook_body("closed", issue)
    good = github.signed(body)
    before = domain(bot)
    forged = [
        (body, {**good, "X-Hub-Signature-256": "sha256=" + "0" * 64}),
        (body, {k: v for k, v in good.items() if k != "X-Hub-Signature-256"}),
        (body.replace(b'"completed"', b'"not_planned"'), good),
        (body, {**good, "X-Hub-Signature-256": good["X-Hub-Signature"]}),  # the sha1 one
    ]
    other = FakeGitHub(TOKEN, hook_secret="somebody-elses-secret")
    try:
        forged.append((body, other.signed(body)))
    finally:
        other.close()
    for raw, headers in forged:
        status, answer = post_hook(bot, "/hooks/github", raw, headers)
        assert status == 401 and answer["ok"] is False, answer
    assert domain(bot) == before and item(bot, item_id).status == "identified"

    status, answer = post_hook(bot, "/hooks/github", body, good)
    assert status == 202 and answer["changed"] is True
    settle(bot)
    after = domain(bot)
    status, answer = post_hook(bot, "/hooks/github", body, good)
    assert status == 200 and answer["duplicate"] is True
    assert domain(bot) == after

    # An issue no item is linked to, and a ping: taken, and nothing changes.
    stranger = github.add_issue(REPO, title="Not ours")
    [hook] = github.close_issue(REPO, stranger["number"])
    assert hook.status == 200 and hook.answer.get("ignored"), hook.answer
    # A hook set up with the form content type: the JSON is in its payload field, signed as sent.
    from urllib.parse import urlencode

    reopened = github.issue(REPO, link.number)
    reopened.update(state="open", state_reason="reopened")
    form = urlencode({"payload": github.hook_body("reopened", reopened).decode()}).encode()
    headers = {**github.signed(form), "Content-Type": "application/x-www-form-urlencoded"}
    status, answer = post_hook(bot, "/hooks/github", form, headers)
    assert status == 202 and answer["changed"] is True, answer
    assert item(bot, item_id).status == "in_progress"
    settle(bot)
    after = domain(bot)
    ping = json.dumps({"zen": "Keep it logically awesome.", "hook_id": 1}).encode()
    status, answer = post_hook(bot, "/hooks/github", ping, github.signed(ping, event="ping"))
    assert status in (200, 202) and answer["ok"] is True
    assert domain(bot) == after


@pytest.mark.both_backends
def test_the_linked_issue_is_a_link_on_the_card_in_show_lists_and_the_digest(
    bot, slack, fake_slack, github, clock
):
    item_id = create(slack, f'"Rotate the leaked deploy key" --priority P0 --owner {BOB} --deadline +2d')
    shown = json.dumps(run(slack, f"show {item_id}")["blocks"])
    assert "GitHub (being created)" in shown or "GitHub #" in shown
    link = linked(bot, item_id)
    shown = json.dumps(run(slack, f"show {item_id}")["blocks"])
    assert f"<{link.url}|GitHub #{link.number}>" in shown, shown
    # The card in a channel message, redrawn after a change, carries it too.
    answer = run(slack, f"track {item_id} --status in_progress", user="UBOB")
    assert f"<{link.url}|GitHub #{link.number}>" in json.dumps(answer["blocks"])
    # Lists (and the Home tab, built on the same lines) show it on the item's line.
    listed = run(slack, "list all")
    assert f"<{link.url}|GitHub #{link.number}>" in json.dumps(listed.get("blocks") or listed["text"])
    # The owner's Home tab.
    reply = slack.event({"type": "app_home_opened", "user": "UBOB", "channel": "DBOB", "tab": "home"})
    assert reply.status == 200
    home = fake_slack.wait_for(lambda: fake_slack.home("UBOB"), message="the Home tab")
    assert f"<{link.url}|GitHub #{link.number}>" in json.dumps(home["blocks"])
    # The morning digest too.
    from tests.support import INCIDENT_CHANNEL

    assert bot.run_job("digest", at=clock() + timedelta(hours=19)).outbox_ids
    settle(bot)
    [digest] = [p for p in fake_slack.posts(INCIDENT_CHANNEL) if "Remediation Status" in json.dumps(p)]
    assert f"<{link.url}|GitHub #{link.number}>" in json.dumps(digest["blocks"])
    run(slack, f"unlink {item_id}", user="UBOB")
    assert "|GitHub #" not in json.dumps(run(slack, f"show {item_id}")["blocks"])


@pytest.mark.both_backends
def test_status_changes_in_slack_close_and_reopen_the_issue_and_their_echoes_change_nothing(
    bot, slack, fake_slack, github, clock
):
    item_id, link = new_p0(slack, bot)
    settle(bot)

    def step(command, user, expected):
        before = len(github.writes("PATCH"))
        clock.advance(minutes=5)
        answer = run(slack, command, user=user)
        assert ":warning:" not in answer["text"], answer["text"]
        wait_until(lambda: len(github.writes("PATCH")) > before, message=f"the PATCH of {command}")
        settle(bot)
        patches = github.writes("PATCH")[before:]
        assert [p.body for p in patches] == [expected], [p.body for p in patches]
        snap = domain(bot)
        for echo in github.flush():
            assert echo.status in (200, 202) and not echo.answer.get("changed"), echo.answer
        settle(bot)
        assert domain(bot) == snap and len(github.writes("PATCH")) == before + 1

    step(f"track {item_id} --status in_progress", "UBOB", {"state": "open"})  # it stays open
    assert github.issue(REPO, link.number)["state"] == "open"
    step(f"track {item_id} --status completed", "UBOB", {"state": "closed", "state_reason": "completed"})
    assert github.issue(REPO, link.number)["state_reason"] == "completed"
    step(
        f'track {item_id} --status in_progress --note "the key is still in the old image"',
        "UALICE",
        {"state": "open"},
    )
    assert github.issue(REPO, link.number)["state_reason"] == "reopened"
    step(
        f"cancel {item_id} Superseded by the vault migration",
        "UBOB",
        {"state": "closed", "state_reason": "not_planned"},
    )
    issue = github.issue(REPO, link.number)
    assert (issue["state"], issue["state_reason"]) == ("closed", "not_planned")
    assert item(bot, item_id).status == "cancelled"


def test_a_wrong_token_is_reported_once_at_start_and_in_the_health_detail(
    fake_slack, clock, database_url, github, caplog
):
    import logging

    from tests.slack.notification_steps import get

    caplog.set_level(logging.INFO)
    settings = make_settings(
        database_url,
        fake_slack.url,
        github_token="github_pat_this_one_was_revoked",
        github_repository=REPO,
        github_api_url=github.url,
        github_webhook_secret=SECRET,
    )
    with running_bot(settings, clock) as harness:
        status, body = get(harness, "/healthz")
        assert status == 200
        status, body = get(harness, "/healthz?detail=1")
        detail = json.loads(body)["destinations"]["github"]["last_permanent_failure"]["reason"]
        assert "401" in detail and "Bad credentials" in detail and "GITHUB_TOKEN" in detail
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR and "GitHub" in r.getMessage()]
    assert len(errors) == 1
    assert "github_pat_this_one_was_revoked" not in caplog.text
    assert [c.status for c in github.calls] == [401]


@pytest.mark.both_backends
def test_notes_become_comments_only_when_asked(fake_slack, clock, database_url, github):
    from tests.fakes.signing import SlackDriver
    from tests.support import SIGNING_SECRET

    settings = make_settings(
        database_url,
        fake_slack.url,
        github_token=TOKEN,
        github_repository=REPO,
        github_api_url=github.url,
        github_webhook_secret=SECRET,
        tracker_auto_create="P0,P1",
        tracker_sync_notes=True,
    )
    with running_bot(settings, clock) as harness:
        slack = SlackDriver(harness.url, SIGNING_SECRET, fake=fake_slack)
        item_id = create(slack, f'"Pin the base image" --priority P1 --owner {BOB} --deadline +3d')
        link = linked(harness, item_id)
        run(slack, f"note {item_id} Pinned in staging, <@UCAROL> checks prod", user="UBOB")
        wait_until(lambda: github.comments.get((REPO, int(link.number))), message="the comment")
        [comment] = github.comments[(REPO, int(link.number))]
        assert comment["body"].startswith("Note from Bob (Slack): Pinned in staging")
        assert "<@UCAROL>" not in comment["body"]


@pytest.mark.both_backends
def test_two_changes_crossing_settle_on_the_latest(bot, slack, fake_slack, github, clock, caplog):
    import logging

    for user, login in (("UBOB", "bob-gh"), ("UCAROL", "carol-gh"), ("UDAVE", "dave-gh")):
        run(slack, f"whoami github {login}", user=user)
    github.assignable.add("dave-gh")
    item_id, link = new_p0(slack, bot)
    settle(bot)
    # In GitHub someone assigns Dave; before the hook arrives, Carol is made owner in Slack.
    issue = github.issue(REPO, link.number)
    issue.update(assignees=[{"login": "dave-gh"}], assignee={"login": "dave-gh"})
    issue["updated_at"] = (clock() + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    late = github.hook_body("assigned", issue, sender="dave-gh", assignee={"login": "dave-gh"})
    clock.advance(minutes=2)
    run(slack, f"assign {item_id} {CAROL}", user="UALICE")
    caplog.set_level(logging.INFO)
    status, answer = post_hook(bot, "/hooks/github", late, github.signed(late))
    assert status in (200, 202) and answer.get("changed") is not True, answer
    assert item(bot, item_id).owner_id == "UCAROL"
    assert "the latest (Slack's) stands" in caplog.text


POSTMORTEM = (
    "# Five Whys: startup failure\n\nSeverity: P0\n\n## Remediation Plan\n\n"
    "1. **Critical Fix:** Await the WebSocket manager in SMD startup (Owner: @bob)\n"
    "2. **Investigation:** Verify the other startup hooks are awaited - Owner: @carol\n"
)


def test_extract_reads_a_github_file_link_with_the_token_and_refuses_other_links(
    bot, slack, fake_slack, github
):
    from bot.slack.ids import View
    from tests.slack.extraction_steps import confirm, newest_view, preview_rows
    from tests.slack.extraction_steps import items as extracted

    github.add_file(REPO, "main", "postmortems/startup.md", POSTMORTEM.encode())
    link = f"https://github.com/{REPO}/blob/main/postmortems/startup.md"
    reply = slack.command("/remediate", f"extract {link}")
    assert reply.status == 200 and not reply.text.strip(), reply.text
    preview = newest_view(fake_slack, View.EXTRACT_PREVIEW)
    assert len(preview_rows(preview)) == 2
    [read] = [c for c in github.calls if "/contents/" in c.path]
    assert read.path == f"/repos/{REPO}/contents/postmortems/startup.md" and read.query == {"ref": "main"}
    assert read.headers["authorization"] == f"Bearer {TOKEN}" and read.status == 200

    # Created from the preview: P0 items get their issues too (TRACKER_AUTO_CREATE); the source is the link.
    rows = preview_rows(preview)
    confirm(slack, [r.value for r in rows])
    made = extracted(bot)
    assert len(made) == 2 and {i.source_ref for i in made} == {link}
    p0 = [i.id for i in made if i.priority == "P0"]
    assert p0
    for item_id in p0:
        linked(bot, item_id)
    assert sorted(i["title"].split("]")[0][1:] for i in github.created()) == sorted(p0)
    assert all(f"**Source:** {link}" in i["body"] for i in github.created())

    calls = len(github.calls)
    for wrong, needle in (
        (f"https://github.com/{REPO}/blob/main/postmortems/missing.md", "no such file"),
        ("https://example.com/postmortems/startup.md", "only read GitHub file links"),
        ("http://169.254.169.254/latest/meta-data/", "only read GitHub file links"),
        (f"https://github.com/{REPO}/issues/42", "only read GitHub file links"),
    ):
        refused(run(slack, f"extract {wrong}"), needle)
    assert len(github.calls) == calls + 1  # only the GitHub file was asked for


def test_the_issue_links_back_to_the_items_dashboard_page_when_there_is_one(
    fake_slack, clock, database_url, github
):
    from tests.fakes.signing import SlackDriver
    from tests.support import SIGNING_SECRET

    settings = make_settings(
        database_url,
        fake_slack.url,
        github_token=TOKEN,
        github_repository=REPO,
        github_api_url=github.url,
        tracker_auto_create="P0",
        public_url="https://remediate.example.com",
    )
    with running_bot(settings, clock) as harness:
        slack = SlackDriver(harness.url, SIGNING_SECRET, fake=fake_slack)
        item_id = create(slack, f'"Expire old sessions" --priority P0 --owner {BOB} --deadline +1d')
        linked(harness, item_id)
        [issue] = github.created()
        assert f"Item: https://remediate.example.com/dashboard/items/{item_id}" in issue["body"]


def test_a_creation_whose_answer_never_came_is_not_made_twice(bot, slack, fake_slack, github, clock):
    def attempts():
        return sum(r.attempts for r in deliveries(bot, "github"))

    github.delay(10.5)  # longer than the bot waits for an answer: GitHub creates it, the bot never hears
    item_id = create(slack, f'"Rotate the leaked deploy key" --priority P0 --owner {BOB} --deadline +2d')
    wait_until(lambda: attempts() >= 1, timeout=20, message="the timed-out creation")
    github.delay(0)
    wait_until(lambda: github.created(), timeout=5, message="GitHub made it anyway")
    clock.advance(minutes=1)
    link = linked(bot, item_id)
    clock.advance(minutes=10)
    settle(bot)
    [issue] = github.created()
    assert link.number == str(issue["number"])
    assert len(github.writes("POST")) == 1
    assert [c.method for c in github.calls if c.path.endswith("/issues")] == ["POST", "GET"]


def test_a_429_waits_as_told_and_a_refused_token_fails_once_loudly(
    bot, slack, fake_slack, github, clock, caplog
):
    import logging

    from tests.slack.notification_steps import get

    run(slack, "people <@UCAROL|carol> github carol-gh", user="UADMIN")
    refused(run(slack, "people <@UBOB|bob> github bob-gh", user="UCAROL"), "Only admins")
    github.fail_with(429, retry_after=30)
    item_id = create(slack, f'"Rate-limit the login endpoint" --priority P0 --owner {CAROL} --deadline +2d')
    wait_until(  # the bot recorded the 429 (and when to try again)
        lambda: sum(r.attempts for r in deliveries(bot, "github")) >= 1, message="the 429"
    )
    assert [c.status for c in github.calls if c.method == "POST"] == [429]
    clock.advance(seconds=20)
    worker(bot, "github").drain()
    assert not github.created()
    clock.advance(seconds=15)
    link = linked(bot, item_id)
    [issue] = github.created()
    assert [a["login"] for a in issue["assignees"]] == ["carol-gh"] and link.number == str(issue["number"])

    caplog.set_level(logging.ERROR)
    github.fail_with(401)
    run(slack, f"track {item_id} --deadline +5d", user="UCAROL")
    wait_until(
        lambda: [r for r in deliveries(bot, "github") if r.status == "failed"], message="the refused update"
    )
    [failed] = [r for r in deliveries(bot, "github") if r.status == "failed"]
    assert "401" in (failed.last_error or "") and "Bad credentials" in (failed.last_error or "")
    clock.advance(minutes=10)
    worker(bot, "github").drain()
    assert len([r for r in caplog.records if r.levelno >= logging.ERROR and "github" in r.getMessage()]) == 1
    assert TOKEN not in caplog.text
    status, body = get(bot, "/healthz?detail=1")
    assert status == 200
    assert "Bad credentials" in json.loads(body)["destinations"]["github"]["last_permanent_failure"]["reason"]
    # The next change still goes: one refusal does not stop the sync.
    run(slack, f"track {item_id} --priority P1", user="UCAROL")
    wait_until(
        lambda: [p for p in github.writes("PATCH") if "labels" in (p.body or {})], message="the next change"
    )


@pytest.mark.both_backends
def test_a_github_on_another_clock_still_syncs(bot, slack, fake_slack, github, clock):
    from datetime import UTC, datetime

    github.clock = lambda: datetime(2019, 5, 15, 15, 20, 33, tzinfo=UTC)  # years off ours
    for user, login in (("UBOB", "bob-gh"), ("UCAROL", "carol-gh"), ("UDAVE", "dave-gh")):
        run(slack, f"whoami github {login}", user=user)
    github.assignable.add("dave-gh")
    item_id, link = new_p0(slack, bot)
    run(slack, f"track {item_id} --status in_progress", user="UBOB")
    settle(bot)
    [hook] = github.close_issue(REPO, link.number, by="bob-gh")
    assert hook.status == 202 and hook.answer["changed"] is True, hook.answer
    assert item(bot, item_id).status == "completed"
    [hook] = github.reopen_issue(REPO, link.number, by="bob-gh")
    assert item(bot, item_id).status == "in_progress"

    # And an assignment made there reaches the owner.
    hooks = github.assign_issue(REPO, link.number, "dave-gh", by="dave-gh")
    assert hooks[-1].action == "assigned" and hooks[-1].answer["changed"] is True, hooks[-1].answer
    assert item(bot, item_id).owner_id == "UDAVE"
