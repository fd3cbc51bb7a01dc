"""WSGI entry point: `flask --app app ...` and `gunicorn app:app`."""

from campaign import create_app
from campaign.config import ConfigError

try:
    app = create_app()
except ConfigError as refusal:
    # One line an operator can act on, not a traceback (SystemExit prints it to stderr).
    raise SystemExit(f"Refusing to start: {refusal}") from None
