"""Invitations: an admin names an address and a role; the invitee sets a password.

The link carries a random token that is stored only as a keyed hash, works once, and
expires after INVITE_LIFETIME. The role comes from the invitation row, never from the
form the invitee posts, so no field they add can change it.
"""

from __future__ import annotations

import datetime as dt
import secrets

import sqlalchemy as sa
from flask import url_for

from campaign.clients import keyed_hash
from campaign.email_address import InvalidEmail, normalise_email
from campaign.extensions import db
from campaign.mail.services import queue_email
from campaign.models import rows_changed, utcnow
from campaign.organisers.accounts import AccountError, create_organiser, find_organiser
from campaign.organisers.models import ROLES, Organiser, OrganiserInvite

INVITE_LIFETIME = dt.timedelta(hours=72)


class InviteUnusable(ValueError):
    """The link is unknown, used or expired; the message says which, for the invitee."""

    status = 404


class InviteUsed(InviteUnusable):
    status = 410


class InviteExpired(InviteUnusable):
    status = 410


class InviteNotOpen(LookupError):
    """An admin tried to withdraw an invitation already used, expired or withdrawn."""


def _token_hash(token: str) -> str:
    return keyed_hash("organiser-invite", token)


def invite_organiser(email: str, role: str, by: Organiser) -> OrganiserInvite:
    """Invite an address to the room with a role and e-mail it the link (the caller commits).

    An earlier open invitation to the same address stops working.
    """
    try:
        address = normalise_email(email)[0].lower()
    except InvalidEmail as exc:
        raise AccountError(str(exc)) from exc
    if role not in ROLES:
        raise AccountError(f"The role must be one of: {', '.join(ROLES)}.")
    if find_organiser(address) is not None:
        raise AccountError(f"There is already an account for {address}.")
    now = utcnow()
    db.session.execute(
        sa.update(OrganiserInvite)
        .where(OrganiserInvite.email == address, OrganiserInvite.used_at.is_(None))
        .values(expires_at=now)
    )
    token = secrets.token_urlsafe(32)
    invite = OrganiserInvite(
        email=address,
        role=role,
        token_hash=_token_hash(token),
        invited_by=by.email,
        created_at=now,
        expires_at=now + INVITE_LIFETIME,
    )
    db.session.add(invite)
    db.session.flush()
    queue_email(
        address,
        "You are invited to the organisers' room",
        "organisers/email/invite",
        invite=invite,
        inviter=by,
        accept_url=url_for("organisers.accept_invite", token=token, _external=True),
        hours=int(INVITE_LIFETIME.total_seconds() // 3600),
    )
    return invite


def open_invite(token: str, now: dt.datetime | None = None) -> OrganiserInvite:
    """The invitation a link names, or InviteUnusable (unknown), InviteUsed, InviteExpired."""
    if not token or len(token) > 100:
        raise InviteUnusable("This invitation link is not valid. Check that it was copied whole.")
    invite = db.session.scalar(
        sa.select(OrganiserInvite).where(OrganiserInvite.token_hash == _token_hash(token))
    )
    if invite is None:
        raise InviteUnusable("This invitation link is not valid. Check that it was copied whole.")
    if invite.used_at is not None:
        raise InviteUsed("This invitation has already been used. Log in, or ask an admin.")
    if invite.expires_at <= (now or utcnow()):
        raise InviteExpired(
            "This invitation has expired or was withdrawn. Ask an admin to invite you again."
        )
    return invite


def accept_invite(invite: OrganiserInvite, name: str, password: str) -> Organiser:
    """Spend the invitation and create the account with its role (the caller commits).

    One conditional UPDATE, so a link opened twice at once makes one account.
    """
    now = utcnow()
    result = db.session.execute(
        sa.update(OrganiserInvite)
        .where(
            OrganiserInvite.id == invite.id,
            OrganiserInvite.used_at.is_(None),
            OrganiserInvite.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if rows_changed(result) != 1:
        raise InviteUsed("This invitation has already been used. Log in, or ask an admin.")
    return create_organiser(invite.email, name, invite.role, password)


def withdraw_invite(invite_id: int, now: dt.datetime | None = None) -> OrganiserInvite:
    """Stop an open invitation's link from working (the caller commits).

    A conditional UPDATE, so an invitation accepted at the same instant is either
    accepted or withdrawn, never both. InviteNotOpen if it was no longer open.
    """
    now = now or utcnow()
    invite = db.session.get(OrganiserInvite, invite_id)
    result = db.session.execute(
        sa.update(OrganiserInvite)
        .where(
            OrganiserInvite.id == invite_id,
            OrganiserInvite.used_at.is_(None),
            OrganiserInvite.expires_at > now,
        )
        .values(expires_at=now)
    )
    if invite is None or rows_changed(result) != 1:
        raise InviteNotOpen("That invitation was already accepted, expired or withdrawn.")
    return invite


def open_invites(now: dt.datetime | None = None) -> list[OrganiserInvite]:
    """Invitations not yet used or expired, newest first."""
    return list(
        db.session.scalars(
            sa.select(OrganiserInvite)
            .where(
                OrganiserInvite.used_at.is_(None), OrganiserInvite.expires_at > (now or utcnow())
            )
            .order_by(OrganiserInvite.id.desc())
        )
    )
