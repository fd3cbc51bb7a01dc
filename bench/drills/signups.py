"""Drill: 10,000 sign-ups by 64 concurrent clients, 20 % of them repeating an address.

Passes when no request got a 5xx or no answer, the table holds exactly the distinct
addresses, and after a share of them confirm (some twice, at once) the signature tally,
the confirmed rows and /api/stats.json all agree. `python -m bench.drills.signups`;
DRILL_QUICK=1 (or --signups/--clients) for a short form.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
import urllib.parse
from collections import Counter

from bench.drills.common import (
    QUICK,
    TOKEN,
    Stack,
    Visitor,
    main_of,
    run_clients,
    verdict,
    warm_up,
)

CONFIRM_LINK = re.compile(r"https?://[^/\s]+(/appeal/confirm/[^\s]+)")


def addresses(total: int, repeat_share: float, seed: int = 16) -> tuple[list[str], set[str]]:
    """`total` sign-up addresses, `repeat_share` of them repeats (some in another case)."""
    rng = random.Random(seed)
    distinct = [f"drill{n}@example.org" for n in range(round(total * (1 - repeat_share)))]
    repeats = [rng.choice(distinct) for _ in range(total - len(distinct))]
    # A repeat typed in capitals is the same person: the canonical address decides.
    repeats = [a.upper() if i % 3 == 0 else a for i, a in enumerate(repeats)]
    sequence = distinct + repeats
    rng.shuffle(sequence)
    return sequence, set(distinct)


def confirm_all(base: str, paths: list[str], clients: int) -> Counter:
    """Confirm each link through the site's form, some twice at once; statuses seen."""
    statuses: Counter = Counter()

    def work(i: int) -> None:
        visitor = Visitor(base)
        for path in paths[i::clients]:
            status, _, page = visitor.request("GET", path)
            statuses[status] += 1
            token = TOKEN.search(page.decode(errors="replace"))
            if not token:
                continue
            body = urllib.parse.urlencode({"csrf_token": next(g for g in token.groups() if g)})
            statuses[visitor.request("POST", path, body)[0]] += 1

    # Every link is in the list twice, in different clients' shares: double clicks racing.
    run_clients(clients, work)
    return statuses


def drill(s: Stack, signups: int, clients: int, confirm_share: float) -> int:
    s.setup()
    base, _ = s.site()
    warm_up(base)
    sequence, distinct = addresses(signups, 0.2)
    statuses: Counter = Counter()
    started = time.perf_counter()

    def work(i: int) -> None:
        visitor = Visitor(base)
        for address in sequence[i::clients]:
            statuses[visitor.sign(address)] += 1

    run_clients(clients, work)
    seconds = time.perf_counter() - started

    problems = []
    failed = {k: v for k, v in statuses.items() if k != 303}
    if failed:
        problems.append(f"answers other than 303: {failed}")
    stored = {row[0] for row in s.query("SELECT email_canonical FROM supporters")}
    rows = s.query("SELECT count(*) FROM supporters")[0][0]
    if stored != distinct or rows != len(distinct):
        problems.append(
            f"{rows} rows for {len(distinct)} distinct addresses "
            f"({len(distinct - stored)} missing, {len(stored - distinct)} unexpected)"
        )

    # Confirm a share of the signatures through their e-mailed links, each link twice.
    bodies = s.query(
        "SELECT recipient, text_body FROM outbox "
        "WHERE subject LIKE 'Please confirm your signature%'"
    )
    links: dict[str, str] = {}
    for recipient, text in bodies:
        match = CONFIRM_LINK.search(text)
        if match:
            links.setdefault(recipient.lower(), match.group(1))
    chosen = sorted(links.values())[: round(len(distinct) * confirm_share)]
    paths = chosen + chosen[::-1]
    confirm_statuses = confirm_all(base, paths, min(clients, 32))
    bad_confirms = {k: v for k, v in confirm_statuses.items() if k not in (200, 303)}
    if bad_confirms:
        problems.append(f"confirmation answers other than 200/303: {bad_confirms}")

    confirmed = s.query(
        "SELECT count(*) FROM supporters WHERE confirmed_at IS NOT NULL AND signed_at IS NOT NULL"
    )[0][0]
    tally = dict(s.query("SELECT key, value FROM tallies")).get("signatures", 0)
    time.sleep(2.5)  # every worker's counts cache (1 s) and crowd cache (1 s) refilled
    _, _, body = Visitor(base).request("GET", "/api/stats.json")
    published = json.loads(body)["signatures"]
    if not (confirmed == tally == published == len(chosen)):
        problems.append(
            f"counts disagree: {len(chosen)} confirmed by link, {confirmed} rows, "
            f"tally {tally}, /api/stats.json {published}"
        )
    figures = {
        "signups": signups,
        "clients": clients,
        "distinct": len(distinct),
        "rows": rows,
        "seconds": round(seconds, 1),
        "signups_per_s": round(signups / seconds, 1),
        "statuses": dict(statuses),
        "confirmed": confirmed,
        "tally": tally,
        "stats_json": published,
    }
    return verdict("signups", figures, problems)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--signups", type=int, default=400 if QUICK else 10_000)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--confirm-share", type=float, default=0.1)
    args = parser.parse_args()
    main_of("signups", lambda s: drill(s, args.signups, args.clients, args.confirm_share))


if __name__ == "__main__":
    main()
