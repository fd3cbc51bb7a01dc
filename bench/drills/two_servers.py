"""Drill: two app servers on one PostgreSQL and one Redis agree on counts and limits.

Needs PostgreSQL (DRILL_DATABASE_URL or BENCH_DATABASE_URL, e.g.
postgresql+psycopg://postgres@127.0.0.1:5432/postgres) and starts a private Redis.
One client alternates its sign-ups between the servers past the sign limit: exactly the
limit must get through in all, not a limit per server or per worker. Signatures
confirmed through one server must show at once (after the caches' second) in both
servers' /api/stats.json, equal to the confirmed rows and the tally.
`python -m bench.drills.two_servers`; DRILL_QUICK=1 for a short form.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import time
import urllib.parse
from collections import Counter

from bench.drills.common import QUICK, TOKEN, Stack, Visitor, main_of, run_clients, verdict, warm_up
from bench.run import BenchError

CONFIRM_LINK = re.compile(r"https?://[^/\s]+(/appeal/confirm/[^\s]+)")


def drill(s: Stack, limit: int, attempts: int, confirms: int) -> int:
    if not (os.environ.get("DRILL_DATABASE_URL") or os.environ.get("BENCH_DATABASE_URL")):
        raise BenchError("two servers share PostgreSQL: set DRILL_DATABASE_URL")
    s.setup(CAMPAIGN_APPEAL_SIGN_RATE_LIMIT=f"{limit} per hour")
    redis_url, _ = s.redis()
    s.env["REDIS_URL"] = redis_url
    first, _ = s.site("site-a")
    second, _ = s.site("site-b")
    warm_up(first)
    warm_up(second)
    problems = []

    # Limits: one client address, alternating between the servers.
    on_a, on_b = Visitor(first), Visitor(second)
    statuses: Counter = Counter()
    for n in range(attempts):
        visitor = on_a if n % 2 == 0 else on_b
        statuses[visitor.sign(f"limit{n}@example.org")] += 1
    accepted = statuses.get(303, 0)
    if accepted != limit or statuses.get(429, 0) != attempts - limit:
        problems.append(f"{accepted} sign-ups got through a limit of {limit}: {dict(statuses)}")

    # Counts: confirm some through server A, read them from both.
    bodies = s.query(
        "SELECT text_body FROM outbox WHERE subject LIKE 'Please confirm your signature%'"
    )
    paths = sorted({m.group(1) for (text,) in bodies if (m := CONFIRM_LINK.search(text))})
    paths = paths[:confirms]

    def confirm(i: int) -> None:
        visitor = Visitor(first)
        for path in paths[i::4]:
            _, _, page = visitor.request("GET", path)
            token = TOKEN.search(page.decode(errors="replace"))
            if token:
                body = urllib.parse.urlencode({"csrf_token": next(g for g in token.groups() if g)})
                visitor.request("POST", path, body)

    run_clients(4, confirm)
    time.sleep(2.5)  # the per-process caches (1 s) have refilled everywhere
    published = [
        json.loads(Visitor(base).request("GET", "/api/stats.json")[2])["signatures"]
        for base in (first, second)
    ]
    confirmed = s.query("SELECT count(*) FROM supporters WHERE confirmed_at IS NOT NULL")[0][0]
    tally = dict(s.query("SELECT key, value FROM tallies")).get("signatures", 0)
    if not (published[0] == published[1] == confirmed == tally == len(paths)):
        problems.append(
            f"counts disagree: {len(paths)} confirmed, rows {confirmed}, tally {tally}, "
            f"server A {published[0]}, server B {published[1]}"
        )
    figures = {
        "limit": limit,
        "attempts": attempts,
        "sign_statuses": dict(statuses),
        "confirmed": confirmed,
        "tally": tally,
        "stats_json_a_b": published,
    }
    return verdict("two_servers", figures, problems)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=10 if QUICK else 20)
    parser.add_argument("--attempts", type=int, default=30 if QUICK else 60)
    parser.add_argument("--confirms", type=int, default=5 if QUICK else 10)
    args = parser.parse_args()
    main_of("two_servers", lambda s: drill(s, args.limit, args.attempts, args.confirms))


if __name__ == "__main__":
    main()
