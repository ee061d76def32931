"""Jira both ways, end to end: the real server and database, signed Slack requests and the fake Slack, a fake
Jira Cloud REST API v3 on loopback that checks every call (auth, fields, Atlassian Document Format), web
hooks signed as Jira Cloud signs them, an injected clock."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import pytest

from bot.slack.ids import Action
from storage import trackers as store
from tests.fakes.jira import FakeJira, signed
from tests.slack.incident_steps import press
from tests.slack.item_steps import create, domain_snapshot, events, item, refused, run
from tests.slack.notification_steps import deliveries, get, pending, post_hook, wait_until, worker
from tests.support import make_settings, running_bot

EMAIL, TOKEN, SECRET = "remediate-bot@acme.example", "jira-api-token-0123456789", "jira-webhook-secret-1"
BOB = "<@UBOB|bob>"
CAROL = "<@UCAROL|carol>"


@pytest.fixture
def jira():
    fake = FakeJira(email=EMAIL, api_token=TOKEN, project="OPS")
    yield fake
    fake.close()


@pytest.fixture
def accounts(jira):
    """Jira accounts of people the workspace has (Bob and Carol have the same e-mail in both)."""
    return {
        "bob": jira.add_user("Bob Builder", "bob@acme.example"),
        "carol": jira.add_user("Carol Chen", "Carol@Acme.example"),
        "erin": jira.add_user("Erin Outsider", "erin@elsewhere.example"),
    }


@pytest.fixture
def bot(fake_slack, clock, database_url, jira, accounts, settings_overrides):
    fake_slack.add_user("UBOB", "bob", real_name="Bob Builder", email="bob@acme.example")
    fake_slack.add_user("UCAROL", "carol", real_name="Carol Chen", email="carol@acme.example")
    fake_slack.add_user("UDAVE", "dave", real_name="Dave Nomail")
    values = {
        "jira_base_url": jira.url,
        "jira_email": EMAIL,
        "jira_api_token": TOKEN,
        "jira_project_key": "OPS",
        "jira_webhook_secret": SECRET,
        "tracker_auto_create": "P0",
        **settings_overrides,
    }
    with running_bot(make_settings(database_url, fake_slack.url, **values), clock) as harness:
        yield harness


def hook(bot, sent: tuple[bytes, dict[str, str]]) -> tuple[int, dict[str, Any]]:
    body, headers = sent
    return post_hook(bot, "/hooks/jira", body, headers)


def key_of(bot, item_id: str) -> str:
    """The key of the item's Jira issue, once the creation landed."""

    def number() -> str | None:
        with bot.uow() as session:
            link = store.link_of(session, item_id=item_id)
            return link.number if link is not None else None

    return str(wait_until(number, message=f"the Jira issue of {item_id}"))


def settle(bot) -> None:
    """Everything queued for Jira and Slack is sent (nothing due is left pending)."""
    worker(bot, "jira").drain()
    bot.deliver()
    wait_until(lambda: pending(bot, "jira") == 0 or _none_due(bot), message="the Jira queue to drain")


def advance(bot, **delta: float) -> None:
    """Move the clock once no Jira delivery is being sent: a send in flight when the clock jumps past its
    lease could be taken up again by another worker, which no real minute allows."""

    def idle() -> bool:
        return not any(r.status == "pending" and r.lease_until is not None for r in deliveries(bot, "jira"))

    wait_until(idle, message="no Jira delivery in flight")
    bot.clock.advance(**delta)


def _none_due(bot) -> bool:
    now = bot.clock()
    rows = deliveries(bot, "jira")
    return all(r.status != "pending" or (r.not_before and r.not_before > now) for r in rows)


def dms(fake_slack, user: str) -> list[str]:
    return [p["text"] for p in fake_slack.posts(user)]


def told(bot, fake_slack, user: str, needle: str) -> list[str]:
    """The DMs to `user` that say `needle`, once everything queued for Slack was sent."""

    def all_sent() -> bool:
        bot.deliver()
        return pending(bot, "slack") == 0

    wait_until(all_sent, message="the Slack messages sent")
    return [t for t in dms(fake_slack, user) if needle in t]


def writes(jira: FakeJira) -> list[tuple[str, str, Any]]:
    """The changes the bot made in Jira (answered 2xx), in order."""
    return [
        (r.method, r.path, r.body)
        for r in jira.requests
        if r.method in ("POST", "PUT") and 200 <= r.status < 300 and not r.path.startswith("/search")
    ]


def adf_text(doc: Any) -> str:
    if isinstance(doc, dict):
        return (doc.get("text") or "") + " ".join(adf_text(c) for c in doc.get("content") or [])
    return ""


# --- out: the issue of a P0 item ------------------------------------------------------------------------


@pytest.mark.both_backends
def test_a_p0_item_gets_its_issue_with_title_labels_priority_due_date_and_the_owner_found_by_email(
    bot, slack, fake_slack, jira, accounts, clock
):
    item_id = create(
        slack,
        f'"Restore the checkout after the cache outage" --priority P0 --owner {BOB} --deadline +2d',
        user="UALICE",
    )
    key = key_of(bot, item_id)
    assert key == "OPS-1"
    [created] = jira.answered("POST", "/issue")
    fields = created.body["fields"]
    assert fields["summary"] == f"[{item_id}] Restore the checkout after the cache outage"
    assert fields["project"] == {"key": "OPS"} and fields["issuetype"] == {"name": "Task"}
    assert "remediate" in fields["labels"] and "priority-P0" in fields["labels"]
    assert fields["priority"] == {"name": "Highest"}
    deadline = item(bot, item_id).deadline
    assert fields["duedate"] == deadline.astimezone(bot.deps.settings.tz).date().isoformat()
    assert fields["assignee"] == {"accountId": accounts["bob"]}
    description = fields["description"]
    assert description["type"] == "doc" and description["version"] == 1
    text = adf_text(description)
    assert item_id in text and "P0" in text and "(Slack)" not in text
    # Bob was found by the e-mail of his Slack profile, once.
    [search] = jira.answered("GET", "/user/search")
    assert search.query == {"query": "bob@acme.example"}
    issue = jira.issue(key)["fields"]
    assert issue["assignee"]["accountId"] == accounts["bob"] and issue["status"]["name"] == "To Do"
    assert issue["duedate"] == fields["duedate"] and issue["priority"]["name"] == "Highest"
    with bot.uow() as session:
        link = store.link_of(session, item_id=item_id)
        assert link.url == f"{jira.url}/browse/OPS-1"
        assert store.account_of(session, tracker="jira", user_id="UBOB") == accounts["bob"]
    assert any(e.kind == "tracker" and "OPS-1" in e.summary for e in events(bot, item_id))
    assert not any("Jira account" in t for t in dms(fake_slack, "UBOB"))

    # A P2 item gets none unless asked; every call carried the account's credentials.
    create(slack, '"Tidy the runbook" --priority P2', user="UALICE")
    settle(bot)
    assert len(jira.answered("POST", "/issue")) == 1
    assert all(r.status != 401 for r in jira.requests)


@pytest.mark.parametrize("settings_overrides", [{"public_url": "https://remediate.acme.example"}])
def test_the_issue_links_back_to_the_items_dashboard_page(bot, slack, jira):
    mapped = create(slack, f'"Shed load at the edge" --priority P0 --owner {BOB}', user="UALICE")
    unmapped = create(slack, '"Cap the retries" --priority P0 --owner <@UDAVE|dave>', user="UALICE")
    for item_id in (mapped, unmapped):
        description = jira.issue(key_of(bot, item_id))["fields"]["description"]
        assert f"https://remediate.acme.example/dashboard/items/{item_id}" in adf_text(description)


def test_an_owner_jira_does_not_know_leaves_the_issue_unassigned_naming_them_and_they_are_told_once(
    bot, slack, fake_slack, jira
):
    first = create(slack, '"Page on disk full" --priority P0 --owner <@UDAVE|dave>', user="UALICE")
    second = create(slack, '"Alert on queue depth" --priority P0 --owner <@UDAVE|dave>', user="UALICE")
    for item_id in (first, second):
        key_of(bot, item_id)
    settle(bot)
    for request in jira.answered("POST", "/issue"):
        assert "assignee" not in request.body["fields"]
        assert "Owner: Dave Nomail (Slack)" in adf_text(request.body["fields"]["description"])
    told = [t for t in dms(fake_slack, "UDAVE") if "Jira account" in t]
    assert len(told) == 1 and "/remediate whoami jira" in told[0]


def test_without_permission_to_search_people_the_issue_is_still_created_unassigned(
    bot, slack, fake_slack, jira
):
    jira.browse_users = False
    item_id = create(slack, f'"Cap the connection pool" --priority P0 --owner {BOB}', user="UALICE")
    key = key_of(bot, item_id)
    settle(bot)
    fields = jira.issue(key)["fields"]
    assert fields["assignee"] is None and "Owner: Bob Builder (Slack)" in adf_text(fields["description"])
    assert [r.status for r in jira.requests if r.path == "/user/search"] == [403]
    assert len(told(bot, fake_slack, "UBOB", "Jira account")) == 1


def test_a_refused_description_is_not_retried_for_ever(jira):
    """The fake refuses what Jira refuses: a plain-text description in REST v3, with Jira's error body."""
    from bot.jira.client import Jira

    client = Jira(jira.url, TOKEN, email=EMAIL)
    fields = {"project": {"key": "OPS"}, "summary": "x", "issuetype": {"name": "Task"}, "description": "text"}
    answer = client.request("POST", "/issue", {"fields": fields})
    assert answer.status == 400
    assert answer.data["errorMessages"] == [] and "Atlassian Document" in answer.data["errors"]["description"]
    assert Jira(jira.url, "wrong-token", email=EMAIL).request("GET", "/myself").status == 401
    assert client.request("GET", "/myself").data["emailAddress"] == EMAIL


def test_data_center_takes_a_personal_access_token_plain_text_and_user_names(fake_slack, clock, database_url):
    from tests.conftest import CheckedDriver
    from tests.support import SIGNING_SECRET

    pat = "dc-personal-access-token-42"
    dc = FakeJira(email="unused@acme.example", api_token="unused", pat=pat, project="OPS")
    try:
        bob = dc.add_user("Bob Builder", "bob@acme.example")
        fake_slack.add_user("UBOB", "bob", real_name="Bob Builder", email="bob@acme.example")
        fake_slack.add_user("UCAROL", "carol", real_name="Carol Chen", email="carol@acme.example")
        carol = dc.add_user("Carol Chen", "carol@acme.example")
        values = {"jira_base_url": dc.url, "jira_api_token": pat, "jira_project_key": "OPS"}
        settings = make_settings(database_url, fake_slack.url, tracker_auto_create="P0", **values)
        with running_bot(settings, clock) as harness:
            slack = CheckedDriver(harness.url, SIGNING_SECRET, fake=fake_slack)
            item_id = create(slack, f'"Restore the feed" --priority P0 --owner {BOB}', user="UALICE")
            key = key_of(harness, item_id)
            [created] = dc.answered("POST", "/issue")
            assert created.api == "2"
            fields = created.body["fields"]
            assert isinstance(fields["description"], str) and item_id in fields["description"]
            assert fields["assignee"] == {"name": "bob"}
            assert dc.issue(key)["fields"]["assignee"]["accountId"] == bob
            run(slack, f"assign {item_id} {CAROL}", user="UALICE")
            wait_until(lambda: dc.answered("PUT", f"/issue/{key}/assignee"), message="the assignment")
            assert dc.answered("PUT", f"/issue/{key}/assignee")[0].body == {"name": "carol"}
            assert dc.issue(key)["fields"]["assignee"]["accountId"] == carol
            assert all(r.status != 401 and r.api == "2" for r in dc.requests)
    finally:
        dc.close()


# --- link ------------------------------------------------------------------------------------------------


@pytest.mark.both_backends
def test_link_creates_now_or_links_an_existing_issue_that_exists(bot, slack, fake_slack, jira, accounts):
    asked = create(slack, f'"Rotate the keys" --priority P2 --owner {BOB}', user="UALICE")
    answer = run(slack, f"link {asked} jira", user="UALICE")
    assert "Jira" in answer["text"]
    assert key_of(bot, asked) == "OPS-1"
    assert jira.answered("POST", "/issue")[0].body["fields"]["priority"] == {"name": "Medium"}

    existing = jira.add_issue("Investigate the slow queries")
    by_key = create(slack, '"Index the orders table" --priority P1', user="UALICE")
    before = domain_snapshot(bot)
    refused(run(slack, f"link {by_key} OPS-404", user="UALICE"), "OPS-404")
    assert domain_snapshot(bot) == before, "an issue Jira does not have links nothing"
    answer = run(slack, f"link {by_key} {existing}", user="UALICE")
    assert existing in answer["text"] and "linked" in answer["text"]
    assert key_of(bot, by_key) == existing

    other = jira.add_issue("Add a circuit breaker", status="In Progress")
    by_url = create(slack, '"Break the circuit" --priority P1', user="UALICE")
    run(slack, f"link {by_url} <{jira.url}/browse/{other}>", user="UALICE")
    assert key_of(bot, by_url) == other
    refused(run(slack, f"link {by_url} {existing}", user="UALICE"), "already linked")
    third = create(slack, '"Another" --priority P3', user="UALICE")
    refused(run(slack, f"link {third} {existing}", user="UALICE"), "already linked", by_key)
    settle(bot)
    assert len(jira.answered("POST", "/issue")) == 1, "linking an existing issue creates none"


# --- in: transitions, assignee, due date -----------------------------------------------------------------


@pytest.fixture
def linked(bot, slack, jira, accounts):
    """A P0 item Bob owns and Alice reported, with its issue created in Jira."""
    item_id = create(slack, f'"Fix the retry storm" --priority P0 --owner {BOB}', user="UALICE")
    key = key_of(bot, item_id)
    settle(bot)
    return item_id, key


@pytest.mark.both_backends
def test_done_in_jira_completes_the_item_tells_the_validator_once_and_reopening_returns_it(
    bot, slack, fake_slack, jira, accounts, clock, linked
):
    item_id, key = linked
    run(slack, f"track {item_id} --status in_progress", user="UBOB")
    settle(bot)
    assert jira.status_of(key) == "In Progress"
    before = len(writes(jira))

    clock.advance(hours=3)
    sent = jira.change(key, secret=SECRET, by=accounts["bob"], status="Done", at=clock())
    status, answer = hook(bot, sent)
    assert status == 202 and answer["changed"] is True
    done = item(bot, item_id)
    assert done.status == "completed", "never Validated: that stays four-eyes in Slack"
    ready = told(bot, fake_slack, "UALICE", "ready for validation")
    assert len(ready) == 1 and key in ready[0]
    assert any(f"(from Jira {key})" in e.summary for e in events(bot, item_id))

    # Jira sends the same delivery again (same identifier): nothing more happens.
    assert hook(bot, sent) == (200, {"ok": True, "duplicate": True})
    assert len(told(bot, fake_slack, "UALICE", "ready for validation")) == 1
    settle(bot)
    assert writes(jira)[before:] == [], "the change came from Jira: nothing is sent back"

    clock.advance(hours=1)
    back = jira.change(key, secret=SECRET, by=accounts["bob"], status="In Progress", at=clock())
    status, _ = hook(bot, back)
    assert status == 202
    assert item(bot, item_id).status == "in_progress"
    settle(bot)
    assert writes(jira)[before:] == [] and jira.status_of(key) == "In Progress"

    # Completed again, then moved back to To Do: In Progress again.
    clock.advance(hours=1)
    hook(bot, jira.change(key, secret=SECRET, status="Done", at=clock()))
    assert item(bot, item_id).status == "completed"
    clock.advance(hours=1)
    hook(bot, jira.change(key, secret=SECRET, status="To Do", at=clock()))
    assert item(bot, item_id).status == "in_progress"


def test_wont_do_in_jira_asks_the_owner_and_cancels_only_when_they_say_so(
    bot, slack, fake_slack, jira, accounts, clock, linked
):
    item_id, key = linked
    clock.advance(hours=1)
    declined = {"status": "Done", "resolution": "Won't Do"}
    sent = jira.change(key, secret=SECRET, by=accounts["carol"], at=clock(), **declined)
    assert hook(bot, sent)[0] == 202
    assert item(bot, item_id).status == "identified", "not cancelled silently"
    [question] = told(bot, fake_slack, "UBOB", "not planned")
    dm = next(m for m in fake_slack.messages("UBOB") if m["text"] == question)
    actions = {e["action_id"] for b in dm["blocks"] if b["type"] == "actions" for e in b["elements"]}
    assert {Action.TRACKER_CANCEL.value, Action.TRACKER_KEEP_OPEN.value} <= actions
    press(slack, Action.TRACKER_CANCEL, dm, user="UBOB")
    assert item(bot, item_id).status == "cancelled"
    settle(bot)
    assert jira.status_of(key) == "Done", "already done in Jira: left as it is"
    assert not jira.answered("POST", f"/issue/{key}/transitions")


def test_a_wrong_jira_token_is_reported_once_at_start_and_in_the_health_detail(
    fake_slack, clock, database_url, jira, caplog
):
    settings = make_settings(
        database_url,
        fake_slack.url,
        jira_base_url=jira.url,
        jira_email=EMAIL,
        jira_api_token="revoked-jira-token",
        jira_project_key="OPS",
    )
    with caplog.at_level(logging.INFO), running_bot(settings, clock) as harness:
        status, body = get(harness, "/healthz?detail=1")
        assert status == 200
        reason = json.loads(body)["destinations"]["jira"]["last_permanent_failure"]["reason"]
        assert "401" in reason and "JIRA_API_TOKEN" in reason
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR and "Jira" in r.getMessage()]
    assert len(errors) == 1
    assert "revoked-jira-token" not in caplog.text
    assert [(r.path, r.status) for r in jira.requests] == [("/myself", 401)]


@pytest.mark.both_backends
def test_assignee_and_due_date_changed_in_jira_follow_once_and_unknown_accounts_change_nothing(
    bot, slack, fake_slack, jira, accounts, clock, linked
):
    item_id, key = linked
    run(slack, f"whoami jira {accounts['carol']}", user="UCAROL")
    before = len(writes(jira))

    clock.advance(hours=1)
    status, _ = hook(bot, jira.change(key, secret=SECRET, by=accounts["bob"], assignee=accounts["carol"]))
    assert status == 202
    assert item(bot, item_id).owner_id == "UCAROL"
    assigned = [e for e in events(bot, item_id) if e.kind == "assigned" and f"(from Jira {key})" in e.summary]
    assert len(assigned) == 1
    assert told(bot, fake_slack, "UCAROL", "now the owner")

    # An account nobody in Slack has: the owner stays.
    clock.advance(hours=1)
    status, _ = hook(bot, jira.change(key, secret=SECRET, by=accounts["bob"], assignee=accounts["erin"]))
    assert status in (200, 202)
    assert item(bot, item_id).owner_id == "UCAROL"

    clock.advance(hours=1)
    hook(bot, jira.change(key, secret=SECRET, by=accounts["bob"], duedate="2026-12-01"))
    deadline = item(bot, item_id).deadline.astimezone(bot.deps.settings.tz)
    assert deadline.date().isoformat() == "2026-12-01"
    assert any("Deadline" in e.summary and f"(from Jira {key})" in e.summary for e in events(bot, item_id))
    settle(bot)
    assert writes(jira)[before:] == [], "changes that came from Jira are not sent back"


def test_an_assignee_nobody_mapped_is_found_by_the_e_mail_jira_and_slack_share(
    bot, slack, fake_slack, jira, accounts, clock, linked
):
    item_id, key = linked
    # The hook shows no e-mail (Jira hides it by the person's privacy settings): the bot asks Jira for it.
    jira.users[accounts["carol"]]["emailAddress"] = "carol@acme.example"
    issue = jira.issue(key)
    sent = jira.change(key, secret=SECRET, by=accounts["bob"], assignee=accounts["carol"], at=clock())
    shown = json.loads(sent[0])
    shown["issue"]["fields"]["assignee"].pop("emailAddress")
    status, _ = hook(bot, signed(json.dumps(shown).encode(), SECRET, "700001"))
    assert status == 202
    assert item(bot, item_id).owner_id == "UCAROL"
    assert [r.query for r in jira.answered("GET", "/user")] == [{"accountId": accounts["carol"]}]
    with bot.uow() as session:
        assert store.account_of(session, tracker="jira", user_id="UCAROL") == accounts["carol"]
    assert issue["fields"]["assignee"]["accountId"] == accounts["bob"]

    # Someone whose e-mail no Slack profile has: nobody's owner changes.
    clock.advance(minutes=5)
    hook(bot, jira.change(key, secret=SECRET, by=accounts["bob"], assignee=accounts["erin"], at=clock()))
    assert item(bot, item_id).owner_id == "UCAROL"


@pytest.mark.both_backends
def test_a_reassignment_in_slack_is_one_assignee_put_and_its_echo_changes_nothing(
    bot, slack, fake_slack, jira, accounts, clock, linked
):
    item_id, key = linked
    before = len(writes(jira))
    clock.advance(minutes=30)
    run(slack, f"assign {item_id} {CAROL}", user="UALICE")
    settle(bot)
    new = writes(jira)[before:]
    assert new == [("PUT", f"/issue/{key}/assignee", {"accountId": accounts["carol"]})]
    assert jira.issue(key)["fields"]["assignee"]["accountId"] == accounts["carol"]
    with bot.uow() as session:
        assert store.account_of(session, tracker="jira", user_id="UCAROL") == accounts["carol"]
    assert told(bot, fake_slack, "UCAROL", "owner"), "Carol hears of it in Slack"

    # Jira tells of the assignment the bot made: nothing changes, nobody is told, nothing goes back.
    posts = len(fake_slack.posts())
    snap = domain_snapshot(bot)
    issue = jira.issue(key)
    bob = jira.users[accounts["bob"]]
    echo = jira.webhook(
        key,
        [
            {
                "field": "assignee",
                "fieldtype": "jira",
                "fieldId": "assignee",
                "from": accounts["bob"],
                "fromString": bob["displayName"],
                "to": accounts["carol"],
                "toString": "Carol Chen",
            }
        ],
        secret=SECRET,
        by=jira.bot_account,
        issue=issue,
    )
    status, answer = hook(bot, echo)
    assert status in (200, 202) and not answer.get("changed")
    assert item(bot, item_id).owner_id == "UCAROL"
    settle(bot)
    assert len(fake_slack.posts()) == posts
    assert writes(jira)[before + 1 :] == []
    assert _without_claims(domain_snapshot(bot)) == _without_claims(snap)


def _without_claims(snap: dict[str, Any]) -> dict[str, Any]:
    """A snapshot without the hook claims and the link's sync time (what a hook always leaves)."""
    return {k: v for k, v in snap.items() if k not in ("claim", "tracker_link")}


def test_a_deadline_moved_in_slack_is_one_due_date_put_and_its_echo_changes_nothing(
    bot, slack, fake_slack, jira, accounts, clock, linked
):
    item_id, key = linked
    before = len(writes(jira))
    run(slack, f"track {item_id} --deadline +4d", user="UBOB")
    settle(bot)
    deadline = item(bot, item_id).deadline
    due = deadline.astimezone(bot.deps.settings.tz).date().isoformat()
    assert writes(jira)[before:] == [("PUT", f"/issue/{key}", {"fields": {"duedate": due}})]
    snap = domain_snapshot(bot)
    old = jira.issue(key)["fields"]["duedate"]
    item_entry = {"field": "duedate", "fieldtype": "jira", "fieldId": "duedate", "from": old, "to": due}
    status, answer = hook(bot, jira.webhook(key, [item_entry], secret=SECRET, by=jira.bot_account))
    assert status in (200, 202) and not answer.get("changed")
    assert item(bot, item_id).deadline == deadline, "the deadline keeps its time of day"
    assert _without_claims(domain_snapshot(bot)) == _without_claims(snap)
    settle(bot)
    assert writes(jira)[before + 1 :] == []


def test_status_and_priority_made_in_slack_move_the_issue_through_its_workflow(
    bot, slack, fake_slack, jira, accounts, clock, linked
):
    item_id, key = linked
    before = len(writes(jira))
    run(slack, f"track {item_id} --status in_progress", user="UBOB")
    run(slack, f"track {item_id} --priority P1", user="UBOB")
    run(slack, f'evidence {item_id} commit abc123f "Backs off with jitter"', user="UBOB")
    run(slack, f"track {item_id} --status completed", user="UBOB")
    settle(bot)
    assert item(bot, item_id).status == "completed"
    assert writes(jira)[before:] == [
        ("POST", f"/issue/{key}/transitions", {"transition": {"id": "21"}}),
        ("PUT", f"/issue/{key}", {"fields": {"priority": {"name": "High"}}}),
        ("POST", f"/issue/{key}/transitions", {"transition": {"id": "31"}}),
    ]
    assert jira.status_of(key) == "Done" and jira.issue(key)["fields"]["priority"]["name"] == "High"

    other = create(slack, f'"Drop the legacy endpoint" --priority P0 --owner {BOB}', user="UALICE")
    other_key = key_of(bot, other)
    run(slack, f'cancel {other} "Replaced by the new gateway"', user="UALICE")
    settle(bot)
    assert item(bot, other).status == "cancelled" and jira.status_of(other_key) == "Done"


@pytest.mark.parametrize("settings_overrides", [{"tracker_sync_notes": True}])
def test_notes_go_to_the_issue_as_comments_in_document_format_when_asked(bot, slack, jira, linked):
    item_id, key = linked
    run(slack, f"note {item_id} Rolled the fix out to 10% of hosts", user="UBOB")
    settle(bot)
    [comment] = jira.answered("POST", f"/issue/{key}/comment")
    assert comment.body["body"]["type"] == "doc"
    assert "Rolled the fix out to 10% of hosts" in adf_text(comment.body["body"])
    assert "Bob Builder" in adf_text(comment.body["body"])


def test_notes_stay_in_slack_by_default(bot, slack, jira, linked):
    item_id, key = linked
    run(slack, f"note {item_id} Only for Slack", user="UBOB")
    settle(bot)
    assert not jira.answered("POST", f"/issue/{key}/comment")


@pytest.mark.both_backends
def test_a_jira_outage_of_minutes_then_recovery_delivers_each_change_once_in_order(
    bot, slack, fake_slack, jira, accounts, clock, linked
):
    item_id, key = linked
    run(slack, f"whoami jira {accounts['carol']}", user="UCAROL")
    before = len(writes(jira))
    jira.down(500)
    run(slack, f"track {item_id} --status in_progress", user="UBOB")
    for _ in range(3):
        advance(bot, minutes=1)
        worker(bot, "jira").drain()
    run(slack, f"track {item_id} --deadline +5d", user="UBOB")
    advance(bot, minutes=1)
    worker(bot, "jira").drain()
    run(slack, f"assign {item_id} {CAROL}", user="UBOB")
    failed = [r for r in jira.requests if r.status == 500]
    assert failed and writes(jira)[before:] == []

    # Then rate limited: a 429 with Retry-After is waited out before the next try.
    jira.up()
    jira.fail_with(429, times=1, retry_after=120)
    advance(bot, minutes=10)
    worker(bot, "jira").drain()
    limited = len(jira.requests)
    assert jira.requests[-1].status == 429
    advance(bot, seconds=60)
    worker(bot, "jira").drain()
    assert len(jira.requests) == limited, "Retry-After: 120 is honoured"
    advance(bot, seconds=61)
    settle(bot)
    wait_until(lambda: len(writes(jira)) >= before + 3, message="the three changes")
    advance(bot, minutes=10)
    settle(bot)

    deadline = item(bot, item_id).deadline.astimezone(bot.deps.settings.tz).date().isoformat()
    assert writes(jira)[before:] == [
        ("POST", f"/issue/{key}/transitions", {"transition": {"id": "21"}}),
        ("PUT", f"/issue/{key}", {"fields": {"duedate": deadline}}),
        ("PUT", f"/issue/{key}/assignee", {"accountId": accounts["carol"]}),
    ]
    fields = jira.issue(key)["fields"]
    assert fields["status"]["name"] == "In Progress" and fields["duedate"] == deadline
    assert fields["assignee"]["accountId"] == accounts["carol"]
    assert all(r.status != "failed" for r in deliveries(bot, "jira"))


def test_an_issue_created_while_jira_is_down_is_created_once_when_it_is_back(bot, slack, jira, clock):
    jira.fail_with(500, times=3)
    jira.fail_with(429, times=1, retry_after=90)
    item_id = create(slack, f'"Fail over the database" --priority P0 --owner {BOB}', user="UALICE")
    for _ in range(12):
        advance(bot, minutes=1)
        worker(bot, "jira").drain()
    key = key_of(bot, item_id)
    settle(bot)
    assert len(jira.answered("POST", "/issue")) == 1 and list(jira.issues) == [key]
    assert [r.status for r in jira.requests if r.status >= 400] == [500, 500, 500, 429]


@pytest.mark.both_backends
def test_changes_crossing_each_other_settle_on_the_latest_both_ways(
    bot, slack, fake_slack, jira, accounts, clock, linked, caplog
):
    item_id, key = linked
    fake_slack.add_user("UERIN", "erin", real_name="Erin Outsider")
    run(slack, f"whoami jira {accounts['carol']}", user="UCAROL")
    run(slack, f"whoami jira {accounts['erin']}", user="UERIN")
    before = len(writes(jira))

    # Slack hands it to Carol while Jira is down; a minute later someone in Jira gives it to Erin.
    jira.down(500)
    run(slack, f"assign {item_id} {CAROL}", user="UALICE")
    worker(bot, "jira").drain()
    advance(bot, minutes=1)
    later = jira.change(key, secret=SECRET, by=accounts["bob"], assignee=accounts["erin"], at=clock())
    assert hook(bot, later)[0] == 202
    assert item(bot, item_id).owner_id == "UERIN"
    jira.up()
    advance(bot, minutes=10)
    settle(bot)
    assert writes(jira)[before:] == [], "Jira's later change stands: Slack's earlier one is not sent over it"
    assert jira.issue(key)["fields"]["assignee"]["accountId"] == accounts["erin"]

    # The other way round: Jira's change was made before Slack's, its hook arrives after.
    advance(bot, minutes=5)
    made_in_jira = clock() - timedelta(minutes=2)
    jira.down(500)
    run(slack, f"assign {item_id} {CAROL}", user="UALICE")
    worker(bot, "jira").drain()
    with caplog.at_level(logging.INFO, logger="bot.services.trackers.inbound"):
        stale = jira.change(key, secret=SECRET, by=accounts["bob"], assignee=accounts["bob"], at=made_in_jira)
        status, answer = hook(bot, stale)
    assert status == 200 and "older" in answer["ignored"]
    assert item(bot, item_id).owner_id == "UCAROL"
    assert any("the latest (Slack's) stands" in r.getMessage() for r in caplog.records)
    jira.up()
    advance(bot, minutes=10)
    settle(bot)
    assert writes(jira)[before:] == [("PUT", f"/issue/{key}/assignee", {"accountId": accounts["carol"]})]
    assert jira.issue(key)["fields"]["assignee"]["accountId"] == accounts["carol"]


# --- hooks that change nothing ---------------------------------------------------------------------------


@pytest.mark.both_backends
def test_forged_replayed_unknown_and_unlinked_hooks_change_nothing(
    bot, slack, fake_slack, jira, accounts, clock, linked
):
    item_id, key = linked
    before = domain_snapshot(bot)

    body, headers = jira.change(key, secret="not-the-secret", status="Done", at=clock())
    assert hook(bot, (body, headers))[0] == 401, "signed with another secret"
    good_body, good_headers = signed(body, SECRET, "900001")
    tampered = json.loads(good_body)
    tampered["issue"]["fields"]["duedate"] = "2027-01-01"
    tampered["changelog"]["items"].append({"field": "duedate", "from": None, "to": "2027-01-01"})
    assert hook(bot, (json.dumps(tampered).encode(), good_headers))[0] == 401, "a body changed after signing"
    unsigned = {k: v for k, v in good_headers.items() if k != "X-Hub-Signature"}
    assert hook(bot, (good_body, unsigned))[0] == 401, "no signature"
    bare = good_headers["X-Hub-Signature"].removeprefix("sha256=")
    assert hook(bot, (good_body, {**good_headers, "X-Hub-Signature": bare}))[0] == 401
    assert domain_snapshot(bot) == before
    assert item(bot, item_id).status == "identified"

    # An issue no item is linked to: 200 and ignored.
    stranger = jira.add_issue("Not ours")
    status, answer = hook(bot, jira.change(stranger, secret=SECRET, status="Done", at=clock()))
    assert status == 200 and "ignored" in answer
    # An event the bot does not follow.
    status, answer = hook(bot, jira.webhook(key, [], secret=SECRET, event="jira:issue_created"))
    assert status == 200 and "ignored" in answer
    assert item(bot, item_id).status == "identified"

    # Once unlinked, the issue's hooks are ignored.
    run(slack, f"unlink {item_id}", user="UALICE")
    status, answer = hook(bot, jira.change(key, secret=SECRET, status="Done", at=clock()))
    assert status == 200 and "ignored" in answer
    assert item(bot, item_id).status == "identified"


def test_a_replayed_identifier_is_applied_once_even_with_another_body(bot, jira, accounts, clock, linked):
    item_id, key = linked
    first = jira.change(key, secret=SECRET, duedate="2026-12-20", at=clock())
    assert hook(bot, first)[0] == 202
    replay = jira.change(key, secret=SECRET, duedate="2026-12-24", at=clock())
    body = replay[0]
    same_id = signed(body, SECRET, first[1]["X-Atlassian-Webhook-Identifier"])
    assert hook(bot, same_id) == (200, {"ok": True, "duplicate": True})
    assert item(bot, item_id).deadline.astimezone(bot.deps.settings.tz).date().isoformat() == "2026-12-20"

    # A delivery without an identifier is known by its body: the same body again is a repeat.
    clock.advance(timedelta(minutes=1))
    body, headers = jira.change(key, secret=SECRET, duedate="2026-12-28", at=clock())
    anonymous = {k: v for k, v in headers.items() if k != "X-Atlassian-Webhook-Identifier"}
    assert hook(bot, (body, anonymous))[0] == 202
    assert hook(bot, (body, anonymous)) == (200, {"ok": True, "duplicate": True})
    assert item(bot, item_id).deadline.astimezone(bot.deps.settings.tz).date().isoformat() == "2026-12-28"
