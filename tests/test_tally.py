"""Running tallies: upserted in the caller's transaction, never negative."""

import pytest
import sqlalchemy as sa

from campaign.extensions import db
from campaign.tally import adjust_tallies, read_tallies


def test_adjust_creates_and_increments(app):
    with app.app_context():
        adjust_tallies({"signatures": 1, "groups": 2})
        adjust_tallies({"signatures": 1, "groups": -1})
        db.session.commit()
        assert read_tallies() == {"signatures": 2, "groups": 1}
        assert read_tallies("sig") == {"signatures": 2}


def test_rollback_discards_adjustment(app):
    with app.app_context():
        adjust_tallies({"signatures": 5})
        db.session.rollback()
        assert read_tallies() == {}


def test_tally_cannot_go_negative(app):
    with app.app_context():
        adjust_tallies({"signatures": 1})
        db.session.commit()
        with pytest.raises(sa.exc.IntegrityError):
            adjust_tallies({"signatures": -2})
            db.session.flush()
        db.session.rollback()
        assert read_tallies() == {"signatures": 1}
