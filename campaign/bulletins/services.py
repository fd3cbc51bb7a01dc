"""Writing, testing, scheduling and sending bulletins; the public archive.

Sending never writes a whole audience in one go: `expand_bulletin` walks the subscribers
by id in batches, and in one transaction per batch inserts a delivery per supporter
(INSERT ... ON CONFLICT DO NOTHING against the unique (bulletin, supporter) pair) and an
outbox message for each delivery it really inserted. A process killed mid-batch leaves
nothing of that batch; two processes racing for one batch insert each delivery once.
The outbox then sends the messages in its bulk lane, at the configured rate, after any
confirmation that is waiting.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from campaign.appeal.models import Supporter
from campaign.appeal.services import manage_url, unsubscribe_url
from campaign.bulletins.models import DRAFT, SCHEDULED, SENDING, SENT, Bulletin, BulletinDelivery
from campaign.extensions import db
from campaign.mail.models import BULK, FAILED, QUEUED, OutboxMessage
from campaign.mail.models import SENDING as MESSAGE_SENDING
from campaign.mail.models import SENT as MESSAGE_SENT
from campaign.mail.services import queue_email
from campaign.models import rows_changed, utcnow
from campaign.safe_markdown import Rendered, refuse_unwritten, render_parts
from campaign.scheduler import scheduled_job
from campaign.urls import external_url

EXPAND_BATCH = 500
LEASE = dt.timedelta(minutes=2)
EMAIL_TEMPLATE = "bulletins/email/bulletin"


class BulletinRefused(ValueError):
    """The bulletin cannot be sent or changed as asked; the message says why."""


@dataclass(frozen=True)
class BulletinDraft:
    """What the bulletin form collects, validated and cleaned."""

    subject: str
    body_markdown: str
    region: str | None = None
    labour_member: str | None = None
    private: bool = False


@dataclass(frozen=True)
class Progress:
    """Where a bulletin's sending stands, for its page."""

    status: str
    audience: int | None
    queued: int
    sent: int
    failed: int

    @property
    def done(self) -> bool:
        return self.status == SENT and self.queued == 0

    @property
    def total(self) -> int:
        return self.queued + self.sent + self.failed


# --- the audience ----------------------------------------------------------------------


def audience_filter(region: str | None, labour_member: str | None) -> sa.ColumnElement[bool]:
    """Confirmed bulletin subscribers (optionally of one region / member status)."""
    condition = sa.and_(
        Supporter.bulletin_consent.is_(True),
        Supporter.unsubscribed_at.is_(None),
        Supporter.confirmed_at.is_not(None),
    )
    if region:
        condition = sa.and_(condition, Supporter.region == region)
    if labour_member:
        condition = sa.and_(condition, Supporter.labour_member == labour_member)
    return condition


def count_audience(region: str | None = None, labour_member: str | None = None) -> int:
    """How many people a bulletin to this audience would reach now."""
    return (
        db.session.scalar(
            sa.select(sa.func.count(Supporter.id)).where(audience_filter(region, labour_member))
        )
        or 0
    )


# --- drafts ----------------------------------------------------------------------------


def _check(draft: BulletinDraft) -> None:
    message = "A bulletin needs a subject and a body."
    refuse_unwritten(BulletinRefused, message, draft.body_markdown, draft.subject)


def create_bulletin(draft: BulletinDraft, by: str) -> Bulletin:
    """A new draft bulletin (added to the session; the caller commits)."""
    _check(draft)
    bulletin = Bulletin(
        subject=draft.subject,
        body_markdown=draft.body_markdown,
        region=draft.region,
        labour_member=draft.labour_member,
        private=draft.private,
        status=DRAFT,
        created_by=by,
    )
    db.session.add(bulletin)
    db.session.flush()
    return bulletin


def update_bulletin(bulletin: Bulletin, draft: BulletinDraft) -> None:
    """Change a draft; a bulletin that is scheduled or sent cannot change."""
    if bulletin.status != DRAFT:
        raise BulletinRefused("Only a draft can be changed. Cancel the schedule first.")
    _check(draft)
    bulletin.subject = draft.subject
    bulletin.body_markdown = draft.body_markdown
    bulletin.region = draft.region
    bulletin.labour_member = draft.labour_member
    bulletin.private = draft.private
    bulletin.updated_at = utcnow()


# --- the message -----------------------------------------------------------------------


def web_url(bulletin: Bulletin) -> str | None:
    """The bulletin's page in the public archive, unless it is private."""
    return (
        None
        if bulletin.private
        else external_url("bulletins.archive_post", bulletin_id=bulletin.id)
    )


def _queue_copy(
    bulletin: Bulletin, rendered: Rendered, to: str, lane: str, **links: Any
) -> OutboxMessage:
    return queue_email(
        to,
        bulletin.subject,
        EMAIL_TEMPLATE,
        lane=lane,
        body_html=rendered.html,
        body_text=rendered.text,
        web_url=web_url(bulletin),
        **links,
    )


def send_test(bulletin: Bulletin, to: str) -> OutboxMessage:
    """Queue a copy for the organiser (priority lane); subscribers' links are left out."""
    rendered = render_parts(bulletin.body_markdown)
    message = queue_email(
        to,
        f"[Test] {bulletin.subject}",
        EMAIL_TEMPLATE,
        body_html=rendered.html,
        body_text=rendered.text,
        web_url=web_url(bulletin),
        test_copy=True,
    )
    return message


# --- sending ---------------------------------------------------------------------------


def send_bulletin(bulletin: Bulletin, by: str, at: dt.datetime | None = None) -> int:
    """Send a draft now (at=None) or schedule it for `at` (UTC); returns the audience size.

    Refused (BulletinRefused, nothing changed) for a bulletin that is not a draft, an empty
    audience or a time in the past. The caller records the audit entry and commits.
    """
    now = utcnow()
    if bulletin.status != DRAFT:
        raise BulletinRefused("This bulletin has already been scheduled or sent.")
    _check(
        BulletinDraft(
            bulletin.subject, bulletin.body_markdown, bulletin.region, bulletin.labour_member
        )
    )
    if at is not None and at <= now:
        raise BulletinRefused("Choose a time in the future to schedule the bulletin.")
    size = count_audience(bulletin.region, bulletin.labour_member)
    if size == 0:
        raise BulletinRefused("Nobody is in this audience: choose another region or members.")
    # A conditional UPDATE: of two clicks on "send", one wins and the other is refused.
    values: dict[str, Any] = {"audience_size": size, "sent_by": by, "updated_at": now}
    if at is None:
        values.update(status=SENDING, started_at=now)
    else:
        values.update(status=SCHEDULED, send_at=at)
    result = db.session.execute(
        sa.update(Bulletin)
        .where(Bulletin.id == bulletin.id, Bulletin.status == DRAFT)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if rows_changed(result) != 1:
        raise BulletinRefused("This bulletin has already been scheduled or sent.")
    db.session.refresh(bulletin)
    return size


def cancel_schedule(bulletin: Bulletin) -> None:
    """Take a scheduled bulletin back to a draft (refused once sending has begun)."""
    result = db.session.execute(
        sa.update(Bulletin)
        .where(Bulletin.id == bulletin.id, Bulletin.status == SCHEDULED)
        .values(status=DRAFT, send_at=None, audience_size=None, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if rows_changed(result) != 1:
        raise BulletinRefused("Only a scheduled bulletin can be cancelled; this one has started.")
    db.session.refresh(bulletin)


def _claim(bulletin_id: int, now: dt.datetime) -> bool:
    result = db.session.execute(
        sa.update(Bulletin)
        .where(
            Bulletin.id == bulletin_id,
            Bulletin.status == SENDING,
            sa.or_(Bulletin.lease_until.is_(None), Bulletin.lease_until < now),
        )
        .values(lease_until=now + LEASE)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return rows_changed(result) == 1


def _insert_deliveries(bulletin_id: int, supporter_ids: list[int]) -> list[tuple[int, int]]:
    """Insert the deliveries not yet there; (delivery id, supporter id) of those inserted."""
    dialect = db.session.get_bind().dialect.name
    insert: Any = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    table = BulletinDelivery.__table__
    now = utcnow()
    statement = (
        insert(table)
        .values(
            [
                {"bulletin_id": bulletin_id, "supporter_id": s, "queued_at": now}
                for s in supporter_ids
            ]
        )
        .on_conflict_do_nothing(index_elements=["bulletin_id", "supporter_id"])
        .returning(table.c.id, table.c.supporter_id)
    )
    return [(row[0], row[1]) for row in db.session.execute(statement)]


def _queue_batch(bulletin: Bulletin, rendered: Rendered, supporters: list[Supporter]) -> int:
    inserted = _insert_deliveries(bulletin.id, [s.id for s in supporters])
    by_id = {s.id: s for s in supporters}
    messages = []
    for delivery_id, supporter_id in inserted:
        supporter = by_id[supporter_id]
        message = _queue_copy(
            bulletin,
            rendered,
            supporter.email,  # the stored address, so erasure finds the message
            BULK,
            unsubscribe_url=unsubscribe_url(supporter),
            manage_url=manage_url(supporter),
        )
        messages.append((delivery_id, message))
    db.session.flush()
    if messages:
        table = cast(sa.Table, BulletinDelivery.__table__)
        db.session.execute(
            sa.update(table)
            .where(table.c.id == sa.bindparam("delivery_id"))
            .values(outbox_id=sa.bindparam("message_id")),
            [{"delivery_id": d, "message_id": m.id} for d, m in messages],
        )
    return len(messages)


def expand_bulletin(
    bulletin_id: int,
    now: dt.datetime | None = None,
    batch: int = EXPAND_BATCH,
    max_batches: int | None = None,
) -> int:
    """Queue the bulletin's deliveries batch by batch (one transaction each); how many queued.

    Safe to run in any number of processes at once and to re-run after a crash: a lease on
    the bulletin lets one process work at a time, and the unique (bulletin, supporter)
    pair lets no supporter have two deliveries whatever happens.
    """
    now = now or utcnow()
    if not _claim(bulletin_id, now):
        return 0
    queued = batches = 0
    rendered: Rendered | None = None
    while True:
        bulletin = db.session.get(Bulletin, bulletin_id)
        if bulletin is None or bulletin.status != SENDING:
            return queued
        if rendered is None:
            rendered = render_parts(bulletin.body_markdown)
        supporters = list(
            db.session.scalars(
                sa.select(Supporter)
                .where(
                    audience_filter(bulletin.region, bulletin.labour_member),
                    Supporter.id > bulletin.expanded_through,
                )
                .order_by(Supporter.id)
                .limit(batch)
            )
        )
        if not supporters:
            bulletin.status = SENT
            bulletin.finished_at = utcnow()
            bulletin.lease_until = None
            db.session.commit()
            return queued
        queued += _queue_batch(bulletin, rendered, supporters)
        bulletin.expanded_through = supporters[-1].id
        bulletin.lease_until = max(now, utcnow()) + LEASE
        batches += 1
        if max_batches is not None and batches >= max_batches:
            bulletin.lease_until = None
            db.session.commit()
            return queued
        db.session.commit()


def start_due_bulletins(now: dt.datetime | None = None) -> list[int]:
    """Move scheduled bulletins whose time has come to sending; their ids."""
    now = now or utcnow()
    due = list(
        db.session.scalars(
            sa.select(Bulletin.id).where(Bulletin.status == SCHEDULED, Bulletin.send_at <= now)
        )
    )
    started = []
    for bulletin_id in due:
        result = db.session.execute(
            sa.update(Bulletin)
            .where(Bulletin.id == bulletin_id, Bulletin.status == SCHEDULED)
            .values(status=SENDING, started_at=now)
            .execution_options(synchronize_session=False)
        )
        if rows_changed(result) == 1:
            started.append(bulletin_id)
    db.session.commit()
    return started


def send_due_bulletins(now: dt.datetime | None = None, batch: int = EXPAND_BATCH) -> str | None:
    """Start scheduled bulletins that are due and queue every sending one's deliveries."""
    now = now or utcnow()
    started = start_due_bulletins(now)
    sending = list(db.session.scalars(sa.select(Bulletin.id).where(Bulletin.status == SENDING)))
    db.session.commit()
    queued = sum(expand_bulletin(bulletin_id, now, batch=batch) for bulletin_id in sending)
    if not started and not queued:
        return None
    return f"bulletins: {len(started)} started, {queued} messages queued"


@scheduled_job("send-due-bulletins", every=dt.timedelta(minutes=1))
def send_due_bulletins_job(now: dt.datetime) -> str | None:
    """The worker's minute job: scheduled bulletins start, sending ones are queued."""
    return send_due_bulletins(now)


def progress(bulletin: Bulletin) -> Progress:
    """Queued, sent and failed copies of a bulletin (a purged sent message counts as sent)."""
    rows = db.session.execute(
        sa.select(OutboxMessage.status, sa.func.count(BulletinDelivery.id))
        .select_from(BulletinDelivery)
        .outerjoin(OutboxMessage, OutboxMessage.id == BulletinDelivery.outbox_id)
        .where(BulletinDelivery.bulletin_id == bulletin.id)
        .group_by(OutboxMessage.status)
    ).all()
    counts: dict[str | None, int] = {status: n for status, n in rows}
    return Progress(
        status=bulletin.status,
        audience=bulletin.audience_size,
        queued=counts.get(QUEUED, 0) + counts.get(MESSAGE_SENDING, 0),
        sent=counts.get(MESSAGE_SENT, 0) + counts.get(None, 0),
        failed=counts.get(FAILED, 0),
    )


# --- lists -----------------------------------------------------------------------------


def bulletins_newest_first() -> sa.Select[Any]:
    """Every bulletin for the room, newest first."""
    return sa.select(Bulletin).order_by(Bulletin.created_at.desc(), Bulletin.id.desc())


def archive() -> sa.Select[Any]:
    """Bulletins in the public archive: sent (or being sent) and not private, newest first."""
    return (
        sa.select(Bulletin)
        .where(Bulletin.status.in_((SENDING, SENT)), Bulletin.private.is_(False))
        .order_by(Bulletin.started_at.desc(), Bulletin.id.desc())
    )


def archived_bulletin(bulletin_id: int) -> Bulletin | None:
    """One bulletin of the public archive, or None (drafts and private ones are not in it)."""
    return db.session.scalar(archive().where(Bulletin.id == bulletin_id))
