"""Drill: gunicorn workers killed with SIGKILL while people sign.

Clients sign with fresh addresses while a worker is killed every KILL_EVERY seconds.
A request cut off by a kill may fail (the client saw no answer: it may sign again); what
must never happen is an acknowledged sign-up (303) without its row, or a row without its
confirmation e-mail queued. `python -m bench.drills.kill`; DRILL_QUICK=1 for a short form.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import threading
from collections import Counter

from bench.drills.common import QUICK, Stack, Visitor, main_of, run_clients, verdict, warm_up

KILL_EVERY = 3.0  # a worker takes a second or more of CPU to come back


def workers_of(master: int) -> list[int]:
    """The pids whose parent is `master` (gunicorn's workers)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master:
                found.append(int(entry))
    return found


def drill(s: Stack, seconds: float, clients: int) -> int:
    s.setup()
    base, master = s.site()
    warm_up(base)
    stop = threading.Event()
    acknowledged: list[str] = []
    statuses: Counter = Counter()
    kills: list[int] = []

    def killer() -> None:
        rng = random.Random(12)
        while not stop.wait(KILL_EVERY):
            pids = workers_of(master.pid)
            if pids:
                victim = rng.choice(pids)
                try:
                    os.kill(victim, signal.SIGKILL)
                    kills.append(victim)
                except ProcessLookupError:
                    pass

    def work(i: int) -> None:
        visitor = Visitor(base, timeout=15)
        n = 0
        while not stop.is_set():
            n += 1
            address = f"kill{i}-{n}@example.org"
            try:
                status = visitor.sign(address)
            except Exception:  # noqa: BLE001 - the form itself was cut off: open it again
                visitor.token = ""
                statuses["form lost"] += 1
                continue
            statuses[status] += 1
            if status == 303:
                acknowledged.append(address)

    threading.Thread(target=killer, daemon=True).start()
    timer = threading.Timer(seconds, stop.set)
    timer.start()
    run_clients(clients, work)
    timer.cancel()
    stop.set()

    rows = {r[0] for r in s.query("SELECT email_canonical FROM supporters")}
    mailed = {r[0].lower() for r in s.query("SELECT recipient FROM outbox")}
    missing = [a for a in acknowledged if a not in rows]
    unmailed = sorted(rows - mailed)
    problems = []
    if missing:
        problems.append(f"{len(missing)} acknowledged sign-ups have no row, e.g. {missing[:3]}")
    if unmailed:
        problems.append(f"{len(unmailed)} rows have no confirmation queued, e.g. {unmailed[:3]}")
    if not kills or not acknowledged:
        problems.append(f"the drill did not run: {len(kills)} kills, {len(acknowledged)} sign-ups")
    figures = {
        "seconds": seconds,
        "clients": clients,
        "workers_killed": len(kills),
        "acknowledged": len(acknowledged),
        "rows": len(rows),
        "statuses": {str(k): v for k, v in statuses.items()},
    }
    return verdict("kill", figures, problems)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=15 if QUICK else 40)
    parser.add_argument("--clients", type=int, default=16 if QUICK else 32)
    args = parser.parse_args()
    main_of("kill", lambda s: drill(s, args.seconds, args.clients))


if __name__ == "__main__":
    main()
