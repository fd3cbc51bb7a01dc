"""The public count log: daily entries, hash-chained exactly as published, checkable by
anyone; `flask counters verify-log` finds a tampered entry."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from html import unescape

import sqlalchemy as sa

from campaign.counters.countlog import (
    CountLogEntry,
    canonical_json,
    entry_hash,
    log_entries,
    take_snapshot,
    verify_chain,
)
from campaign.extensions import db
from campaign.scheduler import JOBS, run_due_jobs
from tests.support.factories import approve, confirm_everyone, group, make_organiser, signed
from tests.support.web import FLOOD, csrf_from, log_in, sign_from

DAY1 = dt.datetime(2026, 11, 28, 23, 0)


def days(app, n: int = 3) -> list[dict]:
    """Snapshots on n consecutive days, with signatures and groups growing."""
    with app.app_context():
        for i in range(n):
            signed(i + 1)
            approve(group("momentum-branch"))
            db.session.commit()
            assert take_snapshot(DAY1 + dt.timedelta(days=i)).written
        return log_entries()


def test_each_entry_is_chained_exactly_as_the_issue_specifies(app):
    entries = days(app)
    assert [e["day"] for e in entries] == ["2026-11-28", "2026-11-29", "2026-11-30"]
    assert entries[0]["prev"] is None
    for before, entry in zip(entries, entries[1:], strict=False):
        assert entry["prev"] == before["hash"]
    for entry in entries:
        without = {k: v for k, v in entry.items() if k != "hash"}
        text = json.dumps(without, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert entry["hash"] == hashlib.sha256(text.encode("utf-8")).hexdigest()
    last = entries[-1]
    assert last["signatures"] == {"online": 6, "paper": 0, "total": 6}
    assert last["groups"]["total"] == 3 and last["groups"]["by_kind"]["momentum-branch"] == 3
    assert last["invalidated"] == {"total": 0, "by_reason": {}}
    # Counts only: no name, address or anything else about a person.
    assert "@" not in canonical_json(last) and "Ada" not in canonical_json(last)
    assert verify_chain(entries).intact


def test_a_second_run_the_same_day_changes_nothing(app, runner):
    with app.app_context():
        first = take_snapshot(DAY1)
        signed(5)
        db.session.commit()
        again = take_snapshot(DAY1 + dt.timedelta(minutes=50))
        assert first.written and not again.written
        assert again.entry == first.entry
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CountLogEntry)) == 1
    result = runner.invoke(args=["counters", "snapshot"])
    assert result.exit_code == 0 and "Wrote the count log entry" in result.output
    result = runner.invoke(args=["counters", "snapshot"])
    assert result.exit_code == 0 and "nothing changed" in result.output


def test_verify_log_passes_then_names_the_first_tampered_entry(app, runner):
    days(app, 4)
    result = runner.invoke(args=["counters", "verify-log"])
    assert result.exit_code == 0, result.output
    assert "intact: 4 entries" in result.output

    # Someone with database access makes day 2 look better.
    with app.app_context():
        row = db.session.scalar(
            sa.select(CountLogEntry).where(CountLogEntry.day == dt.date(2026, 11, 29))
        )
        entry = json.loads(row.body)
        entry["signatures"]["online"] += 1000
        row.body = canonical_json(entry)
        db.session.commit()
    result = runner.invoke(args=["counters", "verify-log"])
    assert result.exit_code == 1
    assert "broken at entry 2 (day 2026-11-29)" in result.output
    assert "does not match its content" in result.output

    # ...and re-hashes it: now the next entry's link gives it away.
    with app.app_context():
        row = db.session.scalar(
            sa.select(CountLogEntry).where(CountLogEntry.day == dt.date(2026, 11, 29))
        )
        entry = json.loads(row.body)
        entry["hash"] = entry_hash(entry)
        row.body = canonical_json(entry)
        db.session.commit()
    result = runner.invoke(args=["counters", "verify-log"])
    assert result.exit_code == 1
    assert "broken at entry 3 (day 2026-11-30)" in result.output
    assert "prev is not the hash" in result.output


def test_a_removed_entry_breaks_the_chain(app):
    entries = days(app, 3)
    check = verify_chain([entries[0], entries[2]])
    assert not check.intact and check.broken_index == 1 and check.broken_day == "2026-11-30"


def test_the_page_code_verifies_the_published_json(app, client, monkeypatch):
    days(app, 3)
    page = client.get("/numbers/log")
    assert page.status_code == 200
    assert "all 3 entries hold together" in page.text
    code = unescape(
        re.search(r'<pre class="code-block"><code>(.*?)</code></pre>', page.text, re.S)[1]
    )
    published = client.get("/numbers/log.json")
    assert published.status_code == 200 and published.mimetype == "application/json"
    assert "Set-Cookie" not in published.headers

    served = {"data": published.data}

    class Fetched:  # urllib.request.urlopen, answered by what the site published
        def __init__(self, url: str):
            assert url == "http://localhost/numbers/log.json"
            self.data = served["data"]

        def read(self, *args) -> bytes:
            return self.data

    import urllib.request

    monkeypatch.setattr(urllib.request, "urlopen", Fetched)
    printed: list[str] = []
    exec(code, {"print": lambda *a: printed.append(" ".join(map(str, a)))})  # noqa: S102
    assert printed and printed[0].startswith("intact: 3 entries")

    # The same code refuses a tampered copy.
    log = json.loads(published.data)
    log["entries"][1]["groups"]["total"] = 99
    served["data"] = json.dumps(log).encode()
    try:
        exec(code, {"print": print})  # noqa: S102
    except AssertionError as exc:
        assert "2026-11-29 altered" in str(exc)
    else:
        raise AssertionError("the page's code accepted a tampered log")


def test_the_snapshot_is_a_scheduled_job(app):
    assert "count-log-snapshot" in JOBS
    with app.app_context():
        summaries = run_due_jobs(DAY1)
        assert "wrote the count log entry for 2026-11-28" in summaries["count-log-snapshot"]
        assert len(log_entries()) == 1


def test_paper_signatures_are_logged_apart_from_online_ones(app):
    from campaign.paper.services import record_batch

    with app.app_context():
        signed(2)
        record_batch(dt.date(2026, 11, 27), "Market stall", 25, by="organiser@example.org")
        db.session.commit()
        entry = take_snapshot(DAY1).entry
    assert entry["signatures"] == {"online": 2, "paper": 25, "total": 27}


def test_sign_ups_invalidated_at_the_abuse_desk_are_logged_by_reason_counts_only(app, client):
    for n in range(4):
        sign_from(app, FLOOD, f"bot{n}@junk.example")
    sign_from(app, "192.0.2.1", "real@example.org")
    confirm_everyone(app)
    with app.app_context():
        from campaign.security import hash_ip

        flood = hash_ip(FLOOD)
    make_organiser(app, "mod@campaign.example", "moderator")
    log_in(client, "mod@campaign.example")
    preview = client.get(f"/organisers/abuse/preview?hours=24&client={flood}&action=invalidate")
    fingerprint = re.search(r'name="fingerprint"[^>]*value="([0-9a-f]+)"', preview.text)[1]

    done = client.post(
        "/organisers/abuse/apply",
        data={
            "csrf_token": csrf_from(preview.text),
            "hours": "24",
            "client": flood,
            "action": "invalidate",
            "fingerprint": fingerprint,
        },
    )
    assert done.status_code == 303
    with app.app_context():
        entry = take_snapshot(DAY1).entry
    assert entry["signatures"]["online"] == 1
    assert entry["invalidated"] == {
        "total": 4,
        "by_reason": {"flood from one client address": 4},
    }
    text = canonical_json(entry)
    assert "junk.example" not in text and flood not in text and FLOOD not in text
