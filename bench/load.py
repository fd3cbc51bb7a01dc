"""Bulk-load supporters straight into the database (not through HTTP) for the bench.

`python bench/load.py TOTAL` tops the supporters table up to TOTAL rows (SQLite through
executemany, PostgreSQL through COPY) and then sets the tallies to the true counts, as
`flask counters check --repair` would. Prints one line: rows added, seconds, rows/s.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Iterator

import sqlalchemy as sa

from campaign import create_app
from campaign.appeal.models import Supporter
from campaign.counters.services import repair_drift
from campaign.extensions import db
from campaign.regions import region_for_postcode

POSTCODES = ["SW1A 1AA", "M1 1AE", "LS1 4AP", "B1 1BB", "G1 1XQ", "CF10 1EP", "BT1 5GS",
             "NE1 7RU", "BS1 4DJ", "L1 8JQ", "EH1 1YZ", "NG1 5FS", "S1 2HE", "PL1 2AA"]  # fmt: skip
CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
CHUNK = 20_000
COLUMNS = ["email", "email_canonical", "first_name", "last_name", "postcode", "region",
           "show_publicly", "bulletin_consent", "referral_code", "created_at", "signed_at",
           "confirmed_at"]  # fmt: skip


def _code(n: int) -> str:
    # Deterministic and unique per row number (a base-31 numeral of eight digits).
    chars = []
    for _ in range(8):
        n, digit = divmod(n, len(CODE_ALPHABET))
        chars.append(CODE_ALPHABET[digit])
    return "".join(chars)


def rows(start: int, stop: int) -> Iterator[tuple]:
    """Supporter rows number start..stop-1: 90 % confirmed, a third showing their name."""
    regions = [(p, region_for_postcode(p)) for p in POSTCODES]
    base = dt.datetime(2026, 9, 1)
    for n in range(start, stop):
        postcode, region = regions[n % len(regions)]
        created = base + dt.timedelta(seconds=n * 7 % (90 * 86400))
        address = f"bulk{n}@example.org"
        yield (
            address, address, f"First{n % 997}", f"Last{n % 991}", postcode, region,
            n % 3 == 0, n % 2 == 0, _code(n), created, created,
            created + dt.timedelta(minutes=5) if n % 10 else None,
        )  # fmt: skip


def load(total: int) -> int:
    """Top the table up to `total` rows; the number added."""
    have = db.session.scalar(sa.select(sa.func.count()).select_from(Supporter)) or 0
    db.session.commit()
    if have >= total:
        return 0
    engine = db.engine
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "postgresql":
            with cursor.copy(f"COPY supporters ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for row in rows(have, total):
                    copy.write_row(row)
        else:
            statement = (
                f"INSERT INTO supporters ({', '.join(COLUMNS)}) "
                f"VALUES ({', '.join('?' for _ in COLUMNS)})"
            )
            batch: list[tuple] = []
            for row in rows(have, total):
                batch.append(tuple(v.isoformat(" ") if isinstance(v, dt.datetime) else v
                                   for v in row))  # fmt: skip
                if len(batch) == CHUNK:
                    cursor.executemany(statement, batch)
                    batch.clear()
            cursor.executemany(statement, batch)
        raw.commit()
    finally:
        raw.close()
    repair_drift()
    db.session.commit()
    return total - have


def main() -> None:
    total = int(sys.argv[1])
    app = create_app()
    with app.app_context():
        started = time.perf_counter()
        added = load(total)
        seconds = time.perf_counter() - started
    print(f"loaded {added} rows in {seconds:.1f} s ({added / max(seconds, 1e-9):,.0f} rows/s)")


if __name__ == "__main__":
    main()
