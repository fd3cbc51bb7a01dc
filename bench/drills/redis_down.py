"""Drill: Redis stops while the site is under load, then comes back.

The site runs with REDIS_URL on a private redis-server (never the shared one). Clients
with and without cookies read the counters, the stats and the appeal and sign, while
Redis is killed and, later, started again on the same port. Passes when no request got
a 5xx or no answer at all and every acknowledged sign-up has its row.
`python -m bench.drills.redis_down`; DRILL_QUICK=1 for a short form.
"""

from __future__ import annotations

import argparse
import signal
import threading
import time
from collections import Counter

from bench.drills.common import QUICK, Stack, Visitor, main_of, run_clients, verdict, warm_up

READS = ("/partials/counters", "/api/stats.json", "/appeal", "/")


def drill(s: Stack, seconds: float, clients: int) -> int:
    s.setup()
    redis_url, redis = s.redis()
    port = redis_url.rsplit(":", 1)[1].split("/")[0]
    s.env["REDIS_URL"] = redis_url
    base, _ = s.site()
    warm_up(base, READS)
    least = clients * 4
    stop = threading.Event()
    phase = {"name": "redis up"}
    statuses: dict[str, Counter] = {}
    acknowledged: list[str] = []
    lock = threading.Lock()

    def note(status: int) -> None:
        with lock:
            statuses.setdefault(phase["name"], Counter())[status] += 1

    def work(i: int) -> None:
        visitor = Visitor(base, timeout=60)
        cookie_less = Visitor(base, timeout=60)
        n = 0
        while not stop.is_set():
            n += 1
            if i % 2:
                address = f"redis{i}-{n}@example.org"
                status = visitor.sign(address)
                if status == 303:
                    acknowledged.append(address)
            else:
                cookie_less.cookie = ""
                status = cookie_less.request("GET", READS[n % len(READS)])[0]
            note(status)

    def answered(name: str) -> int:
        with lock:
            return sum(statuses.get(name, Counter()).values())

    def hold(name: str) -> None:
        # A third of the time, and at least `least` answers, in each phase.
        until = time.monotonic() + seconds / 3
        while not stop.is_set() and (time.monotonic() < until or answered(name) < least):
            time.sleep(0.2)

    def conductor() -> None:
        hold("redis up")
        redis.send_signal(signal.SIGKILL)
        redis.wait()
        phase["name"] = "redis down"
        hold("redis down")
        phase["name"] = "redis back"
        s.processes.started.remove(redis)
        s.processes.start(
            ["redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], s.env, s.log("redis-again"),
        )  # fmt: skip
        hold("redis back")
        stop.set()

    threading.Thread(target=conductor, daemon=True).start()
    started = time.perf_counter()
    run_clients(clients, work)
    elapsed = time.perf_counter() - started

    problems = []
    for name, counts in statuses.items():
        bad = {k: v for k, v in counts.items() if k >= 500 or k == 0}
        if bad:
            problems.append(f"{name}: server errors or no answer {bad}")
    if "redis down" not in statuses:
        problems.append("no request was made while Redis was down")
    rows = {r[0] for r in s.query("SELECT email_canonical FROM supporters")}
    missing = [a for a in acknowledged if a not in rows]
    if missing:
        problems.append(f"{len(missing)} acknowledged sign-ups have no row")
    figures = {
        "seconds": round(elapsed, 1),
        "clients": clients,
        "statuses": {k: {str(c): n for c, n in v.items()} for k, v in statuses.items()},
        "acknowledged": len(acknowledged),
    }
    return verdict("redis_down", figures, problems)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=9 if QUICK else 30)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()
    main_of("redis_down", lambda s: drill(s, args.seconds, args.clients))


if __name__ == "__main__":
    main()
