"""The counters' blueprint, apart from the package so its modules can import it."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("counters", __name__, cli_group="counters")
