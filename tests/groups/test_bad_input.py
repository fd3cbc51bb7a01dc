"""Bad input of every kind: a clear message, a 4xx, and nothing changed (SPEC section 10)."""

from __future__ import annotations

import re
import time

import pytest
from itsdangerous import TimestampSigner

from campaign import create_app
from campaign.extensions import db
from campaign.groups.models import SUBMITTED, Group
from campaign.groups.services import CONFIRM_PURPOSE, WITHDRAW_PURPOSE
from campaign.security import make_token
from tests.support.data import affiliation
from tests.support.reads import group_rows, outbox_count
from tests.support.web import csrf_from

FOURTH = {"representatives-3-name": "Dee Four", "representatives-3-email": "dee@example.org"}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"website": "javascript:alert(1)"}, "must be an http:// or https:// address"),
        ({"website": "ftp://files.example.org/"}, "must be an http:// or https:// address"),
        ({"website": "data:text/html,<script>alert(1)</script>"}, "http:// or https://"),
        ({"website": "https://"}, "full address"),
        ({"website": "http://localhost/"}, "full address"),
        ({"website": "https://user:pw@example.org/"}, "without a user name"),
        ({"website": "https://exa mple.org/"}, "cannot contain spaces"),
        ({"website": "https://example.org:99999/"}, "starting with http:// or https://"),
        ({"website": "https://" + "a" * 300 + ".org"}, "300 characters"),
        (FOURTH, "at most 3 representatives"),
        (
            {"representatives-7-name": "Seventh", "representatives-7-email": "s@example.org"},
            "at most 3 representatives",
        ),
        ({"kind": "secret-society"}, "Choose one of the kinds of group listed"),
        ({"kind": ""}, "Choose the kind of group"),
        ({"region": "atlantis"}, "Choose one of the regions listed"),
        ({"region": None}, "Choose your region"),
        ({"name": ""}, "Enter the name of your group"),
        ({"name": "x" * 151}, "2 to 150 characters"),
        ({"statement": "x" * 1001}, "1000 characters"),
        ({"decided_how": "y" * 501}, "500 characters"),
        ({"town": "t" * 101}, "100 characters"),
        ({"contact_name": "Rosa\x00Contact"}, "control characters"),
        ({"name": "Leeds\u202eLeft"}, "control characters"),
        ({"statement": "fine\x07bell"}, "control characters"),
        ({"decided_how": None}, "how your group decided"),
        ({"contact_email": "not-an-address"}, "valid e-mail address"),
        ({"contact_email": ""}, "contact's e-mail address"),
        ({"contact_phone": "call me maybe"}, "phone number"),
        ({"members": "-5"}, "from 0 to 10,000,000"),
        ({"members": "lots"}, "integer"),
        ({"members": "99999999999999999999"}, "from 0 to 10,000,000"),
        ({"representatives-0-email": ""}, "representative's e-mail address"),
        ({"representatives-0-name": ""}, "representative's name"),
        ({"representatives-1-name": "Bo", "representatives-1-email": "bo@"}, "valid e-mail"),
    ],
)
def test_bad_affiliation_is_refused_with_a_clear_message(app, post_affiliation, overrides, message):
    for htmx in (False, True):
        response = post_affiliation(htmx=htmx, **overrides)
        assert response.status_code == 422
        assert message in response.text.replace("&#39;", "'")
        assert 'role="alert"' in response.text
        assert ("<html" in response.text) is not htmx  # the fragment for htmx
        assert "HX-Request" in response.headers["Vary"]
    assert group_rows(app) == []
    assert outbox_count(app) == 0


def test_errors_are_tied_to_their_fields(post_affiliation):
    html = post_affiliation(website="ftp://x.example.org", name="").text
    assert 'aria-describedby="website-hint website-error" aria-invalid="true"' in html
    assert '<p class="field-error" id="website-error">' in html
    assert '<a href="#website">' in html and '<a href="#name">' in html


def test_three_representatives_are_accepted_and_stored_in_order(app, post_affiliation):
    reps = {
        "representatives-0-name": "Ada One",
        "representatives-0-email": "ada@example.org",
        "representatives-1-name": "",
        "representatives-1-email": "",
        "representatives-2-name": "Cy Three",
        "representatives-2-email": "cy@EXAMPLE.org",
    }
    assert post_affiliation(**reps).status_code == 303
    [group] = group_rows(app)
    assert [(r.position, r.name, r.email) for r in group.representatives] == [
        (1, "Ada One", "ada@example.org"),
        (2, "Cy Three", "cy@example.org"),
    ]


def test_no_representatives_is_fine(app, post_affiliation):
    empty = {"representatives-0-name": "", "representatives-0-email": ""}
    assert post_affiliation(**empty).status_code == 303
    assert group_rows(app)[0].representatives == []


def test_website_without_scheme_gets_https(app, post_affiliation):
    assert post_affiliation(website="www.leedsleft.example.org").status_code == 303
    assert group_rows(app)[0].website == "https://www.leedsleft.example.org"


def test_missing_csrf_token_is_refused(app, client):
    response = client.post("/groups/affiliate", data=affiliation())
    assert response.status_code == 400
    assert "This form had expired or was not sent from this site" in response.text
    assert group_rows(app) == []


def test_broken_utf8_is_refused(app, client):
    token = csrf_from(client.get("/groups/affiliate").text)
    body = f"csrf_token={token}&name=Le".encode() + b"\xffeds&kind=clp"
    response = client.post(
        "/groups/affiliate", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert "characters we could not read" in response.text
    assert group_rows(app) == []


@pytest.mark.parametrize(
    ("replaced", "part"),
    [
        ("name", b'name="name"\r\n\r\nLe\xffeds'),  # a field value that is not UTF-8
        ("town", b'name="t\xffown"\r\n\r\nLeeds'),  # a field name that is not UTF-8
        ("statement", b'name="statement"\r\n\r\nWe \xef\xbf\xbd'),  # U+FFFD as such
    ],
)
def test_broken_utf8_in_a_multipart_body_is_refused(app, client, replaced, part):
    # A browser may send the form as multipart/form-data: the same bytes, the same answer.
    token = csrf_from(client.get("/groups/affiliate").text)
    fields = {**affiliation(), "csrf_token": token}
    del fields[replaced]
    boundary = b"----campaign-test-boundary"
    parts = [
        b'Content-Disposition: form-data; name="%s"\r\n\r\n%s' % (k.encode(), v.encode())
        for k, v in fields.items()
    ]
    parts.append(b"Content-Disposition: form-data; " + part)
    body = b"".join(b"--" + boundary + b"\r\n" + p + b"\r\n" for p in parts)
    body += b"--" + boundary + b"--\r\n"
    response = client.post(
        "/groups/affiliate",
        data=body,
        content_type="multipart/form-data; boundary=" + boundary.decode(),
    )
    assert response.status_code == 400
    assert "characters we could not read" in response.text
    assert group_rows(app) == [] and outbox_count(app) == 0


def test_a_multipart_body_is_read_like_a_url_encoded_one(app, client):
    # The guard above must not refuse a good multipart body: it is stored as sent.
    token = csrf_from(client.get("/groups/affiliate").text)
    response = client.post(
        "/groups/affiliate",
        data={**affiliation(name="Łódź Left Café"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    assert [g.name for g in group_rows(app)] == ["Łódź Left Café"]


def test_honeypot_gets_the_same_answer_and_stores_nothing(app, post_affiliation):
    response = post_affiliation(fax_number="0800 BOT")
    assert response.status_code == 303
    assert group_rows(app) == [] and outbox_count(app) == 0


def test_oversized_request_is_refused(app, post_affiliation):
    response = post_affiliation(statement="x" * 300_000)
    assert response.status_code == 413
    assert group_rows(app) == []


# --- the links in the e-mails -----------------------------------------------------------


def tokens_for(app, group_id: int, age_days: float = 0) -> dict[str, str]:
    """Confirm and withdraw tokens for a group, made `age_days` ago."""
    real = TimestampSigner.get_timestamp
    TimestampSigner.get_timestamp = lambda self: int(time.time() - age_days * 86400)
    try:
        with app.test_request_context():
            return {
                "confirm": make_token(CONFIRM_PURPOSE, {"group": group_id}),
                "withdraw": make_token(WITHDRAW_PURPOSE, {"group": group_id}),
            }
    finally:
        TimestampSigner.get_timestamp = real


@pytest.mark.parametrize("action", ["confirm", "withdraw"])
@pytest.mark.parametrize(
    ("make_path", "status", "message"),
    [
        (lambda t, a: f"/groups/{a}/{t[a]}x", 400, "This link is not valid"),
        (lambda t, a: f"/groups/{a}/{t[a][:-6]}", 400, "This link is not valid"),
        (lambda t, a: f"/groups/{a}/not-a-token", 400, "This link is not valid"),
        (lambda t, a: f"/groups/{a}/" + "A" * 2000, 400, "This link is not valid"),
        # A genuine token for the other purpose does not work here.
        (
            lambda t, a: f"/groups/{a}/{t['withdraw' if a == 'confirm' else 'confirm']}",
            400,
            "This link is not valid",
        ),
    ],
)
def test_forged_links_change_nothing(app, client, make_group, action, make_path, status, message):
    group_id = make_group()
    path = make_path(tokens_for(app, group_id), action)
    token = csrf_from(client.get("/groups/affiliate").text)
    for response in (client.get(path), client.post(path, data={"csrf_token": token})):
        assert response.status_code == status
        assert message in response.text
    assert group_rows(app)[0].status == SUBMITTED


def test_token_for_a_missing_group_is_404(app, client):
    with app.test_request_context():
        token = make_token(CONFIRM_PURPOSE, {"group": 999})
        odd = make_token(CONFIRM_PURPOSE, ["not", "a", "dict"])
    assert "no longer exists" in client.get(f"/groups/confirm/{token}").text
    assert client.get(f"/groups/confirm/{token}").status_code == 404
    assert client.get(f"/groups/confirm/{odd}").status_code == 404


def test_expired_confirm_link_changes_nothing(app, client, make_group):
    group_id = make_group()
    path = f"/groups/confirm/{tokens_for(app, group_id, age_days=8)['confirm']}"
    token = csrf_from(client.get("/groups/affiliate").text)
    for response in (client.get(path), client.post(path, data={"csrf_token": token})):
        assert response.status_code == 400
        assert "This link has expired" in response.text
        assert "7 days" in response.text
    assert group_rows(app)[0].status == SUBMITTED


def test_withdraw_link_lasts_a_year(app, client, make_group):
    group_id = make_group()
    fresh_enough = tokens_for(app, group_id, age_days=300)["withdraw"]
    assert client.get(f"/groups/withdraw/{fresh_enough}").status_code == 200
    too_old = tokens_for(app, group_id, age_days=400)["withdraw"]
    response = client.get(f"/groups/withdraw/{too_old}")
    assert response.status_code == 400 and "This link has expired" in response.text


def test_link_posts_need_the_csrf_token(app, client, make_group):
    group_id = make_group()
    tokens = tokens_for(app, group_id)
    for action in ("confirm", "withdraw"):
        response = client.post(f"/groups/{action}/{tokens[action]}")
        assert response.status_code == 400
    assert group_rows(app)[0].status == SUBMITTED


def test_affiliating_is_rate_limited(app, database_url, smtp_server, tmp_path):
    limited = create_app(
        {
            **{k: app.config[k] for k in ("SECRET_KEY", "SITE_URL", "SERVER_NAME")},
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "MAIL_TRANSPORT": "smtp",
            "MAIL_SERVER": smtp_server.host,
            "MAIL_PORT": smtp_server.port,
            "MAIL_SEND_INLINE": False,
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
        },
        instance_path=str(tmp_path / "limited"),
    )
    client = limited.test_client()
    token = csrf_from(client.get("/groups/affiliate").text)
    statuses = [
        client.post(
            "/groups/affiliate",
            data={"csrf_token": token, **affiliation(contact_email=f"c{n}@example.org")},
        ).status_code
        for n in range(6)
    ]
    assert statuses == [303] * 5 + [429]
    refused = client.post("/groups/affiliate", data={"csrf_token": token, **affiliation()})
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert "try again in about" in refused.text
    with limited.app_context():
        assert db.session.query(Group).count() == 5
        db.session.remove()
        db.engine.dispose()


def test_absurd_representative_index_is_refused_not_a_500(app, client):
    token = csrf_from(client.get("/groups/affiliate").text)
    data = {**affiliation(), "csrf_token": token, "representatives-" + "9" * 5000 + "-name": "X"}
    response = client.post("/groups/affiliate", data=data)
    assert 400 <= response.status_code < 500
    assert group_rows(app) == []


def test_unreadable_percent_escapes_in_a_group_form_are_refused(app, client):
    token = csrf_from(client.get("/groups/affiliate").text)
    body = f"csrf_token={token}&name=Left%ff%feGroup&kind=other&region=london"
    response = client.post(
        "/groups/affiliate",
        data=body,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert "could not read" in response.text
    assert group_rows(app) == []


def test_group_link_pages_are_not_cached(app, client, mailbox, deliver_mail, post_affiliation):
    assert post_affiliation().status_code == 303
    deliver_mail()
    [message] = mailbox.to("rosa.contact@example.org")
    confirm = next(u for u in mailbox.links(message) if "/groups/confirm/" in u)
    response = client.get(re.sub(r"^http://localhost", "", confirm))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_a_withdraw_id_beyond_the_database_is_refused(client):
    assert client.post("/groups/withdraw/x" + "9" * 30).status_code in (400, 404)
