"""The sign form: page, no-JS and htmx paths, what is stored, referral codes, honeypot."""

import re

import pytest

from campaign import create_app
from campaign.appeal.services import is_referral_code
from campaign.extensions import limiter
from tests.support.data import form_data
from tests.support.reads import snapshot, supporters
from tests.support.web import HTMX, csrf_from, sign, visible_text


def test_appeal_page_has_text_and_form(client, app):
    response = client.get("/appeal")
    assert response.status_code == 200
    html = response.text
    assert html.count("<h1") == 1
    assert "Labour belongs to us" in html  # the appeal text from content/appeal.md
    assert 'hx-post="/appeal"' in html and 'name="csrf_token"' in html
    for name in (
        "first_name",
        "last_name",
        "email",
        "postcode",
        "outside_uk",
        "country",
        "labour_member",
        "trade_union",
        "reason",
        "show_publicly",
        "bulletin",
    ):
        assert f'name="{name}"' in html
    assert '<datalist id="unions">' in html and 'value="UNISON"' in html
    # Both consents are off by default.
    assert not re.search(r'name="(show_publicly|bulletin)"[^>]*checked', html)
    for field_id in ("first_name", "last_name", "email", "postcode", "reason"):
        assert f'<label for="{field_id}">' in html
    assert "<script>" not in html and 'style="' not in html


def test_no_js_sign_redirects_to_thanks_with_region_and_share_links(client, app):
    response = sign(client, bulletin="y", show_publicly="y")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/appeal/thanks?t=")
    thanks = client.get(response.headers["Location"])
    assert thanks.status_code == 200
    text = visible_text(thanks.text)
    assert "check your e-mail" in text.lower()
    assert "London" in text  # the region of SW1A, shown for confirmation
    [row] = supporters(app)
    assert row.email == "ada@example.org" and row.postcode == "SW1A 1AA"
    assert row.region == "london" and row.country is None
    assert row.first_name == "Ada" and row.labour_member == "yes"
    assert row.show_publicly and row.bulletin_consent
    assert row.signed_at and row.confirmed_at is None
    assert row.ip_hash and len(row.ip_hash) == 64 and "127.0.0.1" not in row.ip_hash
    assert f"ref={row.referral_code}" in thanks.text
    for host in ("wa.me", "bsky.app", "x.com", "facebook.com", "mailto:"):
        assert host in thanks.text


def test_htmx_sign_returns_thanks_fragment(client, app):
    response = sign(client, headers=HTMX)
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    assert "<html" not in response.text
    assert 'id="sign-form"' in response.text and "check your e-mail" in response.text.lower()
    [row] = supporters(app)
    assert f"ref={row.referral_code}" in response.text


def test_htmx_validation_error_returns_form_fragment_422(client, app):
    response = sign(client, headers=HTMX, first_name="", email="not-an-address")
    assert response.status_code == 422
    assert "<html" not in response.text
    assert 'role="alert"' in response.text
    assert "Enter your first name." in response.text
    assert "valid e-mail address" in response.text
    assert 'value="Lovelace"' in response.text  # what was typed is kept
    assert supporters(app) == []


def test_no_js_validation_error_renders_whole_page_422(client, app):
    response = sign(client, labour_member=None)
    assert response.status_code == 422
    assert "<html" in response.text and response.text.count("<h1") == 1
    assert "Say whether you are a Labour Party member." in response.text
    assert supporters(app) == []


def test_outside_uk_keeps_country_not_postcode(client, app):
    response = sign(client, outside_uk="y", country="Ireland", postcode="SW1A 1AA")
    assert response.status_code == 303
    [row] = supporters(app)
    assert row.country == "Ireland" and row.postcode is None and row.region is None
    assert "Ireland" in client.get(response.headers["Location"]).text


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"postcode": ""}, "tick “I live outside the UK”"),
        ({"postcode": "12345"}, "Enter a UK postcode"),
        ({"postcode": "GY1 1AA"}, "We do not recognise that postcode area"),
        ({"outside_uk": "y", "country": ""}, "Enter the country you live in."),
        ({"outside_uk": "y", "country": "England"}, "If you live in the UK"),
    ],
)
def test_where_you_live_is_checked(client, app, overrides, message):
    response = sign(client, **overrides)
    assert response.status_code == 422
    assert message in response.text
    assert supporters(app) == []


def test_unicode_names_are_welcome(client, app):
    assert sign(client, first_name="  Siân  ", last_name="Ó Súilleabháin-Łukasz").status_code == 303
    [row] = supporters(app)
    assert (row.first_name, row.last_name) == ("Siân", "Ó Súilleabháin-Łukasz")


def test_region_check_on_blur(client):
    assert "London" in client.get("/appeal/region?postcode=sw1a1aa").text
    assert "Scotland" in client.get("/appeal/region?postcode=EH1 1YZ").text
    assert "does not look like a UK postcode" in client.get("/appeal/region?postcode=zzz").text


def test_referral_code_attributes_signature(client, app):
    sign(client)
    [referrer] = supporters(app)
    page = client.get(f"/appeal?ref={referrer.referral_code}")
    assert f'value="{referrer.referral_code}"' in page.text  # kept through the form
    response = sign(
        client,
        page=f"/appeal?ref={referrer.referral_code}",
        email="bob@example.org",
        ref=referrer.referral_code,
    )
    assert response.status_code == 303
    bob = supporters(app)[1]
    assert bob.referred_by == referrer.referral_code
    assert is_referral_code(bob.referral_code) and bob.referral_code != referrer.referral_code


@pytest.mark.parametrize("ref", ["zzzzzzzz", "<script>", "x" * 500])
def test_unknown_or_malformed_referral_codes_are_ignored(client, app, ref):
    page = client.get("/appeal", query_string={"ref": ref})
    assert page.status_code == 200 and "<script>" not in page.text
    assert sign(client, ref=ref).status_code == 303
    [row] = supporters(app)
    assert row.referred_by is None


def test_honeypot_looks_like_success_but_stores_nothing(client, app, deliver_mail, mailbox):
    before = snapshot(app)
    response = sign(client, website="http://spam.example")
    assert response.status_code == 303
    assert "check your e-mail" in client.get(response.headers["Location"]).text.lower()
    htmx = sign(client, headers=HTMX, website="http://spam.example")
    assert htmx.status_code == 200 and "check your e-mail" in htmx.text.lower()
    assert snapshot(app) == before
    deliver_mail()
    assert mailbox.messages == []


def test_thanks_page_without_or_with_forged_token_still_thanks(client):
    for url in ("/appeal/thanks", "/appeal/thanks?t=forged"):
        response = client.get(url)
        assert response.status_code == 200
        assert "/appeal?ref=" not in response.text


def test_sign_is_rate_limited(app, tmp_path):
    # Flask-Limiter reads RATELIMIT_ENABLED when the app is built, so build one with it on.
    limited = create_app(
        {**app.config, "RATELIMIT_ENABLED": True, "APPEAL_SIGN_RATE_LIMIT": "2/minute"},
        instance_path=str(tmp_path / "limited"),
    )
    with limited.app_context():  # the counters live in the database (or Redis)
        limiter.reset()
    client = limited.test_client()
    token = csrf_from(client.get("/appeal").text)
    statuses = [
        client.post(
            "/appeal", data={"csrf_token": token, **form_data(email=f"p{n}@example.org")}
        ).status_code
        for n in range(3)
    ]
    assert statuses == [303, 303, 429]
    assert len(supporters(app)) == 2
    assert client.get("/appeal").status_code == 200  # reading the page is not limited
    with limited.app_context():
        limiter.reset()


def test_links_in_e_mails_ignore_a_forged_host_header(app, client, mailbox, deliver_mail):
    forged_host = {"Host": "evil.example"}
    app.config["SERVER_NAME"] = None  # accept any Host, as a real deployment behind a proxy
    page = client.get("/appeal", headers=forged_host)
    response = client.post(
        "/appeal",
        headers=forged_host,
        data={
            "csrf_token": csrf_from(page.text),
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "ada@example.org",
            "postcode": "SW1A 1AA",
            "labour_member": "yes",
        },
    )
    assert response.status_code == 303, response.text[:500]
    deliver_mail()
    [message] = mailbox.to("ada@example.org")
    links = mailbox.links(message)
    assert links and all(link.startswith("http://localhost/") for link in links)
    assert "evil.example" not in message.as_string()
