"""The clock rules through the jobs, the storage filters and the sender: a deadline exactly 24 h after a sweep
is due soon on that sweep everywhere; the sender holds notices for quiet hours, never pages; a new install
catches up nothing from before its first start."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from apscheduler.triggers.date import DateTrigger
from slack_sdk import WebClient
from sqlmodel import col, select

from bot.core.timing.quiet_hours import QuietHours
from bot.jobs.scheduler import build_scheduler
from bot.services import outbox
from bot.services.items import notices as item_messages
from bot.services.items.reports import home_data, status_board
from bot.slack.notifier import Notifier
from storage import queries
from storage.db import make_engine, unit_of_work
from storage.items import get_item
from storage.migrate import upgrade
from storage.models import OutboxMessage, SlackUser
from tests.clockwork import add_item, cache_users, channel_posts, outbox_rows, text_of
from tests.support import FakeClock

SWEEP = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # a Monday, on a 5-minute reminders slot
WEDNESDAY_2030 = datetime(2026, 11, 25, 20, 30, tzinfo=UTC)
NIGHT_IN_BERLIN = datetime(2026, 11, 23, 22, 0, tzinfo=UTC)  # 23:00 there
MORNING_IN_BERLIN = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)  # 08:00 there: quiet hours end


def _digests(fake):
    return [p for p in channel_posts(fake) if p["text"].startswith("P0 Remediation Status")]


def _reports(fake):
    return [p for p in channel_posts(fake) if p["text"].startswith("Weekly Remediation Report")]


def _start(bot, at: datetime) -> set[str]:
    """What a scheduler starting at `at` does at once: build it and run its start-up jobs (catch-ups, the
    first-start record) the way it would, on the test's clock. Returns the start-up jobs' ids."""
    bot.clock.set(at)
    scheduler = build_scheduler(bot.deps)
    ran = set()
    for job in scheduler.get_jobs():
        if isinstance(job.trigger, DateTrigger) and job.id != "warm-up":
            job.func(*job.args)
            ran.add(job.id)
    bot.deliver()
    return ran


# --- due soon: both ends of the window are in it -----------------------------------------------------


@pytest.mark.both_backends
def test_a_deadline_exactly_24_hours_after_a_sweep_is_reminded_on_that_sweep(backend, bot, fake_slack):
    bot.clock.set(SWEEP)
    exact = add_item(bot.deps, priority="P1", deadline=SWEEP + timedelta(hours=24), owner="UBOB")
    after = add_item(
        bot.deps, priority="P1", deadline=SWEEP + timedelta(hours=24, microseconds=1), owner="UCAROL"
    )
    result = bot.run_job("reminders")
    bot.deliver()
    assert "1 due-soon DM(s)" in result.summary
    [dm] = fake_slack.messages("UBOB")
    assert exact in text_of(dm)
    assert fake_slack.messages("UCAROL") == []  # a microsecond later: the next sweep's
    bot.run_job("reminders", at=SWEEP + timedelta(minutes=5))
    bot.deliver()
    [dm] = fake_slack.messages("UCAROL")
    assert after in text_of(dm)


@pytest.mark.both_backends
def test_the_digest_the_status_view_and_the_home_tab_count_the_same_window(backend, bot, fake_slack):
    bot.clock.set(SWEEP)
    exact = add_item(bot.deps, priority="P2", deadline=SWEEP + timedelta(hours=24), owner="UBOB")
    add_item(bot.deps, priority="P2", deadline=SWEEP + timedelta(hours=24, microseconds=1), owner="UBOB")
    bot.run_job("digest")
    bot.deliver()
    [digest] = _digests(fake_slack)
    shown = text_of(digest)
    assert "1 item due within 24 hours" in shown
    at_risk = shown[shown.index("Blocked / at risk") :]
    assert exact in at_risk and "no progress note in 48 h" in at_risk
    assert status_board(bot.deps, tz=UTC, show_overdue=False, show_upcoming=False).due_soon == 1
    home = home_data(bot.deps, user_id="UBOB")
    assert (home.due_soon.total, home.later.total) == (1, 1)
    assert [i.id for i in home.due_soon.items] == [exact]


# --- quiet hours: applied by the sender to every notice ----------------------------------------------


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def test_the_sender_holds_a_notice_until_quiet_hours_end_but_sends_a_page_at_once(engine, fake_slack):
    clock = FakeClock(NIGHT_IN_BERLIN)
    client = WebClient(token=fake_slack.token, base_url=fake_slack.url, retry_handlers=[])
    rule = QuietHours((time(20, 0), time(8, 0)))
    notifier = Notifier(
        engine=engine, client=client, clock=clock, worker_id="w1", channel_rate=1000.0, quiet_hours=rule
    )
    with unit_of_work(engine) as session:
        session.add(SlackUser(id="UBOB", name="bob", real_name="Bob", tz="Europe/Berlin", fetched_at=clock()))
        notice = outbox.send_dm(
            session, now=clock(), user_id="UBOB", text="made you the owner", ref="dm:owner", notice=True
        )
        page = outbox.send_dm(session, now=clock(), user_id="UBOB", text="P0 page")
        stranger = outbox.send_dm(session, now=clock(), user_id="UNEW", text="for someone new", notice=True)
    assert notice is not None and page is not None and stranger is not None

    settled = notifier.settle([notice, page, stranger], timeout=10)
    assert (settled.sent, settled.held, settled.pending) == (1, 2, 0)
    assert [m["text"] for m in fake_slack.messages("UBOB")] == ["P0 page"]
    rows = {r.id: r for r in _rows(engine)}
    assert rows[notice].not_before == MORNING_IN_BERLIN and rows[notice].attempts == 0
    assert rows[stranger].not_before == datetime(
        2026, 11, 24, 8, 0, tzinfo=UTC
    )  # TIMEZONE (UTC) for strangers
    # Held, not leased: whoever queued it can still make it read as it should by the morning.
    with unit_of_work(engine) as session:
        assert outbox.revise_pending(session, ref="dm:owner", text="made you the owner (revised)")

    clock.set(MORNING_IN_BERLIN)
    assert notifier.wait_sent([notice], timeout=10)
    texts = [m["text"] for m in fake_slack.messages("UBOB")]
    assert texts == ["P0 page", "made you the owner (revised)"]
    sent = fake_slack.ok_calls("chat.postMessage")
    assert len(sent) == 2 and all("_notice" not in c.args for c in sent)  # the stranger's is at 08:00 UTC


def _rows(engine) -> list[OutboxMessage]:
    with unit_of_work(engine, readonly=True) as session:
        rows = list(session.scalars(select(OutboxMessage).order_by(col(OutboxMessage.id))))
        session.expunge_all()
    return rows


# --- catch-up at start: never before the first start ----------------------------------------------------


def test_a_fresh_install_on_wednesday_evening_posts_no_digest_nor_report_until_their_next_times(
    bot, fake_slack
):
    started = _start(bot, WEDNESDAY_2030)
    # The morning's digest and Monday's report are far past the 3 h catch-up grace: not even scheduled.
    assert "first-start" in started
    assert not {"digest-catch-up", "weekly-report-catch-up"} & started
    assert _digests(fake_slack) == [] and _reports(fake_slack) == []
    with bot.uow() as session:
        assert queries.first_start(session) == WEDNESDAY_2030

    bot.run_job("digest", at=datetime(2026, 11, 26, 9, 0, tzinfo=UTC))  # Thursday's, on its slot
    bot.deliver()
    assert [d["text"][24:34] for d in _digests(fake_slack)] == ["2026-11-26"]
    bot.run_job("weekly-report", at=datetime(2026, 11, 30, 9, 0, tzinfo=UTC))  # the install's week
    bot.deliver()
    [report] = _reports(fake_slack)
    assert "Week of 2026-11-23" in report["text"]


def test_with_a_long_grace_the_first_start_still_keeps_slots_from_before_it(bot, fake_slack):
    bot.deps.settings = bot.deps.settings.model_copy(update={"catch_up_grace_minutes": 7 * 24 * 60})
    started = _start(bot, WEDNESDAY_2030)
    # The scheduler does see the morning's digest and Monday's report as missed; the first start keeps them.
    assert {"digest-catch-up", "weekly-report-catch-up", "first-start"} <= started
    assert _digests(fake_slack) == [] and _reports(fake_slack) == []


def test_a_restart_four_hours_after_a_missed_digest_does_not_post_it(bot, fake_slack):
    _start(bot, datetime(2026, 11, 23, 8, 0, tzinfo=UTC))
    bot.run_job("digest", at=datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    bot.deliver()
    # Down over Tuesday's 09:00 slot; back at 13:00, past the 3 h grace.
    started = _start(bot, datetime(2026, 11, 24, 13, 0, tzinfo=UTC))
    assert "digest-catch-up" not in started
    assert [d["text"][24:34] for d in _digests(fake_slack)] == ["2026-11-23"]


def test_a_restart_two_hours_after_a_missed_digest_catches_it_up(bot, fake_slack):
    _start(bot, datetime(2026, 11, 23, 8, 0, tzinfo=UTC))  # first started Monday 08:00, before the slots
    bot.run_job("digest", at=datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    # Monday's regular report slot: the week it would report ended before the bot existed.
    skipped = bot.run_job("weekly-report", at=datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    assert "ended before the bot's first start" in skipped.summary and skipped.outbox_ids == []
    bot.deliver()
    # Down over Tuesday's 09:00 slot; back at 11:00.
    _start(bot, datetime(2026, 11, 24, 11, 0, tzinfo=UTC))
    assert [d["text"][24:34] for d in _digests(fake_slack)] == ["2026-11-23", "2026-11-24"]
    assert _reports(fake_slack) == []
    with bot.uow() as session:
        assert queries.first_start(session) == datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # recorded once


def test_a_database_older_than_the_record_dates_the_first_start_from_its_earliest_work(bot):
    long_ago = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
    with bot.uow() as session:
        assert queries.try_claim(session, key="digest:2026-10-05", now=long_ago)
    _start(bot, WEDNESDAY_2030)
    with bot.uow() as session:
        assert queries.first_start(session) == long_ago


def test_an_assignment_notice_in_the_outbox_is_marked_as_a_notice_and_a_p0_one_is_not(bot):
    cache_users(bot.deps, ["UBOB"])
    p1 = add_item(bot.deps, priority="P1", deadline=SWEEP + timedelta(days=3), owner="UBOB")
    p0 = add_item(bot.deps, priority="P0", deadline=SWEEP + timedelta(days=1), owner="UBOB")
    with bot.uow() as session:
        for item_id in (p1, p0):
            item = get_item(session, item_id=item_id)
            assert item is not None
            item_messages.notify(
                session,
                now=SWEEP,
                item=item,
                actor_id="UALICE",
                headline="yours",
                to=["UBOB"],
                render=bot.deps.render.items,
            )
    marked = [
        r.payload.get("_notice", False) for r in outbox_rows(bot.deps) if r.payload.get("channel") == "UBOB"
    ]
    assert marked == [True, False]
