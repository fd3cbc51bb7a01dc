"""The scrape: an organiser pages through every supporter. Only those who agreed to contact
are shown, every page is on the audit log, the ceiling stops it, and the admins are told
by e-mail (through the real SMTP server), once."""

from __future__ import annotations

import re

import pytest

from campaign.extensions import db
from tests.support.factories import ADMIN_EMAIL, ORGANISER_EMAIL, add_supporter, make_organiser
from tests.support.reads import audit_rows
from tests.support.web import log_in, token

CEILING = 120  # records an hour; pages hold 50
SECOND_ADMIN = "deputy@campaign.example"


@pytest.fixture
def crowd(app):
    """130 supporters who agreed to contact and 70 who did not (or withdrew, or never confirmed)."""
    app.config["PERSONAL_RECORDS_PER_HOUR"] = CEILING
    with app.app_context():
        consented = {add_supporter(email=f"yes{n}@example.org").email for n in range(130)}
        for n in range(30):
            add_supporter(email=f"noconsent{n}@example.org", bulletin_consent=False)
        for n in range(20):
            add_supporter(email=f"unconfirmed{n}@example.org", confirmed_at=None)
        for n in range(20):
            from campaign.models import utcnow

            add_supporter(email=f"unsubscribed{n}@example.org", unsubscribed_at=utcnow())
        db.session.commit()
    make_organiser(app, ADMIN_EMAIL, "admin")
    make_organiser(app, SECOND_ADMIN, "admin")
    return consented


def emails_on(html: str) -> set[str]:
    return set(re.findall(r'data-label="E-mail">([^<]+)</td>', html))


def next_link(html: str) -> str | None:
    match = re.search(r'<a rel="next" href="([^"]+)"', html)
    return match.group(1).replace("&amp;", "&") if match else None


def test_the_scrape_is_small_recorded_stopped_and_reported(
    app, organiser_client, crowd, mailbox, deliver_mail
):
    collected: set[str] = set()
    statuses = []
    url: str | None = "/organisers/supporters"
    last = None
    while url and len(statuses) < 10:
        last = organiser_client.get(url, headers={"HX-Request": "true"})
        statuses.append(last.status_code)
        collected |= emails_on(last.text)
        url = next_link(last.text)
    # Two pages of 50, then the third would pass 120 in the hour: refused, nothing shown.
    assert statuses == [200, 200, 429]
    assert len(collected) == 100 and collected <= crowd
    assert not any(e.startswith(("no", "un")) for e in collected)
    # The refusal is a fragment that takes the results' place, and says when to retry.
    assert "<html" not in last.text and 'id="supporter-results"' in last.text
    assert "records as one account may in an hour" in last.text
    assert 0 < int(last.headers["Retry-After"]) <= 3600
    # A page no longer fits, but single records still do, up to the ceiling exactly.
    with app.app_context():
        from campaign.appeal.models import Supporter

        ids = db.session.scalars(
            db.select(Supporter.id).where(Supporter.email.like("yes%")).order_by(Supporter.id)
        ).all()
    opened = []
    for supporter_id in ids:
        detail = organiser_client.get(f"/organisers/supporters/{supporter_id}")
        if detail.status_code != 200:
            break
        opened.append(supporter_id)
    assert len(opened) == CEILING - 100
    assert detail.status_code == 429 and "@example.org" not in detail.text
    assert "You have seen as many" in detail.text and "<html" in detail.text
    assert organiser_client.get("/organisers/supporters").status_code == 429

    # Every page that was shown is on the audit log: who, the filters, the rows.
    listed = audit_rows(app, "supporters.listed")
    assert [(r.actor, r.rows_shown, r.details["page"]) for r in listed] == [
        (ORGANISER_EMAIL, 50, "first"),
        (ORGANISER_EMAIL, 50, listed[1].details["page"]),
    ]
    assert listed[1].details["page"] != "first" and listed[0].ip_hash
    refusals = audit_rows(app, "supporters.ceiling")
    assert len(refusals) == 3 and all(r.actor == ORGANISER_EMAIL for r in refusals)
    assert len(audit_rows(app, "supporter.viewed")) == CEILING - 100
    assert refusals[0].details["shown"] == 100 and refusals[0].details["ceiling"] == CEILING

    # The admins are told by e-mail: one message each for the breach, not one per refusal.
    sent = deliver_mail()
    assert sent["sent"] == 2
    for admin in (ADMIN_EMAIL, SECOND_ADMIN):
        messages = mailbox.to(admin)
        assert len(messages) == 1, [m["Subject"] for m in messages]
        [message] = messages
        assert ORGANISER_EMAIL in message["Subject"]
        text = mailbox.text(message)
        assert "reached the ceiling of 120" in text
        assert "http://localhost/organisers/audit?actor=" in text
    assert mailbox.to(ORGANISER_EMAIL) == []


def test_below_admin_only_consented_supporters_exist(app, organiser_client, crowd):
    with app.app_context():
        from campaign.appeal.models import Supporter

        hidden = db.session.scalar(
            db.select(Supporter.id).where(Supporter.email == "noconsent3@example.org")
        )
    # Searching for someone who did not consent looks exactly like searching for nobody.
    for address in ("noconsent3@example.org", "nobody-at-all@example.org"):
        page = organiser_client.get("/organisers/supporters", query_string={"q": address})
        assert page.status_code == 200 and "No supporter matches" in page.text
    # Their record is "not found", like an id that does not exist.
    assert organiser_client.get(f"/organisers/supporters/{hidden}").status_code == 404
    assert organiser_client.get("/organisers/supporters/999999").status_code == 404
    # Filters cannot bring them back either.
    page = organiser_client.get("/organisers/supporters", query_string={"consent": "no"})
    assert emails_on(page.text) == set()


def test_admins_see_everyone_and_every_look_is_audited(app, client, crowd):
    log_in(client, ADMIN_EMAIL)
    page = client.get("/organisers/supporters", query_string={"consent": "no"})
    assert len(emails_on(page.text)) == 50
    with app.app_context():
        from campaign.appeal.models import Supporter

        hidden = db.session.scalar(
            db.select(Supporter.id).where(Supporter.email == "noconsent3@example.org")
        )
    assert client.get(f"/organisers/supporters/{hidden}").status_code == 200
    [listed] = audit_rows(app, "supporters.listed")
    assert listed.actor == ADMIN_EMAIL and listed.details["filters"] == {"consent": False}
    [viewed] = audit_rows(app, "supporter.viewed")
    assert (viewed.actor, viewed.target, viewed.rows_shown) == (
        ADMIN_EMAIL,
        f"supporter:{hidden}",
        1,
    )


def test_admins_dashboard_shows_views_and_exports_per_account_today(app, organiser_client, crowd):
    organiser_client.get("/organisers/supporters")
    organiser_client.get("/organisers/supporters", query_string={"q": "yes1@example.org"})
    organiser_client.post(
        "/organisers/export", data={"csrf_token": token(organiser_client), "format": "csv"}
    ).get_data()
    viewer = app.test_client()
    make_organiser(app, "viewer@campaign.example", "viewer")
    log_in(viewer, "viewer@campaign.example")
    assert "Personal data seen today" not in viewer.get("/organisers/").text
    assert "Personal data seen today" not in organiser_client.get("/organisers/").text

    admin = app.test_client()
    log_in(admin, ADMIN_EMAIL)
    html = admin.get("/organisers/").text
    assert "Personal data seen today" in html
    row = re.search(
        r"<tr>\s*<td[^>]*><a[^>]*>organiser@campaign.example</a></td>(.*?)</tr>", html, re.S
    )
    assert row, html
    cells = re.findall(r'class="num">([\d,]+)</td>', row.group(1))
    # list pages, records opened, records shown, refusals, exports, rows exported
    assert cells == ["2", "0", "51", "0", "1", "130"]


def test_viewers_and_moderators_see_numbers_but_no_people(app, client):
    with app.app_context():
        referrer = add_supporter(first_name="Rhoda", last_name="Referrer", referral_code="rhoda001")
        add_supporter(referred_by="rhoda001")
        hidden = add_supporter(
            first_name="Quiet",
            last_name="Referrer",
            referral_code="quiet001",
            bulletin_consent=False,
        )
        add_supporter(referred_by="quiet001")
        db.session.commit()
        assert referrer.id and hidden.id
    for role, sees in (
        ("viewer", set()),
        ("moderator", set()),
        ("organiser", {"Rhoda"}),
        ("admin", {"Rhoda", "Quiet"}),
    ):
        browser = app.test_client()
        make_organiser(app, f"{role}@example.net", role)
        log_in(browser, f"{role}@example.net")
        html = browser.get("/organisers/").text
        assert "confirmed signatures" in html, role
        assert {n for n in ("Rhoda", "Quiet") if n in html} == sees, role
        assert browser.get("/organisers/supporters").status_code == (
            200 if role in ("organiser", "admin") else 403
        )
        assert browser.get("/organisers/groups").status_code == (200 if role != "viewer" else 403)


def test_every_export_from_the_web_is_announced_to_the_other_admins(
    app, organiser_client, crowd, mailbox, deliver_mail
):
    response = organiser_client.post(
        "/organisers/export", data={"csrf_token": token(organiser_client), "format": "csv"}
    )
    assert response.status_code == 200 and response.headers["X-Export-Rows"] == "130"
    assert response.get_data().count(b"@example.org") == 130  # the stream read to its end
    deliver_mail()
    for admin in (ADMIN_EMAIL, SECOND_ADMIN):
        [message] = mailbox.to(admin)
        assert f"{ORGANISER_EMAIL} exported 130 supporters" in message["Subject"]
        assert "did not agree" not in mailbox.text(message)
    # An admin exporting everyone: the other admin hears of it, with the scope.
    mailbox.messages.clear()
    admin = app.test_client()
    log_in(admin, ADMIN_EMAIL)
    everyone = admin.post(
        "/organisers/export",
        data={
            "csrf_token": token(admin),
            "format": "csv",
            "scope": "all",
            "reason": "subject access request 42",
        },
    )
    assert everyone.get_data().count(b"@example.org") == 200
    deliver_mail()
    assert mailbox.to(ADMIN_EMAIL) == []
    [message] = mailbox.to(SECOND_ADMIN)
    assert "including people who did not agree to be contacted" in mailbox.text(message)
