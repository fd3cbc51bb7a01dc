"""With 100,000 supporters loaded, reading the counters never touches the supporters table."""

import datetime as dt
import re
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from campaign.appeal.models import Supporter
from campaign.appeal.services import recent_public_signers
from campaign.counters.services import actual_tallies, counts_cache
from campaign.extensions import db
from campaign.tally import set_tallies

ROWS = 100_000
REGIONS = ["london", "scotland", "wales", "north-west", None]


def load_supporters(n: int) -> None:
    """Bulk insert `n` confirmed signatures (1 in 100 shown publicly) and their tallies."""
    start = dt.datetime(2025, 1, 1)
    batch = []
    for i in range(n):
        at = start + dt.timedelta(minutes=7 * i)
        region = REGIONS[i % len(REGIONS)]
        batch.append(
            {
                "email": f"s{i}@example.org",
                "email_canonical": f"s{i}@example.org",
                "first_name": f"First{i}",
                "last_name": f"Last{i}",
                "region": region,
                "country": None if region else "Ireland",
                "show_publicly": i % 100 == 0,
                "bulletin_consent": False,
                "referral_code": f"r{i}",
                "created_at": at,
                "signed_at": at,
                "confirmed_at": at,
            }
        )
        if len(batch) == 10_000:
            db.session.execute(Supporter.__table__.insert(), batch)
            batch = []
    if batch:
        db.session.execute(Supporter.__table__.insert(), batch)
    set_tallies(actual_tallies())
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("ANALYZE supporters"))
        db.session.commit()


@contextmanager
def captured_sql():
    """Every SQL statement sent to the database inside the block."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)


@pytest.mark.slow
def test_counter_reads_do_not_scan_supporters_and_the_ticker_uses_its_index(app, client):
    with app.app_context():
        load_supporters(ROWS)
        counts_cache(app).forget()
        with captured_sql() as statements:
            for path in ("/partials/counters", "/api/stats.json"):
                response = client.get(path)
                assert response.status_code == 200
        assert any("tallies" in s for s in statements), statements  # the capture works
        assert not [s for s in statements if re.search(r"\bsupporters\b", s, re.I)]
        body = client.get("/api/stats.json").get_json()
        assert body["signatures"] == ROWS
        assert sum(r["signatures"] for r in body["regions"]) == ROWS

        # The ticker does read supporters, through ix_supporters_public_recent.
        with captured_sql() as statements:
            recent = recent_public_signers(10)
        assert [s.first_name for s in recent][:2] == ["First99900", "First99800"]
        (query,) = statements
        plan = explain(query)
        assert "ix_supporters_public_recent" in plan, plan


def explain(statement: str) -> str:
    """The query plan of a captured statement (its parameters bound to the ticker's)."""
    connection = db.session.connection()
    if db.engine.dialect.name == "postgresql":
        sql = "EXPLAIN " + statement.replace("%(param_1)s", "10").replace("%(limit_1)s", "10")
        sql = re.sub(r"%\((\w+)\)s", "10", sql)
        return "\n".join(row[0] for row in connection.exec_driver_sql(sql))
    sql = "EXPLAIN QUERY PLAN " + statement
    params = (10,) * statement.count("?")
    return "\n".join(str(row) for row in connection.exec_driver_sql(sql, params))
