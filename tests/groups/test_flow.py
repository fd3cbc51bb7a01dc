"""Each step of an affiliation with real e-mail: submit, confirm, review, list, withdraw."""

from __future__ import annotations

import re

from campaign.extensions import db
from campaign.groups.models import APPROVED, CONFIRMED, REJECTED, SUBMITTED, WITHDRAWN, Group
from campaign.groups.services import approve_group, reject_group
from campaign.mail.services import REPEAT_MAILS_PER_HOUR
from campaign.tally import read_tallies
from tests.support.mail import MailBox
from tests.support.reads import group_rows
from tests.support.web import csrf_from

ORGANISER = "organiser@campaign.example"


def link(message, path: str) -> str:
    """The link in the plain-text part of an e-mail whose path starts with `path`."""
    [url] = [u for u in message_links(message) if u.startswith(f"http://localhost{path}")]
    return url.removeprefix("http://localhost")


def message_links(message) -> list[str]:
    return MailBox.links(message)


def decide(app, group_id: int, action, *args) -> None:
    with app.app_context():
        group = db.session.get(Group, group_id)
        action(group, *args, by=ORGANISER)
        db.session.commit()


def press_button(client, path: str):
    """Open a link's page and press its one button, as the contact would."""
    page = client.get(path)
    assert page.status_code == 200
    return client.post(path, data={"csrf_token": csrf_from(page.text)})


def directory_lists(client, name: str) -> bool:
    return f'class="group-card__name">{name}<' in client.get("/groups").text


def test_submit_confirm_approve_list_and_withdraw(
    app, client, mailbox, deliver_mail, post_affiliation
):
    app.config["ORGANISER_NOTIFY_EMAILS"] = ["one@campaign.example", "two@campaign.example"]

    # 1. The form, without JavaScript: Post/Redirect/Get to "check your e-mail".
    response = post_affiliation()
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/groups/affiliate/thanks")
    assert "Check your e-mail" in client.get(response.headers["Location"]).text
    [group] = group_rows(app)
    assert group.status == SUBMITTED
    assert group.name_normalised == "leeds labour left"
    assert [(r.position, r.name, r.email) for r in group.representatives] == [
        (1, "Ada Rep", "ada.rep@example.org")
    ]
    assert group.statement == "We want a democratic Labour left.\nUnited we stand."
    assert group.ip_hash and len(group.ip_hash) == 64
    assert [e.status for e in group.events] == [SUBMITTED]

    # 2. The confirmation e-mail goes to the contact, with the confirm and withdraw links.
    deliver_mail()
    [mail] = mailbox.to("rosa.contact@example.org")
    assert "Please confirm" in mail["Subject"]
    text = mailbox.text(mail)
    assert "Dear Rosa Contact" in text and "Leeds Labour Left" in text
    assert "Leeds Labour Left" in mailbox.html(mail)
    confirm_path = link(mail, "/groups/confirm/")
    withdraw_path = link(mail, "/groups/withdraw/")

    # 3. Opening the link (as a mail scanner would) changes nothing.
    page = client.get(confirm_path)
    assert page.status_code == 200 and "Confirm our affiliation" in page.text
    assert group_rows(app)[0].status == SUBMITTED

    # 4. The button confirms: pending review, the contact and each organiser hear of it.
    response = client.post(confirm_path, data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 303
    assert "pending review" in client.get(confirm_path).text
    [group] = group_rows(app)
    assert group.status == CONFIRMED and group.confirmed_at is not None
    mailbox.messages.clear()
    deliver_mail()
    [pending] = mailbox.to("rosa.contact@example.org")
    assert "pending review" in mailbox.text(pending)
    assert link(pending, "/groups/withdraw/")
    for organiser in ("one@campaign.example", "two@campaign.example"):
        [notice] = mailbox.to(organiser)
        assert "New group to review: Leeds Labour Left" in notice["Subject"]
        assert "Local Labour left group" in mailbox.text(notice)

    # Confirming again is harmless: no new event, no new e-mail.
    assert client.post(confirm_path, data={"csrf_token": csrf_from(page.text)}).status_code == 303
    assert [e.status for e in group_rows(app)[0].events] == [SUBMITTED, CONFIRMED]

    # 5. Pending review: neither listed nor counted.
    assert not directory_lists(client, "Leeds Labour Left")
    with app.app_context():
        assert read_tallies("groups") == {}

    # 6. Approved: the contact is told, the group is listed and counted.
    decide(app, group.id, approve_group)
    [group] = group_rows(app)
    assert group.status == APPROVED and group.decided_by == ORGANISER
    assert (group.events[-1].status, group.events[-1].by) == (APPROVED, ORGANISER)
    mailbox.messages.clear()
    deliver_mail()
    [approved] = mailbox.to("rosa.contact@example.org")
    assert "approved" in mailbox.text(approved)
    assert "http://localhost/groups" in mailbox.text(approved)
    assert link(approved, "/groups/withdraw/")
    assert directory_lists(client, "Leeds Labour Left")
    with app.app_context():
        assert read_tallies("groups") == {
            "groups": 1,
            "groups:kind:local-left-group": 1,
            "groups:region:yorkshire": 1,
        }
    assert "1 local Labour left group" in client.get("/groups").text

    # 7. Withdrawing: the page alone changes nothing; its button drops the group.
    page = client.get(withdraw_path)
    assert "Withdraw our affiliation" in page.text
    assert group_rows(app)[0].status == APPROVED
    response = client.post(withdraw_path, data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 303
    assert "has withdrawn its affiliation" in client.get(withdraw_path).text
    [group] = group_rows(app)
    assert group.status == WITHDRAWN and group.withdrawn_at is not None
    assert not directory_lists(client, "Leeds Labour Left")
    with app.app_context():
        assert read_tallies("groups") == {
            "groups": 0,
            "groups:kind:local-left-group": 0,
            "groups:region:yorkshire": 0,
        }
    mailbox.messages.clear()
    deliver_mail()
    [withdrawn] = mailbox.to("rosa.contact@example.org")
    assert "withdrawn" in mailbox.text(withdrawn)

    # Withdrawing twice changes nothing and says so.
    response = client.post(withdraw_path, data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 409
    assert "withdrawn" in response.text
    assert [e.status for e in group_rows(app)[0].events] == [
        SUBMITTED,
        CONFIRMED,
        APPROVED,
        WITHDRAWN,
    ]


def test_rejection_reason_is_emailed_and_group_never_listed(
    app, client, mailbox, deliver_mail, post_affiliation
):
    post_affiliation()
    deliver_mail()
    [mail] = mailbox.to("rosa.contact@example.org")
    assert press_button(client, link(mail, "/groups/confirm/")).status_code == 303
    [group] = group_rows(app)
    deliver_mail()
    mailbox.messages.clear()

    decide(app, group.id, reject_group, "We could not verify that your AGM took place.")
    [group] = group_rows(app)
    assert group.status == REJECTED and group.decided_by == ORGANISER
    assert group.rejection_reason == "We could not verify that your AGM took place."
    assert (group.events[-1].note, group.events[-1].by) == (group.rejection_reason, ORGANISER)
    mailbox.messages.clear()
    deliver_mail()
    [rejected] = mailbox.to("rosa.contact@example.org")
    assert "We could not verify that your AGM took place." in mailbox.text(rejected)
    assert "We could not verify that your AGM took place." in mailbox.html(rejected)
    assert not directory_lists(client, "Leeds Labour Left")
    with app.app_context():
        assert read_tallies("groups") == {}

    # The old links now say the affiliation is closed; withdrawing it is refused.
    confirm_page = client.get(link(mail, "/groups/confirm/"))
    assert "was rejected" in confirm_page.text
    withdraw_path = link(mail, "/groups/withdraw/")
    assert "nothing to withdraw" in client.get(withdraw_path).text  # and no button
    token = csrf_from(client.get("/groups/affiliate").text)
    response = client.post(withdraw_path, data={"csrf_token": token})
    assert response.status_code == 409
    assert "rejected" in response.text
    assert group_rows(app)[0].status == REJECTED


def test_htmx_submission_swaps_in_the_thank_you_panel(app, mailbox, deliver_mail, post_affiliation):
    response = post_affiliation(htmx=True)
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    assert "<html" not in response.text
    assert 'id="affiliate-form"' in response.text and "check your e-mail" in response.text
    assert len(group_rows(app)) == 1
    deliver_mail()
    assert len(mailbox.to("rosa.contact@example.org")) == 1


def test_withdrawing_before_review_removes_it_from_the_queue(
    app, client, mailbox, deliver_mail, post_affiliation
):
    from campaign.groups.services import groups_awaiting_review

    post_affiliation()
    deliver_mail()
    [mail] = mailbox.to("rosa.contact@example.org")
    press_button(client, link(mail, "/groups/confirm/"))
    with app.app_context():
        assert len(db.session.scalars(groups_awaiting_review()).all()) == 1
    assert press_button(client, link(mail, "/groups/withdraw/")).status_code == 303
    with app.app_context():
        assert db.session.scalars(groups_awaiting_review()).all() == []
        assert read_tallies("groups") == {}
    assert group_rows(app)[0].status == WITHDRAWN


def test_national_union_sees_the_fee_and_it_is_stored(
    app, client, mailbox, deliver_mail, post_affiliation
):
    form = client.get("/groups/affiliate").text
    assert re.search(r"national trade unions pay an affiliation fee of\s+£500 a year", form)
    post_affiliation(name="Bakers Union", kind="trade-union", region="national", town="")
    [group] = group_rows(app)
    assert group.fee_pence == 500 * 100 and group.fee_paid_at is None
    deliver_mail()
    [mail] = mailbox.to("rosa.contact@example.org")
    assert "affiliation fee of £500 a year" in mailbox.text(mail)


def test_naming_one_contact_twenty_times_sends_at_most_its_hourly_share(
    app, post_affiliation, mailbox, deliver_mail
):
    victim = "someone.else@example.org"
    answers = [
        post_affiliation(name=f"Made-up group {n}", contact_email=victim).status_code
        for n in range(20)
    ]
    assert set(answers) == {303}  # the form answers as usual
    deliver_mail()
    assert len(mailbox.to(victim)) == REPEAT_MAILS_PER_HOUR
    assert len(group_rows(app)) == 20  # recorded, for the organisers to see through
