"""Ack latency and throughput: the floor (a bare Bolt app) and the bot, same server, same requests.

Both run in processes of their own, with the fake Slack in a third and the load generator in a fourth.
The bot has its real settings and a fresh SQLite file; every ``track new`` must leave a row behind, which is
counted at the end. Per concurrency both are warmed up, then they take turns (ROUNDS slices each) so that
background load on the machine weighs on both alike; percentiles pool the slices, requests/second is
requests over the summed wall time of the slices.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from bench.common import SIGNING_SECRET, Server, load, percentile, sqlite_database, user_ids

LEVELS = ((1, 500, 200), (16, 2000, 200))  # (concurrency, measured requests, warm-up requests)
QUICK_LEVELS = ((1, 100, 20), (16, 400, 64))
ROUNDS = 4  # floor and bot alternate in this many slices of the measured requests
TITLE = "Bench item"


def _track(tag: str, n: int) -> list[list[str]]:
    users = user_ids()
    out = []
    for i in range(n):
        owner = users[(i * 7 + 3) % len(users)]
        mention = f"<@{owner}|user{owner[1:]}>"  # how Slack sends @name with should_escape
        text = f'track new "{TITLE} {tag}-{i:05d} for payments-api" --priority P2 --owner {mention}'
        out.append([users[i % len(users)], text])
    return out


def _help(tag: str, n: int) -> list[list[str]]:
    users = user_ids()
    return [[users[i % len(users)], "help"] for i in range(n)]


def _count_items(path: str) -> int:
    with sqlite3.connect(path) as conn:
        row = conn.execute(
            "SELECT count(*) FROM remediation_item WHERE title LIKE ?", (TITLE + " %",)
        ).fetchone()
    return int(row[0])


def _count_dms(path: str) -> dict[str, int]:
    """The owners' DMs by outbox status (every `track new` here names an owner other than its typist)."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT status, count(*) FROM outbox WHERE method = 'chat.postMessage' GROUP BY status"
        ).fetchall()
    return {str(status): int(n) for status, n in rows}


def _probe(bot: Server, db_path: str) -> str | None:
    """None when ``track new`` creates an item; otherwise why the measurement uses ``help`` instead."""
    from tests.fakes.signing import SlackDriver

    users = user_ids()
    with SlackDriver(bot.url, SIGNING_SECRET) as driver:
        reply = driver.command("/remediate", _track("probe", 1)[0][1], user=users[0])
    try:
        created = _count_items(db_path)
    except sqlite3.Error as exc:
        created, reply_text = 0, str(exc)
    else:
        reply_text = reply.text
    if reply.status == 200 and created == 1:
        return None
    shown = " ".join(reply_text.split())[:120]
    return f"`/remediate track new` did not create an item (HTTP {reply.status}: {shown})"


def stats(result: dict[str, Any], n: int) -> dict[str, Any]:
    lat = result["latencies_ms"]
    return {
        "requests": n,
        "p50_ms": round(percentile(lat, 50), 2),
        "p99_ms": round(percentile(lat, 99), 2),
        "mean_ms": round(sum(lat) / len(lat), 2) if lat else None,
        "max_ms": round(max(lat), 2) if lat else None,
        "rps": round(n / result["elapsed_s"], 1) if result["elapsed_s"] else None,
        "non_200": n - int(result["statuses"].get("200", 0)),
        "errors": result["error_count"],
        "error_samples": result["errors"][:2],
        "sample_reply": (result["samples"] or [""])[0][:200],
        "drain_s": result.get("drain_s") or [],
    }


def measure(slack_url: str, *, quick: bool = False, log: Callable[[str], None] = print) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with sqlite_database("ack") as db_url:
        db_path = db_url.removeprefix("sqlite:///")
        floor = Server("floor", "floor", slack_url=slack_url)
        bot = Server("bot", "bot-ack", database_url=db_url, slack_url=slack_url)
        try:
            why_not = _probe(bot, db_path)
            make = _help if why_not else _track
            out["command"] = "help" if why_not else "track new"
            out["workload"] = (
                f"/remediate help (not available yet: {why_not})"
                if why_not
                else '/remediate track new "…" --priority P2 --owner @…'
            )
            expected = 0 if why_not else 1
            out["threads"] = bot.info.get("threads")
            targets = {"floor": floor.url, "bot": bot.url}
            for concurrency, n, warm in QUICK_LEVELS if quick else LEVELS:
                tag = f"c{concurrency}"
                warmup = make(tag + "w", warm)
                requests = make(tag, n)
                # Floor and bot take turns, a slice of the requests each, so a change in the machine's
                # background load during the run weighs on both and not on their ratio.
                size = -(-n // ROUNDS)
                rounds = [
                    (name, _relabel(requests[start : start + size], f"{name}-{tag}"))
                    for start in range(0, n, size)
                    for name in targets
                ]
                result = load(
                    targets,
                    rounds,
                    concurrency=concurrency,
                    warmup={name: _relabel(warmup, f"{name}-{tag}") for name in targets},
                    # The bot's owner DMs go out between its slices, not in the floor's.
                    settle={} if why_not else {"bot": bot.url + "/metrics"},
                )
                level: dict[str, Any] = {name: stats(result[name], n) for name in targets}
                for name in targets:
                    log(
                        f"ack {name} c={concurrency}: p50 {level[name]['p50_ms']} ms, "
                        f"p99 {level[name]['p99_ms']} ms, {level[name]['rps']} req/s"
                    )
                if not why_not:
                    expected += n + warm
                f, b = level["floor"], level["bot"]
                level["ratio"] = {
                    "p50": round(b["p50_ms"] / f["p50_ms"], 2),
                    "p99": round(b["p99_ms"] / f["p99_ms"], 2),
                    "rps": round(b["rps"] / f["rps"], 3),
                }
                out[f"c{concurrency}"] = level
        finally:
            bot.stop()
            floor.stop()
        if not why_not:
            found = _count_items(db_path)
            out["rows"] = {"expected": expected, "found": found, "ok": found == expected}
            log(f"ack: {found} items in the database, {expected} expected")
            dms = _count_dms(db_path)
            out["dms"] = {"expected": expected, "by_status": dms, "ok": dms.get("sent", 0) == expected}
            log(f"ack: owner DMs by status {dms}, {expected} expected sent")
    return out


def _relabel(requests: list[list[str]], label: str) -> list[list[str]]:
    """The same commands, with titles unique to this server and level (the floor never stores them)."""
    return [[user, text.replace(f"{TITLE} ", f"{TITLE} {label} ", 1)] for user, text in requests]
