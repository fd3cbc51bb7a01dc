"""The groups' blueprint, apart from the package so its modules can import it."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("groups", __name__, url_prefix="/groups", cli_group="groups")
