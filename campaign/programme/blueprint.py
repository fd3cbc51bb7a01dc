"""The programme's blueprint, apart from the package so routes.py can import it."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("programme", __name__)
