"""The organisers' room blueprint, apart from the package so its modules can import it."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("organisers", __name__, url_prefix="/organisers", cli_group="organisers")
