"""The news' blueprint, apart from the package so its modules can import it."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("news", __name__)
