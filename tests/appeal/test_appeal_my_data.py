"""My data: see, unsubscribe, display choice, erase (with the count); purge; referrers."""

import datetime as dt

import sqlalchemy as sa

from campaign.appeal.models import Supporter
from campaign.appeal.services import top_referrers
from campaign.extensions import db
from campaign.mail.models import OutboxMessage
from campaign.models import utcnow
from tests.support.mail import link, only_message
from tests.support.reads import supporters, tallies
from tests.support.web import csrf_from, sign, visible_text


def signed_and_confirmed(client, mailbox, deliver_mail, **overrides) -> str:
    """Sign and confirm; return the my-data path from the confirmation e-mail."""
    address = overrides.get("email", "ada@example.org")
    sign(client, **overrides)
    deliver_mail()
    message = mailbox.to(address)[-1]
    url = link(message, "/appeal/confirm/")
    client.post(url, data={"csrf_token": csrf_from(client.get(url).text)})
    return link(message, "/my-data/")


def test_my_data_shows_what_is_held(client, app, mailbox, deliver_mail):
    path = signed_and_confirmed(client, mailbox, deliver_mail, reason="For democracy")
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    text = visible_text(response.text)
    for held in (
        "ada@example.org",
        "Ada Lovelace",
        "SW1A 1AA",
        "London",
        "Unite",
        "For democracy",
        "Confirmed on",
    ):
        assert held in text
    assert response.text.count("<h1") == 1


def test_my_data_unsubscribe_and_display_buttons(client, app, mailbox, deliver_mail):
    path = signed_and_confirmed(client, mailbox, deliver_mail, bulletin="y")
    page = client.get(path).text
    token = csrf_from(page)
    assert client.post(f"{path}/bulletin", data={"action": "unsubscribe"}).status_code == 400
    assert supporters(app)[0].subscribed  # no CSRF, no change
    response = client.post(f"{path}/bulletin", data={"csrf_token": token, "action": "unsubscribe"})
    assert response.status_code == 303
    assert not supporters(app)[0].subscribed
    client.post(f"{path}/display", data={"csrf_token": token, "show": "1"})
    assert supporters(app)[0].show_publicly
    assert (
        client.post(f"{path}/display", data={"csrf_token": token, "show": "x"}).status_code == 400
    )


def test_erase_asks_first_then_removes_row_mail_and_count(client, app, mailbox, deliver_mail):
    path = signed_and_confirmed(client, mailbox, deliver_mail)
    sign(client, email="bob@example.org")  # someone else, who must be untouched
    assert tallies(app)["signatures"] == 1
    confirm_page = client.get(f"{path}/erase")  # GET only asks
    assert confirm_page.status_code == 200 and "Yes, erase my data" in confirm_page.text
    assert len(supporters(app)) == 2
    response = client.post(f"{path}/erase", data={"csrf_token": csrf_from(confirm_page.text)})
    assert response.status_code == 303
    assert "erased" in client.get(response.headers["Location"]).text
    assert [s.email for s in supporters(app)] == ["bob@example.org"]
    counts = tallies(app)
    assert counts["signatures"] == 0 and counts["signatures:region:london"] == 0
    with app.app_context():
        recipients = db.session.scalars(sa.select(OutboxMessage.recipient)).all()
    assert "ada@example.org" not in recipients and "bob@example.org" in recipients
    # The link now holds nothing; erasing again is harmless.
    assert client.get(path).status_code == 404


def test_purge_removes_only_old_unconfirmed(client, app, runner, mailbox, deliver_mail):
    signed_and_confirmed(client, mailbox, deliver_mail)  # confirmed: kept
    sign(client, email="old@example.org")
    sign(client, email="new@example.org")
    with app.app_context():
        db.session.execute(
            sa.update(Supporter)
            .where(Supporter.email.in_(["old@example.org", "ada@example.org"]))
            .values(created_at=utcnow() - dt.timedelta(days=31))
        )
        db.session.commit()
    result = runner.invoke(args=["appeal", "purge"])
    assert result.exit_code == 0, result.output
    assert "Purged 1 unconfirmed supporter older than 30 days." in result.output
    assert sorted(s.email for s in supporters(app)) == ["ada@example.org", "new@example.org"]
    with app.app_context():
        recipients = db.session.scalars(sa.select(OutboxMessage.recipient)).all()
    assert "old@example.org" not in recipients
    assert "Purged 0 unconfirmed supporters" in runner.invoke(args=["appeal", "purge"]).output


def test_top_referrers_counts_confirmed_signatures(client, app, mailbox, deliver_mail):
    signed_and_confirmed(client, mailbox, deliver_mail)
    [ada] = supporters(app)
    for n in range(3):
        signed_and_confirmed(
            client, mailbox, deliver_mail, email=f"f{n}@example.org", ref=ada.referral_code
        )
    sign(client, email="pending@example.org", ref=ada.referral_code)  # unconfirmed: not counted
    bob_code = supporters(app)[1].referral_code
    signed_and_confirmed(client, mailbox, deliver_mail, email="g@example.org", ref=bob_code)
    with app.app_context():
        best = [(s.email, n) for s, n in top_referrers(5)]
    assert best == [("ada@example.org", 3), ("f0@example.org", 1)]
    with app.app_context():
        assert [s.email for s, _ in top_referrers(1)] == ["ada@example.org"]


def test_emails_link_to_my_data_from_every_message(client, app, mailbox, deliver_mail):
    sign(client)
    deliver_mail()
    message = only_message(mailbox, "ada@example.org")
    assert "/my-data/" in mailbox.html(message)
    assert client.get(link(message, "/my-data/")).status_code == 200
