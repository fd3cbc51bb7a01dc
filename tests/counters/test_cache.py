"""With REDIS_URL set, every process refills its counts from one shared snapshot."""

import uuid

import pytest
import redis
import sqlalchemy as sa

from campaign import create_app
from campaign.counters.services import current_counts
from campaign.extensions import db
from campaign.tally import Tally, adjust_tallies
from tests.support.factories import signed


@pytest.fixture
def process(app, tmp_path):
    """Another app on the same database and Redis key: what a second process would see."""
    made = []

    def make():
        other = create_app(
            {k: app.config[k] for k in ("SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "REDIS_URL")}
            | {
                "TESTING": True,
                "COUNTERS_REDIS_KEY": app.config["COUNTERS_REDIS_KEY"],
                "COUNTERS_CACHE_SECONDS": 60,
            },
            instance_path=str(tmp_path / f"instance-{len(made)}"),
        )
        made.append(other)
        return other

    yield make
    for other in made:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


def test_processes_share_one_snapshot_and_a_commit_anywhere_refreshes_it(app, redis_url, process):
    key = f"test:counters:{uuid.uuid4().hex}"
    app.config.update(REDIS_URL=redis_url, COUNTERS_REDIS_KEY=key, COUNTERS_CACHE_SECONDS=60)
    client = redis.Redis.from_url(redis_url)
    try:
        with app.app_context():
            signed(2)
            db.session.commit()
            assert current_counts().signatures == 2
            assert client.exists(key) and 0 < client.pttl(key) <= 60_000
            # A change behind every cache's back: only the database knows.
            db.session.execute(sa.update(Tally).where(Tally.key == "signatures").values(value=40))
            db.session.commit()

        second = process()
        with second.app_context():
            assert current_counts().signatures == 2  # from the shared snapshot, not the table

        with app.app_context():
            adjust_tallies({"signatures": 1})
            db.session.commit()  # a tally change drops the shared snapshot...
            assert not client.exists(key)

        third = process()
        with third.app_context():
            assert current_counts().signatures == 41  # ...so the next process reads the truth
        with second.test_client() as web:
            assert web.get("/api/stats.json").status_code == 200
    finally:
        client.delete(key)


def test_redis_down_falls_back_to_the_tallies(app, client):
    app.config.update(REDIS_URL="redis://127.0.0.1:1/0", COUNTERS_REDIS_KEY="unused")
    with app.app_context():
        signed(3)
        db.session.commit()
    response = client.get("/api/stats.json")
    assert response.status_code == 200
    assert response.get_json()["signatures"] == 3
