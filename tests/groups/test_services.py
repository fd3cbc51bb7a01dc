"""The review services the organisers' screens call: transitions, fee, duplicates, counts."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from campaign.extensions import db
from campaign.groups.models import APPROVED, CONFIRMED, REJECTED, SUBMITTED, WITHDRAWN, Group
from campaign.groups.services import (
    InvalidTransition,
    approve_group,
    approved_group_counts,
    approved_groups,
    confirm_group_contact,
    groups_awaiting_review,
    kind_count_label,
    normalise_group_name,
    record_fee_paid,
    reject_group,
    withdraw_group,
)
from campaign.mail.models import OutboxMessage
from campaign.tally import read_tallies
from tests.support.reads import group_rows

ORGANISER = "organiser@campaign.example"


def with_group(app, group_id: int, action, *args, **kwargs):
    with app.app_context():
        group = db.session.get(Group, group_id)
        result = action(group, *args, **kwargs)
        db.session.commit()
        return result


def approved(app, make_group, **overrides) -> int:
    group_id = make_group(**overrides)
    with_group(app, group_id, confirm_group_contact)
    with_group(app, group_id, approve_group, by=ORGANISER)
    return group_id


def status_of(app, group_id: int) -> str:
    with app.app_context():
        return db.session.get(Group, group_id).status


@pytest.mark.parametrize(
    ("setup", "action", "args"),
    [
        ([], approve_group, {"by": ORGANISER}),  # the contact has not confirmed yet
        ([withdraw_group], approve_group, {"by": ORGANISER}),
        ([confirm_group_contact, withdraw_group], approve_group, {"by": ORGANISER}),
        ([confirm_group_contact, withdraw_group], withdraw_group, {}),
        (
            [confirm_group_contact, lambda g: reject_group(g, "No", by=ORGANISER)],
            approve_group,
            {"by": ORGANISER},
        ),
        ([lambda g: reject_group(g, "No", by=ORGANISER)], withdraw_group, {}),
        ([withdraw_group], lambda g, **kw: reject_group(g, "No", **kw), {"by": ORGANISER}),
        ([withdraw_group], confirm_group_contact, {}),
    ],
)
def test_invalid_transitions_raise_and_change_nothing(app, make_group, setup, action, args):
    group_id = make_group()
    for step in setup:
        with_group(app, group_id, step)
    before = group_rows(app)[0]
    outbox_before = _outbox(app)
    with app.app_context():
        group = db.session.get(Group, group_id)
        with pytest.raises(InvalidTransition) as raised:
            action(group, **args)
        db.session.rollback()
    assert "Cannot" in str(raised.value) and before.name in str(raised.value)
    after = group_rows(app)[0]
    assert (after.status, len(after.events)) == (before.status, len(before.events))
    assert _outbox(app) == outbox_before
    with app.app_context():
        assert read_tallies("groups") == {}


def _outbox(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))


def test_approving_twice_counts_once(app, make_group):
    group_id = approved(app, make_group)
    with pytest.raises(InvalidTransition, match="already approved"):
        with_group(app, group_id, approve_group, by="second@campaign.example")
    with app.app_context():
        db.session.rollback()
        assert read_tallies("groups:kind:") == {"groups:kind:local-left-group": 1}
    assert group_rows(app)[0].decided_by == ORGANISER


def test_stale_object_cannot_approve_a_group_withdrawn_meanwhile(app, make_group):
    group_id = make_group()
    with_group(app, group_id, confirm_group_contact)
    with app.app_context():
        stale = db.session.get(Group, group_id)
        assert stale.status == CONFIRMED
        # Another request withdraws it behind this session's back.
        db.session.execute(sa.update(Group).values(status=WITHDRAWN))
        with pytest.raises(InvalidTransition, match="withdrawn"):
            approve_group(stale, by=ORGANISER)
        db.session.rollback()
        assert read_tallies("groups") == {}


def test_reject_needs_a_reason(app, make_group):
    group_id = make_group()
    for reason in ("", "   "):
        with pytest.raises(ValueError, match="reason is required"):
            with_group(app, group_id, reject_group, reason, by=ORGANISER)
    assert status_of(app, group_id) == SUBMITTED


def test_rejecting_an_approved_group_delists_and_uncounts_it(app, make_group):
    group_id = approved(app, make_group)
    with_group(app, group_id, reject_group, "Not a Labour left group after all", by=ORGANISER)
    assert status_of(app, group_id) == REJECTED
    with app.app_context():
        assert approved_group_counts()["local-left-group"] == 0
        assert db.session.scalars(approved_groups()).all() == []


def test_withdrawing_an_approved_group_uncounts_it(app, make_group):
    keep = approved(app, make_group, name="Stays", contact_email="stays@example.org")
    leave = approved(app, make_group, name="Leaves", contact_email="leaves@example.org")
    with app.app_context():
        assert approved_group_counts()["local-left-group"] == 2
    with_group(app, leave, withdraw_group)
    with app.app_context():
        assert approved_group_counts()["local-left-group"] == 1
        assert [g.id for g in db.session.scalars(approved_groups())] == [keep]


def test_counts_per_kind_come_from_the_tallies(app, make_group):
    approved(app, make_group, name="A", kind="momentum-branch", contact_email="a@example.org")
    approved(app, make_group, name="B", kind="momentum-branch", contact_email="b@example.org")
    approved(app, make_group, name="C", kind="clp", contact_email="c@example.org")
    make_group(name="D", kind="clp", contact_email="d@example.org")  # not approved
    with app.app_context():
        counts = approved_group_counts()
        assert list(counts) == [
            "local-left-group",
            "momentum-branch",
            "clp",
            "trade-union",
            "national-organisation",
            "other",
        ]
        assert counts["momentum-branch"] == 2 and counts["clp"] == 1
        assert sum(counts.values()) == read_tallies("groups")["groups"] == 3
        # The counts are the tallies: changing one changes the answer without a COUNT(*).
        db.session.execute(sa.text("UPDATE tallies SET value = 7 WHERE key = 'groups:kind:clp'"))
        assert approved_group_counts()["clp"] == 7


def test_kind_count_label_reads_as_english():
    assert kind_count_label("momentum-branch", 4) == "4 Momentum branches"
    assert kind_count_label("momentum-branch", 1) == "1 Momentum branch"
    assert kind_count_label("local-left-group", 1) == "1 local Labour left group"
    assert kind_count_label("trade-union", 1) == "1 trade union body"
    assert kind_count_label("other", 1) == "1 other group"
    assert kind_count_label("clp", 1512) == "1,512 CLPs and branch Labour Parties"


def test_fee_paid_is_recorded_and_cleared_with_who_did_it(app, make_group):
    group_id = make_group(name="Bakers Union", kind="trade-union", region="national")
    paid = dt.date(2024, 3, 1)
    with_group(app, group_id, record_fee_paid, paid, by=ORGANISER)
    [group] = group_rows(app)
    assert group.fee_pence == 50_000 and group.fee_paid_on == paid
    assert (group.events[-1].note, group.events[-1].by) == ("Fee paid on 2024-03-01", ORGANISER)
    with_group(app, group_id, record_fee_paid, None, by="other@campaign.example")
    [group] = group_rows(app)
    assert group.fee_paid_at is None
    assert group.events[-1].by == "other@campaign.example"


def test_fee_only_for_national_unions_and_not_in_the_future(app, make_group):
    local_branch = make_group(name="Unite Leeds", kind="trade-union", region="yorkshire")
    make_group(
        name="Campaign Group",
        kind="national-organisation",
        region="national",
        contact_email="cg@example.org",
    )
    assert [g.fee_pence for g in group_rows(app)] == [None, None]
    with pytest.raises(InvalidTransition, match="not a national trade union"):
        with_group(app, local_branch, record_fee_paid, dt.date(2024, 1, 1), by=ORGANISER)
    with app.app_context():
        db.session.rollback()
    union = make_group(
        name="Union", kind="trade-union", region="national", contact_email="u@example.org"
    )
    tomorrow = dt.date.today() + dt.timedelta(days=2)
    with pytest.raises(ValueError, match="future"):
        with_group(app, union, record_fee_paid, tomorrow, by=ORGANISER)
    assert all(g.fee_paid_at is None for g in group_rows(app))


def test_fee_comes_from_campaign_toml(app, make_group):
    app.extensions["content"].campaign["groups"]["union_fee_pounds"] = 750
    try:
        make_group(kind="trade-union", region="national")
    finally:
        app.extensions["content"].campaign["groups"]["union_fee_pounds"] = 500
    assert group_rows(app)[0].fee_pence == 75_000


def test_awaiting_review_lists_confirmed_groups_oldest_first(app, make_group):
    first = make_group(name="First", contact_email="first@example.org")
    second = make_group(name="Second", contact_email="second@example.org")
    make_group(name="Unconfirmed", contact_email="third@example.org")
    with_group(app, second, confirm_group_contact)
    with_group(app, first, confirm_group_contact)
    with app.app_context():
        queue = db.session.scalars(groups_awaiting_review()).all()
        assert [g.name for g in queue] == ["Second", "First"]
        assert [r.name for r in queue[0].representatives] == ["Ada Rep"]
    with_group(app, second, approve_group, by=ORGANISER)
    with app.app_context():
        assert [g.name for g in db.session.scalars(groups_awaiting_review())] == ["First"]
    assert status_of(app, second) == APPROVED


# --- near-duplicates --------------------------------------------------------------------


def test_same_name_and_region_is_flagged(app, make_group):
    original = make_group(name="The Leeds Labour-Left!", contact_email="one@example.org")
    make_group(name="leeds labour left", contact_email="two@example.org")
    make_group(name="Leeds Labour Left", region="london", contact_email="three@example.org")
    first, second, elsewhere = group_rows(app)
    assert first.duplicate_of_id is None
    assert second.duplicate_of_id == original
    assert second.duplicate_reason.startswith("Same name and region as group #")
    assert elsewhere.duplicate_of_id is None  # another region: another group


def test_same_contact_email_is_flagged_even_written_differently(app, make_group):
    original = make_group(name="Momentum Leeds", contact_email="rosa.contact@gmail.com")
    make_group(name="Leeds Left Forum", contact_email="RosaContact+groups@googlemail.com")
    _, second = group_rows(app)
    assert second.duplicate_of_id == original
    assert second.duplicate_reason.startswith("Same contact e-mail as group #")
    assert second.contact_email_canonical == "rosacontact@gmail.com"
    assert second.contact_email == "RosaContact+groups@googlemail.com"


def test_both_reasons_are_given(app, make_group):
    make_group()
    make_group()
    assert group_rows(app)[1].duplicate_reason.startswith(
        "Same name and region and same contact e-mail as group #"
    )


def test_withdrawn_or_rejected_groups_are_not_duplicates(app, make_group):
    withdrawn = make_group()
    with_group(app, withdrawn, withdraw_group)
    rejected = make_group()
    with_group(app, rejected, reject_group, "Spam", by=ORGANISER)
    fresh = make_group()
    assert [g.duplicate_of_id for g in group_rows(app) if g.id == fresh] == [None]


@pytest.mark.parametrize(
    ("name", "normalised"),
    [
        ("The Leeds Labour-Left!", "leeds labour left"),
        ("  Bristol   &  Bath  Momentum ", "bristol and bath momentum"),
        ("Écosse Gauche", "ecosse gauche"),
        ("UNITE_the union", "unite the union"),
    ],
)
def test_normalise_group_name(name, normalised):
    assert normalise_group_name(name) == normalised
