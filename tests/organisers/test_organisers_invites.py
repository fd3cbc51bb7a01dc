"""Accounts from the web: invitations through real SMTP, roles, disable, enable, sign out
everywhere, all audited; forged fields, reused or expired links and a last admin refused."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from campaign.extensions import db
from campaign.organisers.accounts import find_organiser
from campaign.organisers.models import Organiser, OrganiserInvite
from tests.support.factories import ADMIN_EMAIL, ORGANISER_EMAIL, make_organiser
from tests.support.reads import audit_rows
from tests.support.web import csrf_from, log_in, token

NEWCOMER = "newcomer@campaign.example"
NEW_PASSWORD = "a long and private passphrase"


def invite(admin_client, email: str = NEWCOMER, role: str = "organiser"):
    return admin_client.post(
        "/organisers/accounts/invite",
        data={
            "csrf_token": token(admin_client, "/organisers/accounts"),
            "email": email,
            "role": role,
        },
    )


def invite_link(mailbox, deliver_mail, address: str = NEWCOMER) -> str:
    deliver_mail()
    [message] = mailbox.to(address)
    [link] = [link for link in mailbox.links(message) if "/organisers/invite/" in link]
    assert link in mailbox.html(message)
    return link.replace("http://localhost", "")


def accept(client, path: str, **extra):
    page = client.get(path)
    data = {
        "csrf_token": csrf_from(page.text),
        "name": "New Comer",
        "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
        **extra,
    }
    return client.post(path, data=data)


def test_the_invite_flow_through_real_smtp(app, admin_client, mailbox, deliver_mail):
    sent = invite(admin_client)
    assert sent.status_code == 302
    page = admin_client.get("/organisers/accounts").text
    assert f"{NEWCOMER} as organiser, by {ADMIN_EMAIL}" in page
    path = invite_link(mailbox, deliver_mail)
    [message] = mailbox.to(NEWCOMER)
    assert "as organiser" in mailbox.text(message) and "72 hours" in mailbox.text(message)

    newcomer = app.test_client()
    form = newcomer.get(path)
    assert form.status_code == 200 and NEWCOMER in form.text
    # A forged role field in the form changes nothing: the role is the invitation's.
    done = accept(newcomer, path, role="admin")
    assert done.status_code == 302 and done.headers["Location"] == "/organisers/"
    assert newcomer.get("/organisers/supporters").status_code == 200
    assert newcomer.get("/organisers/accounts").status_code == 403
    with app.app_context():
        account = find_organiser(NEWCOMER)
        assert account.role == "organiser" and account.name == "New Comer"
        # Only a hash of the token is kept.
        stored = db.session.scalar(sa.select(OrganiserInvite.token_hash))
        assert stored not in path and path.rsplit("/", 1)[1] not in stored
    actions = [(r.action, r.actor, r.target) for r in audit_rows(app) if r.action != "login"]
    assert ("organiser.invited", ADMIN_EMAIL, NEWCOMER) in actions
    assert ("organiser.invite_accepted", NEWCOMER, f"organiser:{account.id}") in actions

    # The link works once.
    again = app.test_client()
    reused = again.get(path)
    assert reused.status_code == 410 and "already been used" in reused.text
    csrf = csrf_from(again.get("/organisers/login").text)
    post = again.post(
        path,
        data={"csrf_token": csrf, "name": "X", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert post.status_code == 410
    # The password chosen logs in.
    other = app.test_client()
    assert log_in(other, NEWCOMER, NEW_PASSWORD).status_code == 302


def test_an_expired_or_made_up_link_is_refused(app, admin_client, mailbox, deliver_mail):
    invite(admin_client)
    path = invite_link(mailbox, deliver_mail)
    with app.app_context():
        row = db.session.scalar(sa.select(OrganiserInvite))
        row.expires_at = dt.datetime(2020, 1, 1)  # as if 72 hours had passed
        db.session.commit()
    stranger = app.test_client()
    expired = stranger.get(path)
    assert expired.status_code == 410 and "expired" in expired.text
    made_up = stranger.get("/organisers/invite/not-a-real-token")
    assert made_up.status_code == 404 and "not valid" in made_up.text
    huge = stranger.get("/organisers/invite/" + "x" * 500)
    assert huge.status_code == 404
    with app.app_context():
        assert find_organiser(NEWCOMER) is None


def test_a_new_invitation_replaces_the_old_link(app, admin_client, mailbox, deliver_mail):
    invite(admin_client, role="viewer")
    first = invite_link(mailbox, deliver_mail)
    mailbox.messages.clear()
    invite(admin_client, role="moderator")
    second = invite_link(mailbox, deliver_mail)
    assert app.test_client().get(first).status_code == 410
    assert accept(app.test_client(), second).status_code == 302
    with app.app_context():
        assert find_organiser(NEWCOMER).role == "moderator"


def withdraw(admin_client, invite_id: int):
    return admin_client.post(
        f"/organisers/accounts/invites/{invite_id}/withdraw",
        data={"csrf_token": token(admin_client, "/organisers/accounts")},
    )


def test_an_admin_withdraws_an_invitation_sent_to_the_wrong_address(
    app, admin_client, mailbox, deliver_mail
):
    invite(admin_client, role="admin")
    path = invite_link(mailbox, deliver_mail)
    with app.app_context():
        invite_id = db.session.scalar(sa.select(OrganiserInvite.id))
    page = admin_client.get("/organisers/accounts").text
    assert f"/organisers/accounts/invites/{invite_id}/withdraw" in page
    withdrawn = withdraw(admin_client, invite_id)
    assert withdrawn.status_code == 302
    followed = admin_client.get("/organisers/accounts").text
    assert "is withdrawn: its link no longer works" in followed
    assert f"{NEWCOMER} as admin, by" not in followed  # gone from the open invitations
    # Whoever holds the e-mail can no longer make an account with it.
    holder = app.test_client()
    opened = holder.get(path)
    assert opened.status_code == 410 and "withdrawn" in opened.text
    posted = holder.post(
        path,
        data={
            "csrf_token": token(holder, "/organisers/login"),
            "name": "Someone Else",
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert posted.status_code == 410
    with app.app_context():
        assert find_organiser(NEWCOMER) is None
    [record] = audit_rows(app, "organiser.invite_withdrawn")
    assert record.actor == ADMIN_EMAIL and record.target == NEWCOMER
    # Withdrawing again (a double click, a stale page) changes nothing and says why.
    again = withdraw(admin_client, invite_id)
    assert again.status_code == 409 and "already accepted, expired or withdrawn" in again.text
    assert len(audit_rows(app, "organiser.invite_withdrawn")) == 1
    assert withdraw(admin_client, 999_999).status_code == 409


def test_an_accepted_invitation_cannot_be_withdrawn(app, admin_client, mailbox, deliver_mail):
    invite(admin_client)
    path = invite_link(mailbox, deliver_mail)
    assert accept(app.test_client(), path).status_code == 302
    with app.app_context():
        invite_id = db.session.scalar(sa.select(OrganiserInvite.id))
    assert withdraw(admin_client, invite_id).status_code == 409
    with app.app_context():
        assert find_organiser(NEWCOMER) is not None
    assert audit_rows(app, "organiser.invite_withdrawn") == []


@pytest.mark.parametrize(
    ("email", "role", "why"),
    [
        ("not an address", "viewer", "valid e-mail"),
        (ADMIN_EMAIL, "viewer", "already an account"),
        (NEWCOMER, "superuser", "Not a valid choice"),
        ("", "viewer", "Enter the address"),
    ],
)
def test_bad_invitations_are_refused_and_send_nothing(
    app, admin_client, mailbox, deliver_mail, email, role, why
):
    response = invite(admin_client, email=email, role=role)
    assert response.status_code == 422 and why in response.text
    assert deliver_mail()["sent"] == 0
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OrganiserInvite)) == 0
    assert audit_rows(app, "organiser.invited") == []


def test_only_admins_invite_or_change_accounts(app, organiser_client):
    csrf = token(organiser_client)
    with app.app_context():
        me = find_organiser(ORGANISER_EMAIL).id
    for path, data in [
        ("/organisers/accounts/invite", {"email": NEWCOMER, "role": "admin"}),
        (f"/organisers/accounts/{me}/role", {"role": "admin"}),
        (f"/organisers/accounts/{me}/enable", {}),
        ("/organisers/accounts/invites/1/withdraw", {}),
    ]:
        assert organiser_client.post(path, data={"csrf_token": csrf, **data}).status_code == 403
    with app.app_context():
        assert find_organiser(ORGANISER_EMAIL).role == "organiser"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OrganiserInvite)) == 0


def account_action(client, organiser_id: int, action: str, **data):
    return client.post(
        f"/organisers/accounts/{organiser_id}/{action}",
        data={"csrf_token": token(client, "/organisers/accounts"), **data},
    )


def test_role_changes_are_audited_and_take_effect_at_once(app, admin_client):
    make_organiser(app, ORGANISER_EMAIL, "organiser")
    organiser = app.test_client()
    log_in(organiser, ORGANISER_EMAIL)
    with app.app_context():
        ident = find_organiser(ORGANISER_EMAIL).id
    assert organiser.get("/organisers/supporters").status_code == 200
    assert account_action(admin_client, ident, "role", role="viewer").status_code == 302
    assert organiser.get("/organisers/supporters").status_code == 403
    forged = account_action(admin_client, ident, "role", role="root")
    assert forged.status_code == 422 and "Choose one of the roles" in forged.text
    with app.app_context():
        assert find_organiser(ORGANISER_EMAIL).role == "viewer"
    [record] = audit_rows(app, "organiser.role_changed")
    assert (record.actor, record.target, record.details) == (
        ADMIN_EMAIL,
        ORGANISER_EMAIL,
        {"from": "organiser", "to": "viewer"},
    )
    assert account_action(admin_client, 999999, "role", role="viewer").status_code == 404


def test_the_last_admin_cannot_be_demoted_or_disabled(app, admin_client, runner):
    with app.app_context():
        me = find_organiser(ADMIN_EMAIL).id
    demote = account_action(admin_client, me, "role", role="organiser")
    assert demote.status_code == 409 and "only active admin" in demote.text
    disable = account_action(admin_client, me, "disable")
    assert disable.status_code == 409
    cli = runner.invoke(args=["organisers", "disable", ADMIN_EMAIL])
    assert cli.exit_code != 0 and "only active admin" in cli.output
    with app.app_context():
        account = find_organiser(ADMIN_EMAIL)
        assert account.role == "admin" and account.active
    assert audit_rows(app, "organiser.role_changed") == []
    # With a second admin, the first may step down.
    make_organiser(app, "deputy@campaign.example", "admin")
    assert account_action(admin_client, me, "role", role="organiser").status_code == 302
    assert admin_client.get("/organisers/accounts").status_code == 403


def test_disable_enable_and_sign_out_everywhere(app, admin_client, runner):
    make_organiser(app, ORGANISER_EMAIL, "organiser")
    laptop, phone = app.test_client(), app.test_client()
    log_in(laptop, ORGANISER_EMAIL)
    log_in(phone, ORGANISER_EMAIL)
    with app.app_context():
        ident = find_organiser(ORGANISER_EMAIL).id

    assert account_action(admin_client, ident, "sign-out").status_code == 302
    assert laptop.get("/organisers/").status_code == 302
    assert phone.get("/organisers/").status_code == 302
    assert log_in(phone, ORGANISER_EMAIL).status_code == 302  # the account still works

    assert account_action(admin_client, ident, "disable").status_code == 302
    assert phone.get("/organisers/").status_code == 302
    assert log_in(phone, ORGANISER_EMAIL).status_code == 422
    assert "Disabled" in admin_client.get("/organisers/accounts").text

    assert account_action(admin_client, ident, "enable").status_code == 302
    assert log_in(phone, ORGANISER_EMAIL).status_code == 302
    # And from the command line.
    assert runner.invoke(args=["organisers", "disable", ORGANISER_EMAIL]).exit_code == 0
    result = runner.invoke(args=["organisers", "enable", ORGANISER_EMAIL])
    assert result.exit_code == 0 and "Enabled" in result.output
    assert runner.invoke(args=["organisers", "enable", "nobody@example.org"]).exit_code != 0

    actions = [(r.action, r.actor) for r in audit_rows(app) if r.target == ORGANISER_EMAIL]
    assert [a for a in actions if a[0] != "login.failed"] == [
        ("organiser.signed_out", ADMIN_EMAIL),
        ("organiser.disabled", ADMIN_EMAIL),
        ("organiser.enabled", ADMIN_EMAIL),
        ("organiser.disabled", "cli"),
        ("organiser.enabled", "cli"),
    ]


def test_an_admin_who_signs_themselves_out_is_logged_out(app, admin_client):
    with app.app_context():
        me = find_organiser(ADMIN_EMAIL).id
    response = account_action(admin_client, me, "sign-out")
    assert response.headers["Location"] == "/organisers/login"
    assert admin_client.get("/organisers/").status_code == 302


def test_cli_create_keeps_password_stdin_for_every_role(app, runner):
    for role in ("viewer", "moderator", "organiser", "admin"):
        result = runner.invoke(
            args=["organisers", "create", f"{role}@x.example", "--role", role, "--password-stdin"],
            input=f"{NEW_PASSWORD}\n",
        )
        assert result.exit_code == 0, result.output
    with app.app_context():
        roles = dict(db.session.execute(sa.select(Organiser.email, Organiser.role)).all())
    assert roles["moderator@x.example"] == "moderator"
    assert re.search("viewer", runner.invoke(args=["organisers", "list"]).output)


def test_a_link_opened_twice_at_once_makes_one_account(app, admin_client, mailbox, deliver_mail):
    from campaign.organisers.invites import InviteUsed, accept_invite, open_invite

    invite(admin_client)
    token_text = invite_link(mailbox, deliver_mail).rsplit("/", 1)[1]
    with app.test_request_context():
        first, second = open_invite(token_text), open_invite(token_text)  # both tabs opened it
        accept_invite(first, "One", NEW_PASSWORD)
        with pytest.raises(InviteUsed):
            accept_invite(second, "Two", NEW_PASSWORD)
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Organiser)) == 2
