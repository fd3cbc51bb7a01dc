"""The dashboard: totals from the tallies, two SVG charts, referrers, queue, outbox."""

from __future__ import annotations

from campaign.extensions import db
from campaign.mail.models import FAILED, QUEUED, OutboxMessage
from campaign.tally import count_group, count_signature
from tests.support.factories import add_group, add_supporter


def test_dashboard_shows_the_numbers(app, organiser_client):
    with app.app_context():
        referrer = add_supporter(
            first_name="Rosa", last_name="Referrer", region="wales", postcode="CF10 1AA"
        )
        count_signature(referrer, +1)
        for _ in range(3):
            person = add_supporter(referred_by=referrer.referral_code)
            count_signature(person, +1)
        add_supporter(confirmed_at=None, bulletin_consent=False)
        approved = add_group(status="approved")
        count_group(approved, +1)
        add_group(name="Awaiting Group", duplicate_of_id=approved.id, duplicate_reason="same name")
        for status in (QUEUED, QUEUED, FAILED):
            db.session.add(
                OutboxMessage(
                    recipient="x@example.org",
                    subject="s",
                    text_body="t",
                    html_body="h",
                    headers={},
                    status=status,
                )
            )
        db.session.commit()
    page = organiser_client.get("/organisers/")
    assert page.status_code == 200
    html = page.text
    assert html.count("<h1") == 1
    assert "<strong>4</strong> confirmed signatures" in html
    assert "<strong>1</strong> approved groups" in html
    assert "<strong>1</strong> waiting to confirm" in html
    assert "<strong>1</strong> groups awaiting review" in html
    assert "<strong>2</strong> e-mails queued" in html and ">1</strong> failed" in html
    assert html.count("<svg viewBox") == 2 and 'role="img"' in html
    assert "4 confirmed in the last 30 days" in html
    assert "Rosa Referrer</a>: 3 signatures" in html
    assert "Awaiting Group" in html and "possible duplicate" in html
    assert "style=" not in html and "<script>" not in html
