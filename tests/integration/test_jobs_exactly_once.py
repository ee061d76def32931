"""Two replicas running the same job at the same moment: every alert fires once, every period posts once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.jobs.registry import get_job
from bot.jobs.scheduler import run_job
from bot.runtime import build_deps
from storage.models import Alert, Claim, OutboxMessage
from tests.clockwork import add_item

pytestmark = pytest.mark.both_backends


def _race(deps_list, name, now):
    barrier = threading.Barrier(len(deps_list))
    results, errors = [], []

    def run(deps):
        barrier.wait()
        try:
            results.append(run_job(deps, get_job(name), now))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(d,)) for d in deps_list]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    return results


@pytest.fixture
def replicas(bot):
    others = [build_deps(bot.deps.settings, bot.clock) for _ in range(2)]
    yield [bot.deps, *others]
    for deps in others:
        deps.engine.dispose()


def _count(deps, model):
    with deps.uow(readonly=True) as session:
        return len(session.scalars(select(model)).all())


def test_concurrent_escalation_sweeps_fire_each_level_once(backend, bot, replicas):
    now = bot.clock()
    for n in range(20):
        add_item(bot.deps, priority="P0", deadline=now - timedelta(hours=9, minutes=n))
    results = _race(replicas, "escalations", now)
    assert _count(bot.deps, Alert) == 40  # levels 1 and 2 of twenty items
    queued = sum(len(r.outbox_ids) for r in results)
    assert queued == _count(bot.deps, OutboxMessage)
    assert queued == 2 + 1  # one grouped post per level and one DM for the one owner


def test_concurrent_digests_and_reports_post_once(backend, bot, replicas):
    monday_9 = bot.clock().replace(hour=9, minute=0)
    digests = _race(replicas, "digest", monday_9)
    reports = _race(replicas, "weekly-report", monday_9)
    assert sorted(len(r.outbox_ids) for r in digests) == [0, 0, 1]
    assert sorted(len(r.outbox_ids) for r in reports) == [0, 0, 2]
    assert _count(bot.deps, Claim) == 2
