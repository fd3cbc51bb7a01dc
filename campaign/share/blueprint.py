"""The share feature's blueprint and settings, apart from the package for its modules."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("share", __name__)

DEFAULTS = {
    "EMBED_FORM_MAX_AGE": 2 * 3600,  # seconds an embedded sign form's token stays good
    "SHARE_CARD_STEP": 10,  # the card is redrawn when the count moves by this much
}
