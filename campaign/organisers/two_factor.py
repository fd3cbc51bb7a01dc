"""The optional second factor: TOTP codes from an app, and one-time recovery codes.

A code is accepted once: the time step it was made for is kept on the account, and a
code for that step or an earlier one is refused, so a code read over a shoulder (or
replayed from a log) is useless even inside its 30-second window. Recovery codes are
kept only as keyed hashes and each works once.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from typing import Any

import pyotp
import segno
import sqlalchemy as sa
from flask import current_app
from markupsafe import Markup

from campaign.clients import keyed_hash
from campaign.extensions import db
from campaign.models import utcnow
from campaign.organisers.models import ADMIN, Organiser, RecoveryCode

RECOVERY_CODE_COUNT = 10
CODE_DIGITS = 6
STEPS_EITHER_SIDE = 1  # a phone's clock may be 30 s out either way


def new_secret() -> str:
    """A fresh random base32 TOTP secret (160 bits)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, email: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    issuer = current_app.extensions["content"].campaign["campaign"]["name"]
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def qr_svg(uri: str) -> Markup:
    """The QR code of `uri` as inline SVG: no script, no style attribute, so the CSP allows it."""
    svg = segno.make(uri, error="m").svg_inline(
        scale=5, border=4, svgclass="qr", lineclass="qr__modules", title="QR code for your app"
    )
    return Markup(svg)  # segno writes only path data and the fixed attributes above


def matching_step(secret: str, code: str, now: dt.datetime | None = None) -> int | None:
    """The time step `code` was made for, if it is right for now (give or take a step)."""
    code = "".join((code or "").split())
    if len(code) != CODE_DIGITS or not code.isascii() or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now or dt.datetime.now(dt.UTC))
    for step in range(current - STEPS_EITHER_SIDE, current + STEPS_EITHER_SIDE + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def accept_code(organiser: Organiser, code: str, now: dt.datetime | None = None) -> bool:
    """Whether `code` is right and not used before; if so it is spent (the caller commits).

    One conditional UPDATE, so two requests racing with the same code cannot both pass.
    """
    if organiser.totp_secret is None:
        return False
    step = matching_step(organiser.totp_secret, code, now)
    if step is None:
        return False
    result: sa.CursorResult[Any] = db.session.execute(  # type: ignore[assignment]
        sa.update(Organiser)
        .where(
            Organiser.id == organiser.id,
            sa.or_(Organiser.totp_last_step.is_(None), Organiser.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _hash_recovery_code(organiser_id: int, code: str) -> str:
    normalised = "".join(ch for ch in code.lower() if ch.isalnum())
    return keyed_hash("recovery-code", str(organiser_id), normalised)


def new_recovery_codes(organiser: Organiser) -> list[str]:
    """Replace the account's recovery codes with fresh ones; returns them (shown once)."""
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.organiser_id == organiser.id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = secrets.token_hex(5)  # 40 bits each, and each works once
        code = f"{raw[:5]}-{raw[5:]}"
        codes.append(code)
        db.session.add(
            RecoveryCode(
                organiser_id=organiser.id, code_hash=_hash_recovery_code(organiser.id, code)
            )
        )
    return codes


def use_recovery_code(organiser: Organiser, code: str) -> bool:
    """Whether `code` is one of the account's unused recovery codes; if so it is spent."""
    if not code or len(code) > 64:
        return False
    result: sa.CursorResult[Any] = db.session.execute(  # type: ignore[assignment]
        sa.update(RecoveryCode)
        .where(
            RecoveryCode.organiser_id == organiser.id,
            RecoveryCode.code_hash == _hash_recovery_code(organiser.id, code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
    )
    return result.rowcount == 1


def recovery_codes_left(organiser: Organiser) -> int:
    """How many unused recovery codes the account has."""
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.organiser_id == organiser.id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )


def enable_second_factor(organiser: Organiser, secret: str, step: int) -> list[str]:
    """Turn the second factor on with a confirmed secret; returns new recovery codes."""
    organiser.totp_secret = secret
    organiser.totp_last_step = step  # the confirming code is spent too
    return new_recovery_codes(organiser)


def disable_second_factor(organiser: Organiser) -> None:
    """Turn the second factor off and drop the recovery codes (the caller commits)."""
    organiser.totp_secret = None
    organiser.totp_last_step = None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.organiser_id == organiser.id))


def second_factor_required(organiser: Organiser) -> bool:
    """Whether this account must have a second factor (admins, when REQUIRE_ADMIN_2FA)."""
    return bool(current_app.config["REQUIRE_ADMIN_2FA"]) and organiser.role == ADMIN


def must_enrol(organiser: Organiser) -> bool:
    """Whether the account must set up its second factor before using the room."""
    return second_factor_required(organiser) and not organiser.has_second_factor
