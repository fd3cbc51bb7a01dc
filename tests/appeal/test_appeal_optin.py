"""Double opt-in through a real SMTP server: confirm by button, no enumeration, expiry."""

import time

import pytest
import sqlalchemy as sa
from itsdangerous import URLSafeTimedSerializer

from campaign.extensions import db, mailer
from campaign.mail.models import QUEUED, OutboxMessage
from campaign.models import utcnow
from tests.support.mail import link, only_message
from tests.support.reads import snapshot, supporters, tallies
from tests.support.web import HTMX, csrf_from, sign, visible_text


def confirm_link(mailbox, address="ada@example.org") -> str:
    return link(only_message(mailbox, address), "/appeal/confirm/")


def test_sign_email_link_button_confirms_and_counts(client, app, mailbox, deliver_mail):
    sign(client)
    assert deliver_mail()["sent"] == 1
    message = only_message(mailbox, "ada@example.org")
    assert "confirm your signature" in message["Subject"].lower()
    assert "Dear Ada" in mailbox.text(message) and "Confirm my signature" in mailbox.html(message)
    assert "/my-data/" in mailbox.text(message)  # the manage-my-data link
    assert message["List-Unsubscribe"].startswith("<http://localhost/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = confirm_link(mailbox)

    page = client.get(url)  # what a mail scanner does: it changes nothing
    assert page.status_code == 200
    assert "Confirm my signature" in page.text and "<form" in page.text
    assert client.get(url).status_code == 200
    [row] = supporters(app)
    assert row.confirmed_at is None and tallies(app) == {}

    response = client.post(url, data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 303
    done = client.get(response.headers["Location"])
    assert "Your signature is confirmed" in done.text
    [row] = supporters(app)
    assert row.confirmed_at is not None and row.counted
    day = row.confirmed_at.date().isoformat()
    assert tallies(app) == {
        "signatures": 1,
        "signatures:region:london": 1,
        f"signatures:day:{day}": 1,
    }

    # Confirming twice is harmless: still one count.
    again = client.post(url, data={"csrf_token": csrf_from(page.text)})
    assert again.status_code == 303
    assert tallies(app)["signatures"] == 1


def test_confirm_post_without_csrf_changes_nothing(client, app, mailbox, deliver_mail):
    sign(client)
    deliver_mail()
    url = confirm_link(mailbox)
    assert client.post(url).status_code == 400
    assert supporters(app)[0].confirmed_at is None and tallies(app) == {}


def test_signing_twice_gives_same_answer_one_row_and_already_signed_email(
    client, app, mailbox, deliver_mail
):
    sign(client)
    deliver_mail()
    url = confirm_link(mailbox)
    client.post(url, data={"csrf_token": csrf_from(client.get(url).text)})
    mailbox.messages.clear()
    before = snapshot(app)[0]

    first_page = visible_text(client.get(sign(client).headers["Location"]).text)
    again = sign(client, first_name="Mallory", postcode="EH1 1YZ", labour_member="no")
    assert again.status_code == 303
    second_page = visible_text(client.get(again.headers["Location"]).text)
    # Same answer (only the region typed and the decoy share code differ).
    assert "check your e-mail" in second_page.lower()
    assert first_page.split("We have placed")[0] == second_page.split("We have placed")[0]
    htmx = sign(client, headers=HTMX)
    assert htmx.status_code == 200 and "check your e-mail" in htmx.text.lower()

    assert snapshot(app)[0] == before  # the supporter row is exactly as it was
    [row] = supporters(app)
    assert row.first_name == "Ada" and row.region == "london"
    assert f"ref={row.referral_code}" not in second_page  # the real code is never shown
    deliver_mail()
    messages = mailbox.to("ada@example.org")
    assert len(messages) == 3
    assert all("already signed" in mailbox.text(m) for m in messages)
    assert all("/my-data/" in mailbox.text(m) for m in messages)


def test_signing_again_before_confirming_resends_the_link(client, app, mailbox, deliver_mail):
    sign(client)
    sign(client)
    deliver_mail()
    messages = mailbox.to("ada@example.org")
    assert len(messages) == 2
    assert all("/appeal/confirm/" in mailbox.text(m) for m in messages)
    assert len(supporters(app)) == 1


def test_gmail_variants_make_one_row(client, app, mailbox, deliver_mail):
    for address in (
        "Ada.Lovelace@gmail.com",
        "adalovelace+appeal@googlemail.com",
        "ADA.LOVE.LACE@GMAIL.COM",
    ):
        assert sign(client, email=address).status_code == 303
    [row] = supporters(app)
    assert row.email_canonical == "adalovelace@gmail.com"
    assert row.email == "Ada.Lovelace@gmail.com"  # as first typed, for sending
    deliver_mail()
    assert len(mailbox.to("Ada.Lovelace@gmail.com")) == 3  # all sent to the stored address


def test_expired_confirmation_link_is_refused(client, app, mailbox, deliver_mail, monkeypatch):
    sign(client)
    deliver_mail()
    url = confirm_link(mailbox)
    page = client.get(url)
    eight_days_later = time.time() + 8 * 24 * 3600
    monkeypatch.setattr(time, "time", lambda: eight_days_later)
    expired = client.get(url)
    assert expired.status_code == 410
    assert "expired" in expired.text and "sign again" in expired.text
    assert client.post(url, data={"csrf_token": csrf_from(page.text)}).status_code in {400, 410}
    assert supporters(app)[0].confirmed_at is None and tallies(app) == {}


@pytest.mark.parametrize(
    "path",
    [
        "/appeal/confirm/forged",
        "/appeal/confirm/" + "x" * 2000,
        "/bulletin/confirm/forged.token.here",
        "/my-data/forged",
        "/my-data/forged/erase",
        "/unsubscribe/forged",
    ],
)
def test_forged_tokens_are_refused(client, path):
    response = client.get(path)
    assert response.status_code == 400
    assert "not valid" in response.text


def test_token_for_another_purpose_or_key_is_refused(client, app, mailbox, deliver_mail):
    sign(client)
    deliver_mail()
    [row] = supporters(app)
    message = only_message(mailbox, "ada@example.org")
    my_data_token = link(message, "/my-data/").rsplit("/", 1)[1]
    # A genuine my-data token does not confirm a signature.
    assert client.get(f"/appeal/confirm/{my_data_token}").status_code == 400
    # A token signed with another key is forged.
    other = URLSafeTimedSerializer("another-key", salt="campaign:appeal-confirm")
    forged = other.dumps([row.id, row.referral_code])
    page = client.get(f"/appeal/confirm/{forged}")
    assert page.status_code == 400
    assert supporters(app)[0].confirmed_at is None


def test_smtp_down_keeps_signature_and_delivers_later_once(client, app, mailbox, deliver_mail):
    app.config.update(MAIL_PORT=1)  # nothing listens there: SMTP is down
    mailer.init_app(app)
    assert sign(client).status_code == 303
    assert deliver_mail() == {"sent": 0, "retried": 1, "failed": 0}
    assert len(supporters(app)) == 1  # the signature is kept
    with app.app_context():
        [message] = db.session.scalars(sa.select(OutboxMessage)).all()
        assert message.status == QUEUED and message.last_error
    app.config.update(MAIL_PORT=mailbox.port)
    mailer.init_app(app)
    with app.app_context():
        db.session.execute(sa.update(OutboxMessage).values(next_attempt_at=utcnow()))
        db.session.commit()
    assert deliver_mail()["sent"] == 1
    assert deliver_mail()["sent"] == 0
    url = confirm_link(mailbox)  # exactly one message, and its link works
    client.post(url, data={"csrf_token": csrf_from(client.get(url).text)})
    assert tallies(app)["signatures"] == 1


def test_bulletin_subscriber_who_signs_gets_a_link_to_add_signature(
    client, app, mailbox, deliver_mail
):
    token = csrf_from(client.get("/").text)
    client.post("/bulletin", data={"csrf_token": token, "email": "ada@example.org"})
    deliver_mail()
    url = link(only_message(mailbox, "ada@example.org"), "/bulletin/confirm/")
    client.post(url, data={"csrf_token": csrf_from(client.get(url).text)})
    mailbox.messages.clear()
    before = snapshot(app)[0]

    assert sign(client).status_code == 303
    assert snapshot(app)[0] == before  # still no change from an anonymous form
    deliver_mail()
    message = only_message(mailbox, "ada@example.org")
    assert "not recorded a second entry" in mailbox.text(message)
    my_data = link(message, "/my-data/")
    page = client.get(my_data)
    assert "Add your signature" in page.text
    response = client.post(
        f"{my_data}/sign",
        data={
            "csrf_token": csrf_from(page.text),
            "first_name": "Ada",
            "last_name": "Lovelace",
            "postcode": "M1 1AE",
            "labour_member": "no",
        },
    )
    assert response.status_code == 303
    [row] = supporters(app)
    assert row.counted and row.region == "north-west" and row.bulletin_consent
    assert tallies(app)["signatures"] == 1


def test_repeated_sign_ups_cannot_flood_an_inbox(client, app, mailbox, deliver_mail):
    from campaign.mail.services import REPEAT_MAILS_PER_HOUR

    answers = [sign(client).status_code for _ in range(REPEAT_MAILS_PER_HOUR + 3)]
    assert answers == [303] * len(answers)  # the same public answer every time
    assert len(supporters(app)) == 1
    deliver_mail()
    assert len(mailbox.to("ada@example.org")) == REPEAT_MAILS_PER_HOUR
