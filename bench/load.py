"""The load generator, run in a process of its own (``python -m bench.load``, one JSON spec on stdin).

`concurrency` worker threads each hold one keep-alive connection and send signed slash commands, taken in
turn from a shared list, until the list is empty; each first sends its share of the warm-up requests, then
all start the measured ones together. Latency is from just before signing a request to having read the
whole answer. Prints one JSON line: the latencies, the wall time of the measured part, and what came back.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import Counter
from typing import Any

from tests.fakes.signing import SlackDriver


def run(spec: dict[str, Any]) -> dict[str, Any]:
    url, secret, concurrency = spec["url"], spec["secret"], int(spec["concurrency"])
    command = spec.get("command", "/remediate")
    warmup: list[list[str]] = spec.get("warmup", [])
    requests: list[list[str]] = spec["requests"]
    expect: str | None = spec.get("expect")

    lock = threading.Lock()
    cursor = iter(range(len(requests)))
    latencies: list[float] = [0.0] * len(requests)
    statuses: Counter[int] = Counter()
    matched = 0
    errors: list[str] = []
    samples: list[str] = []
    barrier = threading.Barrier(concurrency + 1)
    finished = [0.0]

    def send(driver: SlackDriver, user: str, text: str) -> Any:
        try:
            return driver.command(command, text, user=user)
        except Exception as exc:
            with lock:
                errors.append(f"{type(exc).__name__}: {exc}")
            return None

    def worker(n: int) -> None:
        nonlocal matched
        driver = SlackDriver(url, secret, timeout=60)
        try:
            for user, text in warmup[n::concurrency]:
                send(driver, user, text)
        finally:
            barrier.wait()  # a worker whose warm-up failed still lets the others start
        try:
            while True:
                with lock:
                    i = next(cursor, None)
                if i is None:
                    break
                user, text = requests[i]
                t0 = time.perf_counter()
                reply = send(driver, user, text)
                if reply is None:
                    latencies[i] = float("nan")
                    continue
                latencies[i] = (time.perf_counter() - t0) * 1000
                with lock:
                    statuses[reply.status] += 1
                    if expect is None or expect in reply.text:
                        matched += 1
                    if len(samples) < 2:
                        samples.append(reply.text[:300])
        finally:
            driver.close()
            with lock:
                finished[0] = max(finished[0], time.perf_counter())

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(concurrency)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = finished[0] - started
    return {
        "latencies_ms": [round(x, 3) for x in latencies],
        "elapsed_s": elapsed,
        "statuses": {str(k): v for k, v in statuses.items()},
        "matched": matched,
        "errors": errors[:5],
        "error_count": len(errors),
        "samples": samples,
    }


def main() -> None:
    spec = json.loads(sys.stdin.read())
    sys.stdout.write(json.dumps(run(spec)) + "\n")


if __name__ == "__main__":
    main()
