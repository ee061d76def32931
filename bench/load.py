"""The load generator, run in a process of its own (``python -m bench.load``, one JSON spec on stdin).

`concurrency` worker threads each hold one keep-alive connection per target and send signed slash commands.
First every worker sends its share of each target's warm-up requests (which also opens its connections, so
no measured request pays for a TCP handshake); then come the `rounds`, one after the other: in each, all
workers start together and take the round's requests from a shared list until it is empty. Latency runs
from just before signing a request to having read the whole answer; a round's wall time from its start to
its last answer. Prints one JSON line: per target, the latencies, the summed wall time and what came back.
"""

from __future__ import annotations

import json
import sys
import threading
import time
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

    def report(self) -> dict[str, Any]:
        return {
            "latencies_ms": [round(x, 3) for x in self.latencies],
            "elapsed_s": self.elapsed,
            "statuses": {str(k): v for k, v in self.statuses.items()},
            "errors": self.errors[:5],
            "error_count": self.error_count,
            "samples": self.samples,
        }


def run(spec: dict[str, Any]) -> dict[str, Any]:
    targets: dict[str, str] = spec["targets"]
    secret, concurrency = spec["secret"], int(spec["concurrency"])
    command = spec.get("command", "/remediate")
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
    for name, reqs in rounds:
        state["cursor"] = iter(range(len(reqs)))
        state["latencies"] = []
        state["finished"] = 0.0
        started = time.perf_counter()
        barrier.wait()
        barrier.wait()
        results[name].elapsed += max(state["finished"], started) - started
        results[name].latencies.extend(state["latencies"])
    for t in threads:
        t.join()
    return {name: r.report() for name, r in results.items()}


def main() -> None:
    spec = json.loads(sys.stdin.read())
    sys.stdout.write(json.dumps(run(spec)) + "\n")


if __name__ == "__main__":
    main()
