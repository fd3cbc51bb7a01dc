"""Drill: the SMTP server is down while people sign, then comes back.

Two `flask mail work` workers run throughout. While SMTP is down every sign-up must
still be accepted and its e-mail kept in the outbox; once SMTP is back every message
must arrive exactly once (two workers racing must not send one twice), and none may be
given up. Messages tried while SMTP was down wait out their back-off (30 s), so the
drill takes about a minute. `python -m bench.drills.smtp`; DRILL_QUICK=1 for a short form.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter

from bench.drills.common import (
    BIN,
    QUICK,
    Stack,
    Visitor,
    free_port,
    main_of,
    run_clients,
    verdict,
    warm_up,
)


def drill(s: Stack, signups: int, clients: int, wait: float) -> int:
    smtp_port = free_port()  # nothing listens here until the sink starts
    s.setup(MAIL_PORT=str(smtp_port))
    base, _ = s.site()
    warm_up(base)
    for n in (1, 2):  # two workers at once: they must never send one message twice
        s.processes.start([str(BIN / "flask"), "--app", "app", "mail", "work", "--interval", "0.5"],
                          s.env, s.log(f"mail-worker-{n}"))  # fmt: skip
    statuses: Counter = Counter()

    def work(i: int) -> None:
        visitor = Visitor(base)
        for n in range(i, signups, clients):
            statuses[visitor.sign(f"smtp{n}@example.org")] += 1

    run_clients(clients, work)
    problems = []
    if set(statuses) != {303}:
        problems.append(f"sign-ups refused while SMTP was down: {dict(statuses)}")
    time.sleep(1.5)  # let the workers try (and fail) with SMTP down
    outbox = Counter(
        dict(s.query("SELECT status, count(*) FROM outbox GROUP BY status"))  # type: ignore[arg-type]
    )
    tried_while_down = s.query("SELECT count(*) FROM outbox WHERE attempts > 0")[0][0]
    if outbox.get("sent"):
        problems.append(f"{outbox['sent']} messages marked sent while SMTP was down")

    sink, _ = s.smtp_sink(smtp_port)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        left = s.query("SELECT count(*) FROM outbox WHERE status <> 'sent'")[0][0]
        if not left:
            break
        time.sleep(1)
    time.sleep(1.0)  # a duplicate, if any, would arrive now
    delivered: Counter = Counter()
    if sink.exists():
        for line in sink.read_text().splitlines():
            for recipient in json.loads(line)["to"]:
                delivered[recipient.lower()] += 1
    expected = {f"smtp{n}@example.org" for n in range(signups)}
    final = dict(s.query("SELECT status, count(*) FROM outbox GROUP BY status"))
    twice = {a: c for a, c in delivered.items() if c > 1}
    never = expected - set(delivered)
    if twice:
        problems.append(f"{len(twice)} addresses got their message more than once")
    if never:
        problems.append(f"{len(never)} messages never arrived (outbox: {final})")
    figures = {
        "signups": signups,
        "statuses_while_down": dict(statuses),
        "outbox_while_down": dict(outbox),
        "tried_while_down": tried_while_down,
        "delivered": sum(delivered.values()),
        "distinct_recipients": len(delivered),
        "outbox_after": final,
    }
    return verdict("smtp", figures, problems)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--signups", type=int, default=200 if QUICK else 1000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--wait", type=float, default=90, help="seconds to wait for delivery")
    args = parser.parse_args()
    main_of("smtp", lambda s: drill(s, args.signups, args.clients, args.wait))


if __name__ == "__main__":
    main()
