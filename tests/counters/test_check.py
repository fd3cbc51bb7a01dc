"""`flask counters check` recounts from the rows, reports drift, and repairs it."""

import datetime as dt

import sqlalchemy as sa

from campaign.counters.services import current_counts
from campaign.extensions import db
from campaign.tally import Tally, adjust_tallies, read_tallies
from tests.support.factories import approve, group, sign, signed


def make_rows(app):
    with app.app_context():
        signed(3, at=dt.datetime(2025, 5, 1, 10), region="london")
        signed(1, at=dt.datetime(2025, 5, 2, 10), region=None, country="Chile")
        sign()  # pending: never counted
        approve(group("clp", "wales"))
        db.session.commit()


def test_exact_tallies_pass_the_check(app, runner):
    make_rows(app)
    result = runner.invoke(args=["counters", "check"])
    assert result.exit_code == 0, result.output
    assert "Counters are exact" in result.output


def test_check_reports_drift_and_repair_fixes_it(app, runner):
    make_rows(app)
    with app.app_context():
        expected = read_tallies()
        # Drift of every sort: a lost increment, a double count, a stray key, a lost row.
        adjust_tallies({"signatures": 2, "signatures:region:london": -1, "groups:kind:other": 1})
        db.session.execute(sa.delete(Tally).where(Tally.key == "signatures:day:2025-05-02"))
        db.session.commit()
        assert current_counts().signatures == 6

    result = runner.invoke(args=["counters", "check"])
    assert result.exit_code == 1
    assert "signatures: tally 6, actual 4 (-2)" in result.output
    assert "signatures:region:london: tally 2, actual 3 (+1)" in result.output
    assert "signatures:day:2025-05-02: tally 0, actual 1 (+1)" in result.output
    assert "groups:kind:other: tally 1, actual 0 (-1)" in result.output
    assert "4 tallies drifted" in result.output
    with app.app_context():
        assert read_tallies()["signatures"] == 6  # a check alone changes nothing

    result = runner.invoke(args=["counters", "check", "--repair"])
    assert result.exit_code == 0, result.output
    assert "Repaired 4 tallies." in result.output
    with app.app_context():
        repaired = {k: v for k, v in read_tallies().items() if v}
        assert repaired == {k: v for k, v in expected.items() if v}
        assert current_counts().signatures == 4  # the cache was dropped by the repair

    again = runner.invoke(args=["counters", "check"])
    assert again.exit_code == 0 and "Counters are exact" in again.output
