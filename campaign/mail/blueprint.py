"""The outbox's blueprint (its CLI group), apart from the package so cli.py can import it."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("mail", __name__, cli_group="mail")
