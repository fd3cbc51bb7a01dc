"""Configuration in three layers: defaults here, the instance file, then the environment.

`load_config` applies them in that order; `check_production` refuses unsafe settings.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import tomllib
from pathlib import Path
from typing import Any

from flask import Flask

from campaign.sqlite_writers import QueuedWriterConnection

HTMX_VERSION = "2.0.11"
HTMX_SRI = "sha384-2OatzQy1H+Zd/IIrjr1TcuDGqLXeHhbooAyJY1KdQMKnr4LZ22k31GBLdYKHmVjg"

# Secrets that appear in documentation or examples and must never run in production.
KNOWN_BAD_SECRETS = {
    "",
    "dev",
    "change-me",
    "changeme",
    "secret",
    "development",
    "test",
    "a long random string",  # instance/config.example.toml's placeholder
}
NETWORK_FILESYSTEMS = {"nfs", "nfs4", "cifs", "smbfs", "smb3", "9p", "fuse.sshfs", "afs", "ceph"}

# Environment variables that are read directly (besides any CAMPAIGN_-prefixed key).
ENV_KEYS = (
    "SECRET_KEY",
    "REDIS_URL",
    "HTMX_SCRIPT_URL",
    "HTMX_SCRIPT_INTEGRITY",
    "MAIL_TRANSPORT",
    "MAIL_SERVER",
    "MAIL_PORT",
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
    "MAIL_USE_TLS",
    "MAIL_USE_SSL",
    "MAIL_DEFAULT_SENDER",
    "SITE_URL",
    "TRUSTED_PROXIES",
    "IP_HASH_KEY",
    "COUNTERS_POLL_SECONDS",
    "EMBED_ORIGINS",
)


class ConfigError(RuntimeError):
    """The configuration is unsafe or invalid; the message says what to change."""


class Defaults:
    """Code defaults: a development site that needs nothing running."""

    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI: str | None = None  # instance/campaign.db when unset
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True}
    REDIS_URL: str | None = None
    SITE_URL: str | None = None  # canonical base URL; content/campaign.toml otherwise
    HTMX_SCRIPT_URL = f"https://cdn.jsdelivr.net/npm/htmx.org@{HTMX_VERSION}/dist/htmx.min.js"
    HTMX_SCRIPT_INTEGRITY: str | None = HTMX_SRI
    COUNTERS_POLL_SECONDS: int | None = None  # content/campaign.toml otherwise
    TRUSTED_PROXIES = 0  # how many X-Forwarded-For hops to believe
    IP_HASH_KEY: str | None = None  # derived from SECRET_KEY when unset
    NEWS_PER_PAGE = 10
    # Sites allowed to show /embed/counter and /embed/sign in a frame: origins such as
    # "https://ally.example" (a list, or one string separated by commas or spaces).
    EMBED_ORIGINS: list[str] = []
    # E-mail: "console" prints messages (development); "smtp" sends through MAIL_SERVER.
    MAIL_TRANSPORT = "console"
    MAIL_SERVER = "localhost"
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_DEFAULT_SENDER = "Labour Left Alliance <no-reply@campaign.invalid>"
    MAIL_SEND_INLINE = True  # send queued mail after each request (development)
    MAIL_SUPPRESS_SEND = False  # MAIL_TRANSPORT decides; Flask-Mail would suppress in tests
    MAIL_MAX_ATTEMPTS = 8
    # Bulk mail (bulletins): at most this many messages a minute across all workers, so the
    # SMTP provider's limit is respected; confirmations are never held back by it.
    MAIL_BULK_PER_MINUTE = 600
    MAIL_BULK_BATCH = 20  # bulk messages per worker pass, between looks at the priority lane
    ORGANISER_NOTIFY_EMAILS: list[str] = []
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 8 * 3600
    ORGANISER_IDLE_SECONDS = 30 * 60  # an organisers' session unused this long ends
    ORGANISER_SESSION_SECONDS = 8 * 3600  # and any session this long after its log-in
    PERSONAL_RECORDS_PER_HOUR = 2000  # supporters' records one account may be shown an hour
    REQUIRE_ADMIN_2FA: bool | None = None  # admins must use a second factor; None: in production
    WTF_CSRF_TIME_LIMIT = 8 * 3600
    MAX_CONTENT_LENGTH = 256 * 1024
    RATELIMIT_ENABLED = True
    # No X-RateLimit-* headers on every limited response: each costs two reads of the
    # limit storage (a sign-up's dearest part after the insert). A refusal still says
    # when to come back (Retry-After, worked out in campaign/errors.py).
    RATELIMIT_HEADERS_ENABLED = False


def is_production() -> bool:
    """Whether CAMPAIGN_ENV or FLASK_ENV names production."""
    env = os.environ.get("CAMPAIGN_ENV") or os.environ.get("FLASK_ENV") or ""
    return env.strip().lower() == "production"


def _parse_env_value(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def load_config(app: Flask, test_config: dict[str, Any] | None = None) -> None:
    """Apply defaults, then instance/config.toml (or .py), then the environment."""
    app.config.from_object(Defaults)
    instance = Path(app.instance_path)
    toml_file = instance / "config.toml"
    if toml_file.exists():
        try:
            with toml_file.open("rb") as f:
                app.config.update({k.upper(): v for k, v in tomllib.load(f).items()})
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{toml_file}: {exc}") from exc
    app.config.from_pyfile("config.py", silent=True)

    for key in ENV_KEYS:
        if key in os.environ:
            app.config[key] = _parse_env_value(os.environ[key])
    if "DATABASE_URL" in os.environ:
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    app.config.from_prefixed_env("CAMPAIGN")

    if test_config:
        app.config.update(test_config)

    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'campaign.db'}"
    if str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite"):
        # Writers queue for SQLite's write lock rather than poll for it (sqlite_writers).
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        options["connect_args"] = {
            "factory": QueuedWriterConnection,
            **options.get("connect_args", {}),
        }
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    app.config["EMBED_ORIGINS"] = parse_origins(app.config.get("EMBED_ORIGINS"))
    app.config["PRODUCTION"] = is_production()
    if app.config.get("REQUIRE_ADMIN_2FA") is None:
        app.config["REQUIRE_ADMIN_2FA"] = app.config["PRODUCTION"]
    if app.config["PRODUCTION"]:
        check_production(app.config)
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
        app.config["MAIL_SEND_INLINE"] = False
    elif not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = development_secret(instance)
    if not app.config.get("IP_HASH_KEY"):
        app.config["IP_HASH_KEY"] = app.config["SECRET_KEY"] + ":ip-hash"


ORIGIN = re.compile(r"https?://[a-z0-9.-]+(:[0-9]{1,5})?")


def parse_origins(value: Any) -> tuple[str, ...]:
    """EMBED_ORIGINS as a tuple of origins; ConfigError names any that is not one."""
    if not value:
        return ()
    items = value.replace(",", " ").split() if isinstance(value, str) else list(value)
    origins = []
    for item in items:
        origin = str(item).strip().lower().rstrip("/")
        if not ORIGIN.fullmatch(origin):
            raise ConfigError(
                f"EMBED_ORIGINS: {item!r} is not an origin; write it as scheme and host "
                "(and port), such as https://ally.example or http://127.0.0.1:8080"
            )
        origins.append(origin)
    return tuple(dict.fromkeys(origins))


def development_secret(instance: Path) -> str:
    """A random secret generated once and kept in instance/secret_key."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    path.write_text(value + "\n")
    path.chmod(0o600)
    return value


def check_production(config: dict[str, Any]) -> None:
    """Refuse to start in production with what cannot work: each refusal one clear line.

    A missing or placeholder secret, no SITE_URL, SQLite on a network share, or e-mail
    that would only be printed (nobody could ever confirm a signature).
    """
    secret = config.get("SECRET_KEY")
    if not secret or str(secret).strip().lower() in KNOWN_BAD_SECRETS or len(str(secret)) < 16:
        raise ConfigError(
            "SECRET_KEY is missing or a default value; in production set SECRET_KEY to a long "
            "random string: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
    site_url = str(config.get("SITE_URL") or "")
    if not site_url.startswith(("https://", "http://")):
        raise ConfigError(
            "SITE_URL is missing; in production set it to the site's public address "
            "(e.g. https://campaign.example.org): links in e-mails are built from it."
        )
    uri = str(config.get("SQLALCHEMY_DATABASE_URI") or "")
    if uri.startswith("sqlite"):
        path = uri.split("///", 1)[-1] if "///" in uri else ""
        if sqlite_on_network_path(path):
            raise ConfigError(
                f"SQLite database {path!r} is on a network filesystem, where its locking is "
                "unreliable; use a local disk or DATABASE_URL=postgresql+psycopg://..."
            )
    if str(config.get("MAIL_TRANSPORT") or "console").strip().lower() != "smtp":
        raise ConfigError(
            "MAIL_TRANSPORT is not smtp: in production e-mails would only be printed and "
            "nobody could confirm; set MAIL_TRANSPORT=smtp and MAIL_SERVER (see README)"
        )


def sqlite_on_network_path(path: str) -> bool:
    """Whether an SQLite file path is a UNC path or lies on a network filesystem mount."""
    if path.startswith(("//", "\\\\")):
        return True
    if not path or path == ":memory:":
        return False
    target = os.path.realpath(path)
    best, fstype = "", ""
    try:
        with open("/proc/mounts") as mounts:
            for line in mounts:
                parts = line.split()
                if len(parts) < 3:
                    continue
                mount = parts[1]
                inside = target == mount or target.startswith(mount.rstrip("/") + "/")
                if inside and len(mount) >= len(best):
                    best, fstype = mount, parts[2]
    except OSError:
        return False
    return fstype in NETWORK_FILESYSTEMS
