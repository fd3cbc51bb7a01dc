"""The live counts follow every change that makes a signature or a group count or stop."""

import datetime as dt

from campaign.counters.services import current_counts
from campaign.extensions import db
from campaign.tally import adjust_tallies
from tests.support.factories import approve, confirm, erase, group, sign, signed, withdraw


def kind_count(counts, kind):
    return next(k for k in counts.kinds if k.kind == kind)


def area(counts, slug):
    return next(a for a in counts.areas if a.area == slug)


def test_only_confirmed_signatures_count_and_erasure_uncounts(app):
    with app.app_context():
        pending = sign()
        db.session.commit()
        assert current_counts().signatures == 0

        confirm(pending)
        db.session.commit()
        assert current_counts().signatures == 1

        erase(pending)
        db.session.commit()
        assert current_counts().signatures == 0
        assert area(current_counts(), "london").signatures == 0


def test_approved_groups_count_by_kind_and_withdrawal_uncounts(app):
    with app.app_context():
        branches = [approve(group("momentum-branch")) for _ in range(4)]
        approve(group("trade-union", region="national"))
        group("clp")  # waiting for review: not counted
        db.session.commit()
        counts = current_counts()
        assert counts.groups == 5
        assert kind_count(counts, "momentum-branch").text == "4 Momentum branches"
        assert kind_count(counts, "trade-union").text == "1 trade union body"
        assert kind_count(counts, "clp").count == 0
        assert area(counts, "national").groups == 1

        withdraw(branches[0])
        db.session.commit()
        counts = current_counts()
        assert counts.groups == 4
        assert kind_count(counts, "momentum-branch").text == "3 Momentum branches"


def test_region_and_day_aggregates(app):
    day1 = dt.datetime(2025, 3, 1, 9, 30)
    day2 = dt.datetime(2025, 3, 3, 23, 59)
    with app.app_context():
        signed(3, at=day1, region="london")
        signed(2, at=day2, region="scotland")
        signed(1, at=day2, region=None, country="France")
        db.session.commit()
        counts = current_counts()
        assert counts.signatures == 6
        assert area(counts, "london").signatures == 3
        assert area(counts, "scotland").signatures == 2
        assert area(counts, "outside-uk").signatures == 1
        assert area(counts, "wales").signatures == 0
        assert [(d.day.isoformat(), d.signatures) for d in counts.days] == [
            ("2025-03-01", 3),
            ("2025-03-03", 3),
        ]
        assert sum(a.signatures for a in counts.areas) == counts.signatures


def test_goal_progress_and_next_milestone(app):
    with app.app_context():
        goals = [g.count for g in current_counts().goals]
        assert goals == sorted(goals) and len(goals) >= 2
        first = current_counts().goals[0]
        assert current_counts().next_goal == first
        assert current_counts().to_next_goal == first.count

        # Reaching a goal moves the milestone to the next one.
        adjust_tallies({"signatures": first.count})
        db.session.commit()
        counts = current_counts()
        assert counts.goals_reached == (first,)
        assert counts.next_goal == counts.goals[1]
        assert counts.to_next_goal == counts.goals[1].count - first.count


def test_wording_from_campaign_toml_and_singulars(app):
    with app.app_context():
        assert current_counts().signatures_label == "people have signed"
        signed(1)
        approve(group("local-left-group"))
        approve(group("other"))
        db.session.commit()
        counts = current_counts()
        assert counts.signatures_label == "person has signed"
        assert counts.groups_label == "groups"
        assert kind_count(counts, "local-left-group").text == "1 local Labour left group"
        assert kind_count(counts, "other").text == "1 other group"


def test_cache_is_dropped_when_a_tally_change_commits_and_kept_on_rollback(app):
    with app.app_context():
        app.config["COUNTERS_CACHE_SECONDS"] = 3600
        app.extensions.pop("counters_cache", None)
        assert current_counts().signatures == 0
        signed(2)
        # Not yet committed: the cached (committed) number still stands.
        assert current_counts().signatures == 0
        db.session.rollback()
        assert current_counts().signatures == 0
        signed(2)
        db.session.commit()
        assert current_counts().signatures == 2


def test_etag_is_derived_from_the_numbers_alone(app):
    with app.app_context():
        before = current_counts().etag
        assert current_counts().etag == before
        person = signed(1)[0]
        db.session.commit()
        changed = current_counts().etag
        assert changed != before
        erase(person)
        db.session.commit()
        # The same numbers give the same tag again, in this or any process.
        assert current_counts().etag == before
