"""E-mail end to end: the real server and database, the fake Slack, a real SMTP server on loopback (aiosmtpd)
that receives and parses every message, and an injected clock."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime, timedelta

import pytest

from bot.email.sender import message_id
from bot.services.incidents.clocks import sweep_incident_escalations
from bot.slack.ids import Action
from storage import queries
from tests.clockwork import add_item, channel_posts, text_of
from tests.fakes.smtp import SmtpServer, self_signed_certificate
from tests.slack.incident_steps import declare, press, wait_card
from tests.slack.notification_steps import attempts, bot_with, deliveries, outage, pending, wait_until, worker
from tests.support import INCIDENT_CHANNEL, make_settings

FROM = "Remediate <remediate@example.com>"
MANAGER = "em@example.com"
CTO = "cto@example.com"
OPS = "ops@example.com"
MONDAY_9 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def smtp():
    server = SmtpServer()
    yield server
    server.stop()


@pytest.fixture
def bot(fake_slack, clock, database_url, smtp):
    settings = make_settings(
        database_url,
        fake_slack.url,
        **smtp.settings(),
        email_from=FROM,
        escalation_l1="UDAVE",
        escalation_l2="UBOB",
        escalation_l3="S0EXECS",
        oncall="UCAROL",
        incident_escalation_l3="UDAVE",
        escalation_l2_emails=MANAGER,
        escalation_l3_emails=f"{CTO}, {MANAGER}",
        incident_emails=f"P0={CTO},{OPS};P1={OPS}",
        weekly_report_emails=f"{CTO},{MANAGER}",
        digest_emails=OPS,
    )
    with bot_with(settings, clock) as harness:
        with harness.uow() as session:  # the owner's name as Slack gave it
            queries.put_cached_user(
                session,
                values={
                    "id": "UALICE",
                    "name": "alice",
                    "real_name": "Alice Owner",
                    "tz": "UTC",
                    "fetched_at": clock(),
                },
            )
        yield harness


def _sweep(bot, **advance):
    if advance:
        bot.clock.advance(**advance)
    bot.run_job("escalations")
    bot.deliver()
    worker(bot, "email").drain()


def _parts(msg):
    plain = msg.get_body(preferencelist=("plain",)).get_content()
    html = msg.get_body(preferencelist=("html",)).get_content()
    return plain, html


@pytest.mark.both_backends
def test_each_escalation_level_reaches_its_recipients_once_with_the_facts(bot, fake_slack, smtp, clock):
    now = clock()
    item_id = add_item(
        bot.deps,
        priority="P0",
        deadline=now - timedelta(hours=5),
        owner="UALICE",
        title="Rotate leaked keys",
        mrr=48000,
    )
    _sweep(bot)  # Level 1 (4 h): Slack only
    assert smtp.messages == []
    _sweep(bot, hours=3)  # 8 h overdue: Level 2
    wait_until(lambda: smtp.to(MANAGER), message="the Level 2 e-mail")
    for _ in range(3):
        _sweep(bot, minutes=5)
    assert len(smtp.messages) == 1 and smtp.to(CTO) == []
    _sweep(bot, hours=16)  # 24 h overdue: Level 3
    wait_until(lambda: smtp.to(CTO), message="the Level 3 e-mail")
    for _ in range(3):
        _sweep(bot, minutes=5)
    worker(bot, "email").drain()

    assert sorted(m["To"] for m in smtp.messages) == [CTO, MANAGER, MANAGER]  # each once, by level
    [level3] = smtp.to(CTO)
    assert level3["From"] == FROM and "Level 3" in level3["Subject"] and item_id in level3["Subject"]
    assert level3["Auto-Submitted"] == "auto-generated"
    assert level3.get_content_type() == "multipart/alternative"
    plain, html = _parts(level3)
    for fact in (
        item_id,
        "Rotate leaked keys",
        "P0",
        "Alice Owner",
        "Overdue by",
        "1d",
        "Level",
        "$48,000 MRR at risk",
    ):
        assert fact in plain and fact in html, fact
    assert (
        "https://slack.com/app_redirect?channel=" in plain and 'href="https://slack.com/app_redirect' in html
    )
    assert "<@" not in plain and "<@" not in html  # names, not Slack mentions

    # The Message-ID comes from the delivery's idempotency key: a resend after a crash is the same message.
    [row] = [r for r in deliveries(bot, "email") if r.payload["to"] == CTO]
    assert level3["Message-ID"] == message_id(row.dedupe_key, FROM)
    ids = [m["Message-ID"] for m in smtp.messages]
    assert len(set(ids)) == len(ids)
    assert all(r.status == "sent" for r in deliveries(bot, "email"))
    # Slack got its escalations as before.
    assert any("Level 3" in text_of(p) for p in channel_posts(fake_slack))


def test_a_declared_incident_mails_its_severitys_list_and_its_level_3_escalation_the_l3_list(
    bot, slack, fake_slack, smtp, clock
):
    inc = declare(slack, fake_slack, bot, severity="P0", title="Checkout <b>down</b>")
    wait_until(lambda: len(smtp.messages) == 2, message="the declaration e-mails")
    assert sorted(m["To"] for m in smtp.messages) == [CTO, OPS]
    [notice] = smtp.to(OPS)
    assert inc.id in notice["Subject"] and "P0" in notice["Subject"]
    plain, html = _parts(notice)
    assert "All API calls fail" in plain and "1200" in plain and "Checkout <b>down</b>" in plain
    assert "Checkout &lt;b&gt;down&lt;/b&gt;" in html and "<b>down</b>" not in html  # escaped, not markup

    minor = declare(slack, fake_slack, bot, severity="P2", title="Search is slow")
    start = clock()
    for minutes in (5, 15, 30):
        clock.set(start + timedelta(minutes=minutes))
        assert bot.bot.notifier.wait_sent(sweep_incident_escalations(bot.deps, clock()), timeout=10)
    wait_until(lambda: len(smtp.to(CTO)) == 2, message="the Level 3 e-mail")
    worker(bot, "email").drain()
    level3 = [m for m in smtp.to(CTO) if "Level 3" in m["Subject"]]
    assert len(level3) == 1 and inc.id in level3[0]["Subject"]
    plain, _ = _parts(level3[0])
    assert "without acknowledgement" in plain and "30m" in plain
    level2 = [m for m in smtp.messages if "Level 2" in m["Subject"]]
    assert [m["To"] for m in level2] == [MANAGER]
    assert not any(minor.id in m["Subject"] for m in smtp.messages)  # P2: no list, no escalation yet


def test_an_acknowledged_incident_still_unresolved_at_level_3_mails_the_l3_list_once_saying_so(
    bot, slack, fake_slack, smtp, clock
):
    inc = declare(slack, fake_slack, bot, severity="P0", title="Checkout is down")
    start = clock()
    wait_until(lambda: len(smtp.messages) == 2, message="the declaration e-mails")
    clock.set(start + timedelta(minutes=3))
    press(slack, Action.INCIDENT_ACK, wait_card(fake_slack, inc.id), user="UCAROL")
    for minutes in (15, 30, 30, 45):  # Levels 2 and 3 fire while it is unresolved, acknowledged or not
        clock.set(start + timedelta(minutes=minutes))
        assert bot.bot.notifier.wait_sent(sweep_incident_escalations(bot.deps, clock()), timeout=10)
    wait_until(lambda: [m for m in smtp.to(CTO) if "Level 3" in m["Subject"]], message="the Level 3 e-mail")
    worker(bot, "email").drain()
    level3 = [m for m in smtp.messages if "Level 3" in m["Subject"]]
    assert sorted(m["To"] for m in level3) == [CTO, MANAGER]  # ESCALATION_L3_EMAILS, each once
    plain, html = _parts(level3[0])
    assert "unresolved" in level3[0]["Subject"] and "not acknowledged" not in level3[0]["Subject"]
    assert "without being resolved" in plain and "without acknowledgement" not in plain
    for fact in (inc.id, "Checkout is down", "P0", "All API calls fail", "1200", "30m"):
        assert fact in plain and fact in html, fact
    assert start.strftime("%Y-%m-%d") in plain and "Acknowledged" in plain
    assert [m["To"] for m in smtp.messages if "Level 2" in m["Subject"]] == [MANAGER]


@pytest.mark.both_backends
def test_the_weekly_report_arrives_by_e_mail_with_its_chart_inline_and_the_digest_too(bot, fake_slack, smtp):
    add_item(
        bot.deps,
        priority="P1",
        deadline=MONDAY_9 + timedelta(days=2),
        title="Rotate keys",
        owner="UALICE",
    )
    bot.run_job("weekly-report", at=MONDAY_9)
    bot.deliver()
    wait_until(lambda: len(smtp.messages) == 2, message="the report e-mails")
    report_post = channel_posts(fake_slack)[0]
    [mail] = smtp.to(CTO)
    assert "Weekly remediation report" in mail["Subject"] and "2026-11-23" in mail["Subject"]
    assert mail.get_content_type() == "multipart/alternative"
    plain, html = _parts(mail)
    related = next(p for p in mail.walk() if p.get_content_type() == "multipart/related")
    [image] = [p for p in related.iter_parts() if p.get_content_type() == "image/png"]
    assert image.get_content().startswith(b"\x89PNG")
    cid = image["Content-ID"].strip("<>")
    assert f'src="cid:{cid}"' in html
    assert not re.search(r'<img[^>]+src="https?:', html)  # nothing remote
    # The same content as in Slack: its headings and figures, names instead of mentions.
    slack_text = text_of(report_post)
    for line in ("Weekly Remediation Report — Week of 2026-11-23", "Executive Summary", "Rotate keys"):
        assert line in slack_text and line in plain and line in html, line
    assert "Next Week Focus" in plain and "<@" not in html

    # Runs again the same week: no second report, no second e-mail.
    bot.run_job("weekly-report", at=MONDAY_9 + timedelta(hours=2))
    bot.deliver()
    worker(bot, "email").drain()
    assert len(smtp.messages) == 2

    bot.run_job("digest", at=MONDAY_9)
    bot.deliver()
    wait_until(lambda: smtp.to(OPS), message="the digest e-mail")
    [digest] = smtp.to(OPS)
    plain, html = _parts(digest)
    assert "digest" in digest["Subject"].lower() and "Rotate keys" in plain
    assert not any(p.get_content_type().startswith("image/") for p in digest.walk())


def test_smtp_down_for_minutes_then_back_loses_nothing_repeats_nothing_and_slack_goes_on(
    bot, fake_slack, smtp, clock
):
    item_id = add_item(bot.deps, priority="P0", deadline=clock() - timedelta(hours=25), owner="UALICE")
    smtp.stop()  # connection refused, as when the mail server is down
    bot.run_job("escalations")
    bot.deliver()  # Slack posts its three levels at once
    assert len([p for p in channel_posts(fake_slack) if item_id in text_of(p)]) >= 1
    wait_until(lambda: attempts(bot, "email") >= 1, message="a first attempt")
    outage(bot, "email", minutes=5)
    posts_during = len(fake_slack.messages(INCIDENT_CHANNEL))
    add_item(bot.deps, priority="P0", deadline=clock() - timedelta(hours=5), owner="UALICE")
    bot.run_job("escalations")
    bot.deliver()
    assert len(fake_slack.messages(INCIDENT_CHANNEL)) > posts_during  # Slack is not held up by the mail
    assert smtp.messages == [] and pending(bot, "email") == 3  # L2 to the manager; L3 to the CTO and manager

    smtp.start()
    clock.advance(minutes=7)
    wait_until(lambda: len(smtp.messages) == 3, message="every e-mail once the server is back")
    worker(bot, "email").drain()
    assert sorted(m["To"] for m in smtp.messages) == [CTO, MANAGER, MANAGER]
    assert all(r.status == "sent" for r in deliveries(bot, "email"))


def test_temporary_refusals_are_retried_and_a_permanent_one_fails_with_the_reason_kept(bot, smtp, clock):
    smtp.fail_with(451, times=2)  # greylisting
    add_item(bot.deps, priority="P0", deadline=clock() - timedelta(hours=9), owner="UALICE")
    bot.run_job("escalations")
    wait_until(lambda: attempts(bot, "email") >= 1, message="a first attempt")
    outage(bot, "email", minutes=1)
    clock.advance(minutes=1)
    wait_until(lambda: smtp.to(MANAGER), message="the e-mail after the 451s")
    assert len(smtp.refused) == 2

    smtp.fail_with(550)
    add_item(bot.deps, priority="P0", deadline=clock() - timedelta(hours=9), owner="UALICE", title="Second")
    bot.run_job("escalations")
    wait_until(lambda: [r for r in deliveries(bot, "email") if r.status == "failed"], message="the failure")
    [failed] = [r for r in deliveries(bot, "email") if r.status == "failed"]
    assert "550" in failed.last_error and "No such user" in failed.last_error
    clock.advance(minutes=30)
    worker(bot, "email").drain()
    assert len(smtp.to(MANAGER)) == 1  # the refused one is not sent again


@pytest.mark.parametrize("security", ["starttls", "tls"])
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # aiosmtpd, on implicit TLS
def test_mail_goes_over_starttls_or_tls_logged_in_and_only_to_a_server_whose_certificate_checks_out(
    fake_slack, clock, database_url, tmp_path, monkeypatch, security
):
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a certificate")
    cert, key = self_signed_certificate(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    stranger, _ = self_signed_certificate(other)
    login = ("remediate@example.com", "app-password-of-the-bot-42")
    server = SmtpServer(security=security, certfile=cert, keyfile=key, login=login)
    settings = make_settings(
        database_url,
        fake_slack.url,
        **server.settings(),
        email_from=FROM,
        escalation_l1="UDAVE",
        escalation_l2="UBOB",
        escalation_l2_emails=MANAGER,
    )
    try:
        # First the server's certificate is not one the bot trusts: nothing is sent, the password included.
        monkeypatch.setenv("SSL_CERT_FILE", str(stranger))
        with bot_with(settings, clock) as bot:
            add_item(bot.deps, priority="P0", deadline=clock() - timedelta(hours=9), owner="UALICE")
            bot.run_job("escalations")
            wait_until(lambda: attempts(bot, "email") >= 1, message="a first attempt")
            outage(bot, "email", minutes=2)
            assert server.messages == [] and server.logins == [] and pending(bot, "email") == 1
            [row] = deliveries(bot, "email")
            assert "certificate" in (row.last_error or "").lower()
            assert login[1] not in (row.last_error or "")

            # The certificate trusted (as the system's CA store would): the same e-mail, once, over TLS.
            monkeypatch.setenv("SSL_CERT_FILE", str(cert))
            clock.advance(minutes=6)
            wait_until(lambda: server.to(MANAGER), message="the e-mail over TLS")
            worker(bot, "email").drain()
            assert len(server.messages) == 1 and all(r.status == "sent" for r in deliveries(bot, "email"))
            assert server.sessions == [{"tls": True, "login": login[0]}]
            assert server.logins == [(login[0], True)]
            assert "Level 2" in server.messages[0]["Subject"]
    finally:
        server.stop()
