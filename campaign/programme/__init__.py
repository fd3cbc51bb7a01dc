"""Programme, news and the other content pages."""

from flask import Blueprint

bp = Blueprint("programme", __name__)

from campaign.programme import routes  # noqa: E402,F401
