"""Signing the appeal and joining the bulletin: double opt-in, with no way to tell who signed.

Every function changes the session and may flush, but never commits: the caller commits,
so a change, its outbox e-mail and its tally adjustment land in one transaction.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import secrets
import unicodedata
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from campaign.appeal.models import Supporter
from campaign.closure import anonymise_due, anonymised_email_expression, not_yet_anonymised
from campaign.email_address import normalise_email
from campaign.extensions import db
from campaign.mail.services import (
    delete_mail_to,
    queue_email,
    recently_mailed,
    withdraw_bulk_mail_to,
)
from campaign.models import rows_changed, utcnow
from campaign.personal_data import erase_everywhere
from campaign.regions import AREA_NAMES, OUTSIDE_UK, region_for_postcode
from campaign.scheduler import scheduled_job
from campaign.security import TokenInvalid, make_row_token, make_token, read_token, row_from_token
from campaign.tally import count_signature, signature_keys
from campaign.urls import external_url

# Token purposes: each link does one thing only (the purpose is the token's salt).
CONFIRM = "appeal-confirm"
BULLETIN_CONFIRM = "bulletin-confirm"
MY_DATA = "my-data"
UNSUBSCRIBE = "unsubscribe"
THANKS = "appeal-thanks"

CONFIRM_MAX_AGE = 7 * 24 * 3600  # SPEC 5: the confirmation link expires after 7 days
THANKS_MAX_AGE = 24 * 3600
# A manage-my-data link shows personal data, so it works for 30 days; every e-mail we
# send carries a fresh one, and an expired one can ask for a new one (renew_my_data_link).
# The unsubscribe link never expires: an old e-mail must still let its reader leave.
# Both are bound to the row's random code, so erasure (or a purge) revokes them.
MY_DATA_MAX_AGE = 30 * 24 * 3600
UNSUBSCRIBE_MAX_AGE = None

# Referral codes: no look-alike characters (0/o, 1/l/i), so a code read aloud still works.
CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
CODE_LENGTH = 8
PURGE_BATCH = 500
# The privacy notice promises: an address never confirmed is deleted after 30 days.
UNCONFIRMED_KEPT_DAYS = 30


class SupporterGone(LookupError):
    """A genuine link whose supporter has since been erased or purged."""


@dataclass(frozen=True)
class SignatureDetails:
    """What the sign form collects, already validated and cleaned."""

    email: str
    first_name: str
    last_name: str
    postcode: str | None = None
    country: str | None = None
    labour_member: str | None = None
    trade_union: str | None = None
    reason: str | None = None
    show_publicly: bool = False
    bulletin_consent: bool = False
    referred_by: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class SignOutcome:
    """What the thank-you panel may show: nothing that depends on the database.

    For an address already known the code is a fresh random one that belongs to nobody,
    so two sign-ups with one address cannot be compared to learn that it had signed.
    """

    referral_code: str
    region: str | None
    country: str | None


# --- referral codes ------------------------------------------------------------------


def new_referral_code() -> str:
    """A random referral code (about 40 bits), unique with overwhelming probability."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def is_referral_code(value: str | None) -> bool:
    """Whether `value` has the shape of a referral code (says nothing about whether it exists)."""
    return (
        isinstance(value, str)
        and len(value) == CODE_LENGTH
        and all(c in CODE_ALPHABET for c in value)
    )


def _referrer_code(code: str | None) -> str | None:
    # Unknown or malformed codes are ignored rather than refused: a broken share link
    # must not stop anyone signing.
    if not is_referral_code(code):
        return None
    exists = db.session.scalar(sa.select(Supporter.id).where(Supporter.referral_code == code))
    return code if exists else None


def top_referrers_query() -> sa.Select:
    """Supporters with the number of confirmed signatures their code brought, best first."""
    referred = aliased(Supporter)
    signatures = sa.func.count(referred.id).label("signatures")
    return (
        sa.select(Supporter, signatures)
        .join(referred, referred.referred_by == Supporter.referral_code)
        .where(referred.counted)
        .group_by(Supporter.id)
        .order_by(signatures.desc(), Supporter.id)
    )


def top_referrers(limit: int = 10) -> list[tuple[Supporter, int]]:
    """The `limit` best referrers as (supporter, confirmed signatures) pairs."""
    rows = db.session.execute(top_referrers_query().limit(limit)).all()
    return [(row[0], row[1]) for row in rows]


@dataclass(frozen=True)
class PublicSigner:
    """What a signer agreed to show: a first name and an area, nothing else."""

    first_name: str
    area: str


def recent_public_signers(limit: int = 10) -> list[PublicSigner]:
    """The latest confirmed signers who chose to be shown (ix_supporters_public_recent)."""
    rows = db.session.execute(
        sa.select(Supporter.first_name, Supporter.region)
        .where(
            Supporter.show_publicly == sa.true(),
            Supporter.confirmed_at.is_not(None),
            Supporter.signed_at.is_not(None),
            Supporter.held_at.is_(None),
        )
        .order_by(Supporter.confirmed_at.desc())
        .limit(limit)
    ).all()
    return [
        PublicSigner(first_name or "", AREA_NAMES.get(region or OUTSIDE_UK, ""))
        for first_name, region in rows
    ]


def recount_signature_tallies() -> dict[str, int]:
    """The signature tallies recomputed from the supporters table (COUNT queries)."""
    counted = Supporter.counted
    day = sa.func.date(Supporter.confirmed_at)
    tallies: dict[str, int] = {}
    for region, value, n in db.session.execute(
        sa.select(Supporter.region, day, sa.func.count())
        .where(counted)
        .group_by(Supporter.region, day)
    ):
        # PostgreSQL's date() gives a date, SQLite's an ISO string.
        confirmed_on = (
            value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
        )
        for key in signature_keys(region, confirmed_on):
            tallies[key] = tallies.get(key, 0) + n
    return tallies


# --- sources ------------------------------------------------------------------------

SOURCE_MAX = 64
# What a source label may hold: enough for "newsletter-2026-11", "fb_ad:autumn" or an
# origin such as "embed:https://ally.example:8443"; anything else becomes "-".
_SOURCE_UNSAFE = re.compile(r"[^a-z0-9._:/@+-]+")


def clean_source(raw: str | None) -> str | None:
    """A `?source=` label made safe to store and show: lower case, a small alphabet, cut short.

    Absurd input (kilobytes, control characters, markup) is cut before it is looked at,
    and what is left is at most SOURCE_MAX characters; an empty result is None.
    """
    if not isinstance(raw, str):
        return None
    text = unicodedata.normalize("NFKC", raw[: SOURCE_MAX * 4]).strip().lower()
    text = _SOURCE_UNSAFE.sub("-", text).strip("-")
    return text[:SOURCE_MAX].rstrip("-") or None


def source_from_query(source: str | None, ref: str | None) -> str | None:
    """The source a sign-up link names: `?source=`, or a `?ref=` that is not a referral code.

    Other tools put a campaign label in `?ref=` (`?ref=newsletter`); a real referral code
    stays a referral and is not a source.
    """
    if source:
        return clean_source(source)
    if ref and not is_referral_code(ref):
        return clean_source(ref)
    return None


def signups_by_source(limit: int = 20) -> list[tuple[str | None, int, int]]:
    """(source, sign-ups, confirmed) for the `limit` biggest sources; None is "direct"."""
    confirmed = sa.func.count(Supporter.confirmed_at)
    total = sa.func.count()
    rows = db.session.execute(
        sa.select(Supporter.source, total, confirmed)
        .where(Supporter.signed_at.is_not(None))
        .group_by(Supporter.source)
        .order_by(total.desc(), Supporter.source)
        .limit(limit)
    ).all()
    return [(source, int(n), int(c)) for source, n, c in rows]


# --- tokens and links ----------------------------------------------------------------


def supporter_token(purpose: str, supporter: Supporter) -> str:
    """A signed token naming this supporter for one purpose."""
    return make_row_token(purpose, supporter.id, supporter.referral_code)


def supporter_from_token(purpose: str, token: str, max_age: int | None) -> Supporter:
    """The supporter a token names; TokenInvalid/TokenExpired or SupporterGone otherwise."""
    return row_from_token(
        purpose, token, max_age, Supporter, lambda supporter: supporter.referral_code,
        lambda: SupporterGone("this supporter's data has been erased"),
    )  # fmt: skip


def renew_my_data_link(token: str) -> None:
    """E-mail a fresh manage-my-data link to the owner of an expired (but genuine) one.

    The new link goes only to the address stored with the row, never to whoever clicked,
    and no more often than the address's hourly share of messages. TokenInvalid or
    SupporterGone if the old link was forged or its data is gone.
    """
    supporter = supporter_from_token(MY_DATA, token, max_age=None)
    if not recently_mailed(supporter.email):
        _email(supporter, "Your link to manage your data", "my_data_link")


def manage_url(supporter: Supporter) -> str:
    """The absolute manage-my-data link for a supporter."""
    return external_url("appeal.my_data", token=supporter_token(MY_DATA, supporter))


def unsubscribe_url(supporter: Supporter) -> str:
    """The absolute one-click unsubscribe link for a supporter (RFC 8058)."""
    return external_url("appeal.unsubscribe", token=supporter_token(UNSUBSCRIBE, supporter))


def share_url(code: str | None) -> str:
    """The appeal's address, carrying a referral code when there is one."""
    if code:
        return external_url("appeal.sign", ref=code)
    return external_url("appeal.sign")


def thanks_token(outcome: SignOutcome) -> str:
    """A short-lived token that lets the thank-you page show the share code and region."""
    return make_token(THANKS, [outcome.referral_code, outcome.region, outcome.country])


def outcome_from_thanks_token(token: str | None) -> SignOutcome | None:
    """The outcome carried by a thanks token, or None if it is missing, forged or old."""
    if not token:
        return None
    try:
        code, region, country = read_token(THANKS, token, max_age=THANKS_MAX_AGE)
    except (TokenInvalid, TypeError, ValueError):
        return None
    if not is_referral_code(code):
        return None
    return SignOutcome(referral_code=code, region=region, country=country)


# --- e-mail --------------------------------------------------------------------------


def _email(supporter: Supporter, subject: str, template: str, **context: Any) -> None:
    # Always to the address stored with the row, so erasure finds every message.
    queue_email(
        supporter.email,
        subject,
        f"appeal/email/{template}",
        unsubscribe_url=unsubscribe_url(supporter),
        manage_url=manage_url(supporter),
        supporter=supporter,
        **context,
    )


def _send_signature_confirmation(supporter: Supporter) -> None:
    confirm_url = external_url("appeal.confirm", token=supporter_token(CONFIRM, supporter))
    _email(supporter, "Please confirm your signature", "confirm_signature", confirm_url=confirm_url)


def _send_bulletin_confirmation(supporter: Supporter) -> None:
    confirm_url = external_url(
        "appeal.bulletin_confirm",
        token=supporter_token(BULLETIN_CONFIRM, supporter),
    )
    _email(supporter, "Please confirm your bulletin subscription", "bulletin_confirm",
           confirm_url=confirm_url)  # fmt: skip


# --- signing -------------------------------------------------------------------------


# Supporter columns a sign-up may set; the others keep their defaults.
_SIGN_UP_COLUMNS = (
    "created_at", "referral_code", "show_publicly", "bulletin_consent", "email",
    "email_canonical", "first_name", "last_name", "postcode", "region", "country",
    "labour_member", "trade_union", "reason", "referred_by", "source", "ip_hash",
    "signed_at", "held_at",
)  # fmt: skip


@functools.cache
def _insert_statement(dialect: str) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id, built once per database kind."""
    insert: Any = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    table = Supporter.__table__
    return (
        insert(table)
        .values({name: sa.bindparam(name) for name in _SIGN_UP_COLUMNS})
        .on_conflict_do_nothing(index_elements=["email_canonical"])
        .returning(table.c.id)
    )


def _insert_if_new(values: dict[str, Any]) -> Supporter | None:
    """Insert a supporter unless the canonical address exists; the new row, or None.

    The row comes back as a detached Supporter (not in the session) built from what was
    inserted, for composing its e-mail: loading it again would cost a sign-up a third of
    its database time.
    """
    # INSERT ... ON CONFLICT DO NOTHING is atomic on both databases: two people (or one
    # person twice) signing with one address at the same instant make one row, no error.
    row = dict.fromkeys(_SIGN_UP_COLUMNS)
    row.update(
        created_at=utcnow(),
        referral_code=new_referral_code(),
        show_publicly=False,
        bulletin_consent=False,
    )
    row.update(values)
    statement = _insert_statement(db.session.get_bind().dialect.name)
    new_id = db.session.execute(statement, row).scalar_one_or_none()
    return None if new_id is None else Supporter(id=new_id, **row)


def _by_canonical(canonical: str) -> Supporter | None:
    return db.session.scalar(sa.select(Supporter).where(Supporter.email_canonical == canonical))


def _existing(canonical: str) -> Supporter:
    """The row an insert just conflicted with (it was there, so it is there)."""
    supporter = _by_canonical(canonical)
    if supporter is None:
        raise LookupError(f"no supporter {canonical!r} after a conflicting insert")
    return supporter


# Built once: every sign-up asks, and building the statement cost more than running it.
_RECENT_FROM_CLIENT = sa.select(sa.func.count()).select_from(
    sa.select(sa.literal(1))
    .where(
        Supporter.ip_hash == sa.bindparam("ip_hash"),
        Supporter.created_at >= sa.bindparam("since"),
    )
    .limit(sa.bindparam("hold_after"))  # counting stops at the threshold, however big the flood
    .subquery()
)


def _busy_client(ip_hash: str | None, hold_after: int | None) -> bool:
    """Whether this client address made `hold_after` sign-ups or more in the last hour."""
    if ip_hash is None or hold_after is None:
        return False
    since = utcnow() - dt.timedelta(hours=1)
    recent = db.session.scalar(
        _RECENT_FROM_CLIENT, {"ip_hash": ip_hash, "since": since, "hold_after": hold_after}
    )
    return (recent or 0) >= hold_after


def sign_appeal(
    details: SignatureDetails, ip_hash: str | None = None, hold_after: int | None = None
) -> SignOutcome:
    """Record a pending signature and queue its confirmation e-mail.

    Beyond `hold_after` sign-ups an hour from one client address, a new signature is
    held for review: taken and confirmable, but not counted until a moderator releases it.

    An address already known changes nothing in the database: its owner is e-mailed
    ("you have already signed", the confirmation link again, or how to add a signature
    to a bulletin subscription) and the caller gets the same kind of answer as for a
    new signature.
    """
    address, canonical = normalise_email(details.email)
    region = region_for_postcode(details.postcode) if details.postcode else None
    country = details.country if not details.postcode else None
    supporter = _insert_if_new(
        {
            "email": address,
            "email_canonical": canonical,
            "first_name": details.first_name,
            "last_name": details.last_name,
            "postcode": details.postcode if not country else None,
            "region": region,
            "country": country,
            "labour_member": details.labour_member,
            "trade_union": details.trade_union,
            "reason": details.reason,
            "show_publicly": details.show_publicly,
            "bulletin_consent": details.bulletin_consent,
            "referred_by": _referrer_code(details.referred_by),
            "source": clean_source(details.source),
            "ip_hash": ip_hash,
            "signed_at": utcnow(),
            "held_at": utcnow() if _busy_client(ip_hash, hold_after) else None,
        }
    )
    if supporter is not None:
        _send_signature_confirmation(supporter)
        return SignOutcome(supporter.referral_code, region, country)

    supporter = _existing(canonical)
    if recently_mailed(supporter.email):
        pass  # the same answer, and no more mail to this inbox for now
    elif supporter.signed_at is None:
        _email(supporter, "Add your signature to the appeal", "not_yet_signed")
    elif supporter.confirmed_at is None:
        _send_signature_confirmation(supporter)
    else:
        _email(supporter, "You have already signed", "already_signed")
    return SignOutcome(new_referral_code(), region, country)


def confirm_signature(supporter: Supporter) -> bool:
    """Confirm a signature and count it; True the first time, False if already confirmed."""
    if supporter.signed_at is None:
        raise ValueError("a bulletin subscription is not a signature")
    # A conditional UPDATE: of two confirmations racing, only one sees a row change,
    # so the signature is counted exactly once.
    result = db.session.execute(
        sa.update(Supporter)
        .where(Supporter.id == supporter.id, Supporter.confirmed_at.is_(None))
        .values(confirmed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(supporter)
    if rows_changed(result) != 1:
        return False
    if supporter.counted:  # a held sign-up counts only once a moderator releases it
        count_signature(supporter, +1)
    return True


def sign_as_subscriber(supporter: Supporter, details: SignatureDetails) -> bool:
    """Add a signature to a bulletin-only row whose owner proved the address (my-data link).

    The signature is confirmed at once, since the link came from the owner's mailbox.
    Returns False if the row had already signed.
    """
    region = region_for_postcode(details.postcode) if details.postcode else None
    country = details.country if not details.postcode else None
    now = utcnow()
    result = db.session.execute(
        sa.update(Supporter)
        .where(Supporter.id == supporter.id, Supporter.signed_at.is_(None))
        .values(
            first_name=details.first_name,
            last_name=details.last_name,
            postcode=details.postcode if not country else None,
            region=region,
            country=country,
            labour_member=details.labour_member,
            trade_union=details.trade_union,
            reason=details.reason,
            show_publicly=details.show_publicly,
            bulletin_consent=supporter.bulletin_consent or details.bulletin_consent,
            signed_at=now,
            confirmed_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(supporter)
    if rows_changed(result) != 1:
        return False
    count_signature(supporter, +1)
    return True


# --- the bulletin --------------------------------------------------------------------


def subscribe_bulletin(email: str, ip_hash: str | None = None) -> None:
    """Start a bulletin subscription (pending until confirmed) without revealing a known address."""
    address, canonical = normalise_email(email)
    new = _insert_if_new(
        {
            "email": address,
            "email_canonical": canonical,
            "bulletin_consent": True,
            "ip_hash": ip_hash,
        }
    )
    if new is not None:
        _send_bulletin_confirmation(new)
        return
    supporter = _existing(canonical)
    if recently_mailed(supporter.email):
        return  # the same answer, and no more mail to this inbox for now
    if not supporter.subscribed:
        _send_bulletin_confirmation(supporter)
    elif supporter.confirmed_at is not None:
        _email(supporter, "You already receive the bulletin", "bulletin_already")
    elif supporter.signed_at is not None:
        # A pending signature that asked for the bulletin: its own link confirms both.
        _send_signature_confirmation(supporter)
    else:
        _send_bulletin_confirmation(supporter)


def confirm_bulletin(supporter: Supporter) -> bool:
    """Turn on the bulletin for a supporter who followed the link; True if anything changed."""
    changed = not supporter.subscribed
    supporter.bulletin_consent = True
    supporter.unsubscribed_at = None
    if supporter.signed_at is None and supporter.confirmed_at is None:
        supporter.confirmed_at = utcnow()  # the address is proven; not a signature
        changed = True
    return changed


def unsubscribe(supporter: Supporter) -> bool:
    """Stop the bulletin for a supporter; True if they were subscribed."""
    was_subscribed = supporter.subscribed
    supporter.bulletin_consent = False
    if supporter.unsubscribed_at is None:
        supporter.unsubscribed_at = utcnow()
    # A bulletin still queued for them (a large one takes a while) is not sent after all.
    withdraw_bulk_mail_to(supporter.email)
    return was_subscribed


def set_display(supporter: Supporter, show: bool) -> None:
    """Whether the supporter's first name and area may appear on the site."""
    supporter.show_publicly = show


# --- erasure and purging -------------------------------------------------------------


def erase_supporter(supporter: Supporter) -> bool:
    """Delete a supporter, the e-mails addressed to them, and their count; True if deleted."""
    was_counted = supporter.counted
    result = db.session.execute(
        sa.delete(Supporter)
        .where(Supporter.id == supporter.id)
        .execution_options(synchronize_session=False)
    )
    if rows_changed(result) != 1:  # erased already, perhaps by a second click
        return False
    if was_counted:
        count_signature(supporter, -1)
    delete_mail_to([supporter.email])
    # What other features hold about the same address (event replies...) goes too.
    erase_everywhere(supporter.email_canonical)
    db.session.expunge(supporter)
    return True


def purge_unconfirmed(older_than_days: int = 30, now: dt.datetime | None = None) -> int:
    """Delete supporters never confirmed within `older_than_days`; return how many."""
    cutoff = (now or utcnow()) - dt.timedelta(days=older_than_days)
    stale = sa.and_(Supporter.confirmed_at.is_(None), Supporter.created_at < cutoff)
    purged = 0
    while True:
        rows = db.session.execute(
            sa.select(Supporter.id, Supporter.email).where(stale).limit(PURGE_BATCH)
        ).all()
        if not rows:
            return purged
        delete_mail_to([email for _, email in rows])
        db.session.execute(
            sa.delete(Supporter)
            .where(Supporter.id.in_([id_ for id_, _ in rows]), stale)
            .execution_options(synchronize_session=False)
        )
        purged += len(rows)


@scheduled_job("purge-unconfirmed-signatures", every=dt.timedelta(hours=1))
def purge_unconfirmed_job(now: dt.datetime) -> str:
    """Hourly: delete sign-ups and bulletin subscriptions unconfirmed after 30 days."""
    count = purge_unconfirmed(older_than_days=UNCONFIRMED_KEPT_DAYS, now=now)
    return f"purged {count} unconfirmed supporter{'' if count == 1 else 's'}"


@scheduled_job("anonymise-supporters-after-close", every=dt.timedelta(hours=1))
def anonymise_supporters_job(now: dt.datetime) -> str:
    """Once the closed campaign's date has come: strip supporters of personal data.

    What the counts are made of stays (signed, confirmed, region, day), so the numbers
    and a recount still agree; names, addresses, postcodes, answers and hashes go.
    """
    if not anonymise_due(now):
        return "not due"
    anonymous = anonymised_email_expression(Supporter.id)
    result = db.session.execute(
        sa.update(Supporter)
        .where(not_yet_anonymised(Supporter.email))
        .values(
            email=anonymous,
            email_canonical=anonymous,
            first_name="",
            last_name="",
            postcode=None,
            country=None,
            labour_member=None,
            trade_union=None,
            reason=None,
            ip_hash=None,
            show_publicly=False,
            bulletin_consent=False,
            unsubscribed_at=sa.func.coalesce(Supporter.unsubscribed_at, now),
        )
        .execution_options(synchronize_session=False)
    )
    return f"anonymised {rows_changed(result)} supporter{'' if rows_changed(result) == 1 else 's'}"
