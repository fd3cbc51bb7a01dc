"""The paper signatures' blueprint, apart from the package so its modules can import it."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("paper", __name__, url_prefix="/organisers/paper", cli_group="paper")
