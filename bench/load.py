"""The load generator, run in a process of its own (``python -m bench.load``, one JSON spec on stdin).

`concurrency` worker threads each hold one keep-alive connection per target and send signed slash commands.
First every worker sends its share of each target's warm-up requests (which also opens its connections, so
no measured request pays for a TCP handshake); then come the `rounds`, one after the other: in each, all
workers start together and take the round's requests from a shared list until it is empty. Latency runs
from just before signing a request to having read the whole answer; a round's wall time from its start to
its last answer. Prints one JSON line: per target, the latencies, the summed wall time and what came back.

A target with a `settle` URL (its /metrics) is waited for after its warm-up and after each of its rounds,
until ``remediate_outbox_depth`` is 0: the DMs its requests queued are all delivered before the next round
starts, so no server's background work lands in another's measured time. How long that took is reported
(``drain_s``, one figure per round) and counted in nobody's requests/second.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
import urllib.request
from collections import Counter
from typing import Any

from tests.fakes.signing import SlackDriver


class _Target:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.elapsed = 0.0
        self.statuses: Counter[int] = Counter()
        self.errors: list[str] = []
        self.error_count = 0
        self.samples: list[str] = []
        self.drain_s: list[float] = []

    def report(self) -> dict[str, Any]:
        return {
            "latencies_ms": [round(x, 3) for x in self.latencies],
            "elapsed_s": self.elapsed,
            "statuses": {str(k): v for k, v in self.statuses.items()},
            "errors": self.errors[:5],
            "error_count": self.error_count,
            "samples": self.samples,
            "drain_s": [round(x, 3) for x in self.drain_s],
        }


_DEPTH = re.compile(r"^remediate_outbox_depth\s+([0-9.e+]+)\s*$", re.M)


def settle(metrics_url: str, *, timeout: float = 300.0) -> float:
    """Seconds until the server at `metrics_url` reports an empty outbox (polled every 20 ms)."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        with urllib.request.urlopen(metrics_url, timeout=10) as resp:
            found = _DEPTH.search(resp.read().decode())
        if found is not None and float(found.group(1)) == 0:
            return time.perf_counter() - started
        time.sleep(0.02)
    raise TimeoutError(f"{metrics_url}: the outbox did not empty within {timeout:.0f} s")


def run(spec: dict[str, Any]) -> dict[str, Any]:
    targets: dict[str, str] = spec["targets"]
    secret, concurrency = spec["secret"], int(spec["concurrency"])
    command = spec.get("command", "/remediate")
    settle_urls: dict[str, str] = spec.get("settle", {})
    warmup: dict[str, list[list[str]]] = spec.get("warmup", {})
    rounds: list[tuple[str, list[list[str]]]] = [(name, reqs) for name, reqs in spec["rounds"]]

    lock = threading.Lock()
    results = {name: _Target() for name in targets}
    barrier = threading.Barrier(concurrency + 1)
    state: dict[str, Any] = {"cursor": iter(()), "finished": 0.0, "latencies": []}

    def send(driver: SlackDriver, target: _Target, user: str, text: str) -> Any:
        try:
            return driver.command(command, text, user=user)
        except Exception as exc:
            with lock:
                target.error_count += 1
                target.errors.append(f"{type(exc).__name__}: {exc}")
            return None

    def worker(n: int) -> None:
        drivers = {name: SlackDriver(url, secret, timeout=60) for name, url in targets.items()}
        try:
            try:
                for name, reqs in warmup.items():
                    for user, text in reqs[n::concurrency]:
                        send(drivers[name], results[name], user, text)
            finally:
                barrier.wait()  # a worker whose warm-up failed still lets the others start
            for name, reqs in rounds:
                barrier.wait()
                target, driver = results[name], drivers[name]
                while True:
                    with lock:
                        i = next(state["cursor"], None)
                    if i is None:
                        break
                    user, text = reqs[i]
                    t0 = time.perf_counter()
                    reply = send(driver, target, user, text)
                    took = (time.perf_counter() - t0) * 1000
                    with lock:
                        state["finished"] = max(state["finished"], time.perf_counter())
                        if reply is None:
                            continue
                        state["latencies"].append(took)
                        target.statuses[reply.status] += 1
                        if len(target.samples) < 2:
                            target.samples.append(reply.text[:300])
                barrier.wait()
        finally:
            for driver in drivers.values():
                driver.close()

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(concurrency)]
    for t in threads:
        t.start()
    barrier.wait()  # warm-up done
    for name in warmup:
        if name in settle_urls:
            settle(settle_urls[name])
    for name, reqs in rounds:
        state["cursor"] = iter(range(len(reqs)))
        state["latencies"] = []
        state["finished"] = 0.0
        started = time.perf_counter()
        barrier.wait()
        barrier.wait()
        results[name].elapsed += max(state["finished"], started) - started
        results[name].latencies.extend(state["latencies"])
        if name in settle_urls:  # the workers wait at the next round's barrier meanwhile
            results[name].drain_s.append(settle(settle_urls[name]))
    for t in threads:
        t.join()
    return {name: r.report() for name, r in results.items()}


def main() -> None:
    spec = json.loads(sys.stdin.read())
    sys.stdout.write(json.dumps(run(spec)) + "\n")


if __name__ == "__main__":
    main()
