"""Organisers' sessions: started at log-in, ended by the server, not by the browser.

The session cookie names the account and the account's *session generation*. Ending
every session of an account (log-out, a password change, disabling it, an admin's "sign
out everywhere") adds one to the generation, so every saved copy of an older cookie,
on whatever machine, stops working on its next request. Idle and absolute lifetimes are
checked on each request against times kept in the signed session, never against the
cookie's own expiry, which a browser (or a thief) controls.
"""

from __future__ import annotations

import time

from flask import current_app, session
from flask_login import login_user, logout_user

from campaign.extensions import db
from campaign.organisers.models import Organiser

LOGGED_IN_AT, SEEN_AT = "organiser_login_at", "organiser_seen_at"
IDLE, LIFETIME = "idle", "lifetime"
SECOND_STEP = "organiser_second_step"
SECOND_STEP_SECONDS = 5 * 60  # time to type the code after the password


def start_session(organiser: Organiser) -> None:
    """Log the organiser in on a fresh session: nothing from before the log-in survives."""
    session.clear()
    login_user(organiser)
    # Not `session.permanent`: the cookie goes when the browser closes, and the server
    # ends the session on its own clock whatever the cookie says.
    session[LOGGED_IN_AT] = session[SEEN_AT] = time.time()


def end_this_session() -> None:
    """Forget the log-in in this browser (the caller has already ended the others)."""
    logout_user()
    session.clear()


def end_every_session(organiser: Organiser) -> None:
    """End every session of the account at once, this one included (the caller commits).

    An SQL expression rather than `+= 1`, so two processes ending sessions at the same
    moment both move the generation on.
    """
    organiser.session_generation = Organiser.session_generation + 1


def session_expired(now: float | None = None) -> str | None:
    """IDLE or LIFETIME when the current session has run out, else None."""
    now = time.time() if now is None else now
    config = current_app.config
    if now - session.get(LOGGED_IN_AT, 0) > config["ORGANISER_SESSION_SECONDS"]:
        return LIFETIME
    if now - session.get(SEEN_AT, 0) > config["ORGANISER_IDLE_SECONDS"]:
        return IDLE
    return None


def mark_seen(now: float | None = None) -> None:
    """Restart the idle clock (every request in the room that passed the checks)."""
    session[SEEN_AT] = time.time() if now is None else now


def begin_second_step(organiser: Organiser, back: str | None) -> None:
    """The password was right; remember (for five minutes) whose code is awaited.

    Nothing of a log-in is granted yet: the session holds no user until the code is right.
    """
    session.clear()
    session[SECOND_STEP] = {
        "id": organiser.id,
        "generation": organiser.session_generation,
        "at": time.time(),
        "next": back,
    }


def pending_second_step() -> tuple[Organiser, str | None] | None:
    """The account whose code is awaited and where to go next, or None if nothing (valid) is."""
    pending = session.get(SECOND_STEP)
    if not isinstance(pending, dict):
        return None
    if time.time() - float(pending.get("at") or 0) > SECOND_STEP_SECONDS:
        session.pop(SECOND_STEP, None)
        return None
    organiser = db.session.get(Organiser, int(pending.get("id") or 0))
    # Disabled, signed out everywhere or given a new password since the first step: over.
    if (
        organiser is None
        or not organiser.active
        or not organiser.has_second_factor
        or organiser.session_generation != pending.get("generation")
    ):
        session.pop(SECOND_STEP, None)
        return None
    return organiser, pending.get("next")
