"""Two full replicas on one PostgreSQL database and one fake Slack: commands at both, a week of scheduled
runs from two job runners at once for every slot, and every message exactly once.

The week is the next full week (Monday to Sunday, in the future, so the items created now by commands fall
due and escalate during it). Every slot of every job in the registry is run by two `remediate jobs run NAME
--at SLOT` processes started together, as two schedulers firing at once would: the digest at DIGEST_TIME on
DIGEST_DAYS, the weekly report on Monday, the interval jobs every few hours. Jobs whose module does not
exist yet are left out of the week, and their own checks skip saying so.
"""

from __future__ import annotations

import importlib.util
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Engine, create_engine, select
from sqlmodel import Session

from bot.jobs.registry import JOBS, JobSpec
from bot.slack.ids import View
from storage.models import Alert, Claim, OutboxMessage
from tests.fakes.signing import Reply, SlackDriver
from tests.fakes.slack_api import FakeSlack
from tests.processes import BotProcess, bot_env, free_port
from tests.slack.incident_steps import declare_values, open_declare_modal
from tests.support import INCIDENT_CHANNEL, SIGNING_SECRET, USERS, make_settings, postgres_database

# The module's week starts about a hundred `remediate` processes; on a loaded machine that alone can pass
# the suite's 300 s per-test limit, so this module gets more (a hang still fails, with the processes' logs).
pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(900)]

INTERVAL_STEP = timedelta(hours=8)  # how often the interval jobs (escalations, reminders) run in the week
SETTINGS = {
    "timezone": "UTC",
    "digest_time": "09:00",
    "digest_days": "mon-fri",
    "admin_users": "UADMIN",
    "escalation_l1": "UCAROL",
    "escalation_l2": "UADMIN",
    "escalation_l3": "UADMIN",
    "oncall": "UDAVE",
    "outbox_lease_seconds": "5",
}


def missing_module(spec: JobSpec) -> str | None:
    """Why the job cannot run yet, or None when its module exists."""
    module = spec.target.split(":")[0]
    if importlib.util.find_spec(module) is None:
        return f"{module} does not exist yet: the week ran without the {spec.name} job"
    return None


def next_monday(now: datetime) -> datetime:
    day = (now + timedelta(days=7 - now.weekday())).date()
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def slots(spec: JobSpec, start: datetime, end: datetime) -> list[datetime]:
    """The instants the scheduler would run `spec` at in [start, end): cron jobs exactly, interval jobs
    every INTERVAL_STEP (their real period is minutes; running every one would add nothing but time)."""
    settings = make_settings("sqlite://", "http://127.0.0.1:9/api/", **SETTINGS)
    trigger = spec.trigger(settings)
    if not isinstance(trigger, CronTrigger):
        n = int((end - start) / INTERVAL_STEP)
        return [start + i * INTERVAL_STEP for i in range(n)]
    out = []
    fire = trigger.get_next_fire_time(None, start)
    while fire is not None and fire < end:
        out.append(fire.astimezone(UTC))
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return out


def outbox_rows(engine: Engine) -> list[OutboxMessage]:
    """Every outbox row, oldest first, detached (readable after the session)."""
    with Session(engine) as session:
        rows = list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))  # type: ignore[arg-type]
        session.expunge_all()
        return rows


@dataclass
class JobRun:
    job: str
    at: datetime
    procs: list[BotProcess]
    codes: list[int] = field(default_factory=list)


@dataclass
class Week:
    fake: FakeSlack
    engine: Engine
    start: datetime
    end: datetime
    replies: dict[str, list[Reply]]
    runs: list[JobRun]
    skipped: dict[str, str]
    replica_exits: list[int]

    def rows(self) -> list[OutboxMessage]:
        return outbox_rows(self.engine)

    def require(self, job: str) -> None:
        if job in self.skipped:
            pytest.skip(self.skipped[job])


def _command(driver: SlackDriver, text: str, user: str) -> Reply:
    reply = driver.command("/remediate", text, user=user)
    assert reply.status == 200, reply.text
    return reply


def _drive_both(fake: FakeSlack, a: SlackDriver, b: SlackDriver, start: datetime) -> dict[str, list[Reply]]:
    """Commands at both replicas: help, items of every priority, an incident through its modal."""
    replies: dict[str, list[Reply]] = {"a": [], "b": []}
    replies["a"].append(_command(a, "help", "UALICE"))
    replies["b"].append(_command(b, "help", "UBOB"))
    mid_week = (start + timedelta(days=2, hours=10)).strftime("%Y-%m-%dT%H:%M")
    items = [
        (a, "a", '"Fix the failover" --priority P0 --owner <@UBOB|bob>', "UALICE"),
        (b, "b", f'"Rotate the keys" --priority P1 --owner <@UCAROL|carol> --deadline {mid_week}', "UBOB"),
        (a, "a", '"Add the health alert" --priority P2 --owner <@UDAVE|dave>', "UCAROL"),
        (b, "b", '"Document the runbook" --priority P3', "UDAVE"),
    ]
    for driver, name, args, user in items:
        replies[name].append(_command(driver, f"track new {args}", user))
    replies["a"].append(_command(a, "list", "UBOB"))
    view_id = open_declare_modal(b, fake, user="UBOB")
    submitted = b.view_submission(
        View.INCIDENT_DECLARE.value,
        declare_values(title="Checkout is down", severity="P1", commander="UBOB"),
        user="UBOB",
        view_id=view_id,
    )
    assert submitted.status == 200 and not (submitted.json() or {}).get("errors"), submitted.text
    replies["b"].append(submitted)
    return replies


def _quiet(engine: Engine, timeout: float = 30.0) -> None:
    """Wait until nothing due now is left in the outbox (the replicas' senders have sent it)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            left = conn.execute(
                select(OutboxMessage.id).where(
                    OutboxMessage.status == "pending",
                    OutboxMessage.not_before <= datetime.now(UTC),  # type: ignore[operator]
                )
            ).all()
        if not left:
            return
        time.sleep(0.1)
    raise AssertionError(f"the replicas did not send {len(left)} due message(s) within {timeout}s")


@pytest.fixture(scope="module")
def week(postgres_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Week]:
    root: Path = tmp_path_factory.mktemp("replicas")
    fake = FakeSlack(burst=None).start()
    for uid, (name, tz) in USERS.items():
        fake.add_user(uid, name, real_name=name.title(), tz=tz)
    procs: list[BotProcess] = []
    try:
        with postgres_database(postgres_server) as url:
            env = bot_env(url, fake.url, **SETTINGS)
            replicas = [
                BotProcess(["run"], env, root / name, f"replica-{name}", port=free_port())
                for name in ("a", "b")
            ]
            procs += replicas
            for r in replicas:  # both at once: they migrate the empty database together
                r.start()
            for r in replicas:
                r.wait_ready()
            engine = create_engine(url)
            start = next_monday(datetime.now(UTC))
            end = start + timedelta(days=7)
            a, b = (SlackDriver(r.url, SIGNING_SECRET, fake=fake) for r in replicas)
            replies = _drive_both(fake, a, b, start)
            _quiet(engine)

            skipped = {name: why for name, spec in JOBS.items() if (why := missing_module(spec))}
            plan: dict[datetime, list[str]] = {}
            for name, spec in JOBS.items():
                if name not in skipped:
                    for at in slots(spec, start, end):
                        plan.setdefault(at, []).append(name)
            runs: list[JobRun] = []
            for at in sorted(plan):
                # Every job due at this instant, each from two processes at once: 2 x jobs processes together.
                batch = [
                    JobRun(
                        job,
                        at,
                        [
                            BotProcess(
                                ["jobs", "run", job, "--at", at.isoformat(), "--timeout", "60"],
                                env,
                                root / "jobs",
                                f"{job}-{at:%a-%H%M}-{k}",
                            )
                            for k in (1, 2)
                        ],
                    )
                    for job in plan[at]
                ]
                procs += [p for run in batch for p in run.procs]
                for run in batch:
                    for p in run.procs:
                        p.start()
                for run in batch:
                    run.codes = [p.wait(timeout=120) for p in run.procs]
                runs += batch
            _quiet(engine)
            exits = [r.terminate() for r in replicas]
            yield Week(fake, engine, start, end, replies, runs, skipped, exits)
            engine.dispose()
    finally:
        for p in procs:
            p.stop_quietly()
        fake.stop()


# ---- the replicas -------------------------------------------------------------------------------------


def test_both_replicas_answered_every_command(week: Week) -> None:
    for name in ("a", "b"):
        help_reply = week.replies[name][0].json()
        assert help_reply["response_type"] == "ephemeral"
        assert "/remediate commands:" in help_reply["text"]
    for reply in week.replies["a"][1:] + week.replies["b"][1:]:
        assert reply.status == 200
        text = (reply.json() or {}).get("text", "")
        assert "Something went wrong" not in text and ":warning:" not in text, text


def test_replicas_shut_down_cleanly(week: Week) -> None:
    assert week.replica_exits == [0, 0]


# ---- the week -----------------------------------------------------------------------------------------


def test_every_job_run_exited_cleanly(week: Week) -> None:
    assert week.runs or len(week.skipped) == len(JOBS)
    for run in week.runs:
        for proc, code in zip(run.procs, run.codes, strict=True):
            assert code == 0, f"{proc.name} exited {code}:\n{proc.stderr()[-2000:]}"
            errors = [r for r in proc.log_records() if r["level"] in ("ERROR", "CRITICAL")]
            assert not errors, f"{proc.name} logged errors: {errors}"


def test_every_message_was_sent_exactly_once(week: Week) -> None:
    rows = week.rows()
    assert rows, "nothing was queued at all"
    assert [r for r in rows if r.status == "failed"] == []
    late = [r for r in rows if r.status == "pending" and r.not_before <= week.end]
    assert late == [], f"{len(late)} message(s) due during the week were never sent"

    def sent(method: str) -> list[OutboxMessage]:
        return [r for r in rows if r.status == "sent" and r.method == method]

    queued = Counter(r.payload["text"] for r in sent("chat.postMessage"))
    posted = Counter(c.args.get("text") for c in week.fake.ok_calls("chat.postMessage"))
    assert posted == queued, f"posted twice: {posted - queued}; never posted: {queued - posted}"
    assert len(week.fake.ok_calls("chat.update")) == len(sent("chat.update"))
    assert len(week.fake.ok_calls("files.completeUploadExternal")) == len(sent("files.upload_v2"))


def test_no_message_was_queued_twice(week: Week) -> None:
    """Two runners of one slot queue the same message at the same instant when both do the work."""
    rows = week.rows()
    same = Counter((r.method, r.channel_key, r.payload.get("text"), r.created_at) for r in rows)
    assert [k for k, n in same.items() if n > 1] == []
    refs = Counter(r.ref for r in rows if r.ref)
    assert [k for k, n in refs.items() if n > 1] == []


# ---- each job -----------------------------------------------------------------------------------------


def test_one_digest_per_digest_day(week: Week) -> None:
    week.require("digest")
    expected = [f"digest:{(week.start + timedelta(days=d)).date().isoformat()}" for d in range(7)]
    rows = [r for r in week.rows() if r.ref in expected]  # the replicas may also have posted today's
    assert sorted(r.ref for r in rows if r.ref) == expected[:5]  # Monday to Friday, once each
    assert all(r.status == "sent" and r.payload["channel"] == INCIDENT_CHANNEL for r in rows)
    posted = [c.args["text"] for c in week.fake.ok_calls("chat.postMessage")]
    for r in rows:
        assert posted.count(r.payload["text"]) == 1


def test_one_weekly_report(week: Week) -> None:
    week.require("weekly-report")
    with Session(week.engine) as session:
        claims = session.scalars(
            select(Claim.key).where(Claim.claimed_at >= week.start, Claim.claimed_at < week.end)  # type: ignore[arg-type]
        ).all()
    reports = [k for k in claims if k.startswith("weekly-report:")]
    assert len(reports) == 1, reports
    monday_nine = week.start + timedelta(hours=9)
    uploads = [r for r in week.rows() if r.method == "files.upload_v2" and r.created_at == monday_nine]
    assert len(uploads) <= 1
    assert all(r.status == "sent" for r in uploads)


def test_escalations_fire_once_per_item_and_level(week: Week) -> None:
    week.require("escalations")
    with week.engine.connect() as conn:
        alerts = conn.execute(select(Alert.subject_id, Alert.kind, Alert.level)).all()
    assert alerts, "the P0 item overdue all week never escalated"
    assert len(alerts) == len(set(alerts))
    assert max(level for _, _, level in alerts) >= 2


def test_due_soon_reminders_once_per_item_deadline(week: Week) -> None:
    week.require("reminders")
    with week.engine.connect() as conn:
        keys = [k for (k,) in conn.execute(select(Claim.key)) if k.startswith("due-soon:")]
    assert len(keys) == len(set(keys))
    dms = [
        r
        for r in week.rows()
        if r.payload.get("channel", "").startswith("U") and r.method == "chat.postMessage"
    ]
    texts = Counter((r.payload["channel"], r.payload["text"]) for r in dms)
    assert [k for k, n in texts.items() if n > 1] == []


def test_jobs_not_yet_written_are_reported(week: Week) -> None:
    if week.skipped:
        pytest.skip("; ".join(sorted(week.skipped.values())))


# ---- a process killed in the middle of a job ----------------------------------------------------------


def _pid_of(worker_id: str) -> int:
    return int(worker_id.rsplit("-", 2)[1])  # hostname-pid-random (bot.deps.new_worker_id)


def _lease_holders(engine: Engine) -> Counter[str]:
    """Worker id -> how many queued messages it has leased and not sent yet."""
    with Session(engine) as session:
        return Counter(
            session.scalars(
                select(OutboxMessage.leased_by).where(
                    OutboxMessage.status == "pending",
                    OutboxMessage.leased_by.is_not(None),  # type: ignore[union-attr]
                )
            ).all()
        )


def _kill_the_sender_stuck_on_slack(
    engine: Engine, procs: list[BotProcess], timeout: float = 20.0
) -> BotProcess:
    """Wait until one of `procs` holds leases on queued messages and makes no progress with them (it is
    inside the Slack call the fake is holding), then SIGKILL it. Returns the killed process."""
    import time

    by_pid = {p.pid: p for p in procs}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = _lease_holders(engine)
        time.sleep(0.3)
        after = _lease_holders(engine)
        stuck = [w for w, n in after.items() if _pid_of(w) in by_pid and before.get(w) == n]
        if stuck:
            victim = by_pid[_pid_of(max(stuck, key=lambda w: after[w]))]
            victim.kill()
            return victim
    raise AssertionError("no process got stuck delivering the job's messages")


@pytest.fixture
def two_replicas(
    postgres_url: str, fake_slack: FakeSlack, tmp_path: Path
) -> Iterator[tuple[list[BotProcess], dict[str, str]]]:
    env = bot_env(postgres_url, fake_slack.url, **{**SETTINGS, "outbox_lease_seconds": "3"})
    replicas = [
        BotProcess(["run", "--no-scheduler"], env, tmp_path / n, f"replica-{n}", port=free_port())
        for n in "ab"
    ]
    try:
        for r in replicas:
            r.start()
        for r in replicas:
            r.wait_ready()
        yield replicas, env
    finally:
        for r in replicas:
            r.stop_quietly()


def test_sigkill_a_replica_mid_delivery_the_survivor_sends_the_rest_once(
    two_replicas: tuple[list[BotProcess], dict[str, str]], postgres_url: str, fake_slack: FakeSlack
) -> None:
    from bot.services import outbox
    from storage import queries
    from storage.db import make_engine, unit_of_work

    replicas, _env = two_replicas
    engine = make_engine(postgres_url)
    # Slack hangs on the first message and then fails it, as it does during an incident of its own.
    fake_slack.fail("chat.postMessage", status=500, delay=4)
    now = datetime.now(UTC)
    texts = [f"escalation {i:02d}" for i in range(20)]
    with unit_of_work(engine) as session:  # what a job commits: its claim and its messages, together
        assert queries.try_claim(session, key="test-job:period-1", now=now)
        for i, text in enumerate(texts):
            outbox.post_message(session, now=now, channel=f"C{i % 10:03d}", text=text)
    victim = _kill_the_sender_stuck_on_slack(engine, replicas)
    survivor = next(r for r in replicas if r is not victim)
    try:
        _quiet(engine, timeout=30)
        posted = Counter(c.args["text"] for c in fake_slack.ok_calls("chat.postMessage"))
        assert posted == Counter(texts), (
            f"duplicates: {posted - Counter(texts)}; lost: {Counter(texts) - posted}"
        )
        with Session(engine) as session:
            assert set(session.scalars(select(OutboxMessage.status)).all()) == {"sent"}
        assert survivor.proc is not None and survivor.proc.poll() is None
        assert survivor.terminate() == 0
    finally:
        engine.dispose()


def test_sigkill_a_job_runner_mid_job_the_others_finish_it_once(
    two_replicas: tuple[list[BotProcess], dict[str, str]],
    postgres_url: str,
    fake_slack: FakeSlack,
    tmp_path: Path,
) -> None:
    if why := missing_module(JOBS["escalations"]):
        pytest.skip(why)
    replicas, env = two_replicas
    engine = create_engine(postgres_url)
    driver = SlackDriver(replicas[0].url, SIGNING_SECRET, fake=fake_slack)
    long_ago = (datetime.now(UTC) - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    for n, owner in enumerate(("<@UBOB|bob>", "<@UCAROL|carol>", "<@UDAVE|dave>")):
        reply = _command(
            driver,
            f'track new "Overdue fix {n}" --priority P0 --owner {owner} --deadline {long_ago} --force',
            "UALICE",
        )
        assert "Created" in reply.json()["text"], reply.text
    _quiet(engine)
    before = {m: len(fake_slack.ok_calls(m)) for m in ("chat.postMessage", "chat.update")}
    with Session(engine) as session:
        queued_before = len(session.scalars(select(OutboxMessage.id)).all())

    fake_slack.fail("chat.postMessage", status=500, delay=4)
    runner = BotProcess(["jobs", "run", "escalations"], env, tmp_path / "jobs", "escalations-1").start()
    try:
        victim = _kill_the_sender_stuck_on_slack(engine, [runner, *replicas])
        # Whoever is left (and a second run of the job, as the next scheduler tick would be) finishes it.
        again = BotProcess(["jobs", "run", "escalations"], env, tmp_path / "jobs", "escalations-2").start()
        assert again.wait(timeout=120) == 0, again.stderr()
        _quiet(engine, timeout=30)
    finally:
        runner.stop_quietly()
    rows = outbox_rows(engine)
    job_rows = rows[queued_before:]
    assert job_rows, f"the escalation job queued nothing (killed: {victim.name})"
    assert {r.status for r in job_rows} == {"sent"}
    queued = Counter(r.payload["text"] for r in rows if r.method == "chat.postMessage")
    posted = Counter(c.args["text"] for c in fake_slack.ok_calls("chat.postMessage"))
    assert posted == queued, f"duplicates: {posted - queued}; lost: {queued - posted}"
    assert len(fake_slack.ok_calls("chat.update")) - before["chat.update"] == len(
        [r for r in job_rows if r.method == "chat.update"]
    )
    with Session(engine) as session:
        alerts = session.execute(select(Alert.subject_id, Alert.kind, Alert.level)).all()
    assert alerts and len(alerts) == len(set(alerts))
    engine.dispose()
