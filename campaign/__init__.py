"""The campaign site: `create_app` builds the Flask application."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from flask import Flask, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map

from campaign import ratelimit  # noqa: F401  (registers the campaign:// rate-limit storage)
from campaign.closure import init_closure
from campaign.config import load_config
from campaign.content import init_content
from campaign.crowdcache import init_crowd_cache
from campaign.errors import init_errors
from campaign.extensions import csrf, db, limiter, mailer, migrate
from campaign.scheduler import init_scheduler
from campaign.security import init_security
from campaign.wording import counted

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(
    test_config: dict[str, Any] | None = None, instance_path: str | None = None
) -> Flask:
    """Build the app: configuration, extensions, blueprints, error pages and CLI."""
    app = Flask(
        __name__,
        instance_path=instance_path or str(PROJECT_ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.url_map.converters["int"] = DatabaseInt
    load_config(app, test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if app.config["TRUSTED_PROXIES"]:
        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )

    init_content(app)
    _init_extensions(app)
    init_security(app)
    init_errors(app)
    init_scheduler(app)
    init_closure(app)
    _register_blueprints(app)
    _register_template_helpers(app)
    init_crowd_cache(app)
    return app


class DatabaseInt(IntegerConverter):
    """`<int:...>` in routes: ids beyond a 64-bit column are a 404, not a database error."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:  # noqa: A002 (werkzeug's name)
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(map, *args, **kwargs)


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    mailer.init_app(app)
    # Never the in-memory storage: it counts per process and its timer races under gthread.
    app.config.setdefault("RATELIMIT_STORAGE_URI", "campaign://")
    app.config["RATELIMIT_STORAGE_OPTIONS"] = {
        **app.config.get("RATELIMIT_STORAGE_OPTIONS", {}),
        "redis_url": app.config.get("REDIS_URL") or "",
    }
    # A storage failure must never refuse a request: let it through rather than answer 500.
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    limiter.init_app(app)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    # WAL lets readers work while one writer writes; the busy timeout makes writers
    # wait for the lock instead of failing; SQLite enforces foreign keys only when asked.
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def _register_blueprints(app: Flask) -> None:
    from campaign import (
        appeal,
        bulletins,
        counters,
        events,
        groups,
        news,
        organisers,
        paper,
        programme,
        share,
    )
    from campaign.mail import bp as mail_bp
    from campaign.mail import init_inline_sender

    app.register_blueprint(programme.bp)
    for feature in (appeal, groups, counters, organisers, share, events, bulletins, paper, news):
        feature.init_app(app)
    app.register_blueprint(mail_bp)
    init_inline_sender(app)


def _register_template_helpers(app: Flask) -> None:
    from campaign.content import current_content

    @app.context_processor
    def site_context() -> dict[str, Any]:
        content = current_content()
        return {
            "campaign": content.campaign["campaign"],
            "colours": content.campaign.get("colours", {}),
            "site_url": (
                app.config["SITE_URL"] or content.campaign["campaign"].get("site_url", "")
            ).rstrip("/"),
            "htmx_url": app.config["HTMX_SCRIPT_URL"],
            "htmx_integrity": app.config["HTMX_SCRIPT_INTEGRITY"],
        }

    @app.template_global()
    def query_args() -> dict[str, str]:
        """The query string as url_for keywords, without the names url_for keeps for itself."""
        return {
            key: value
            for key, value in request.args.items()
            if key.isidentifier() and not key.startswith("_") and key != "endpoint"
        }

    @app.template_filter("longdate")
    def longdate(value: Any) -> str:
        return f"{value.day} {value:%B %Y}" if value else ""

    @app.template_filter("thousands")
    def thousands(value: int) -> str:
        return f"{value:,}"

    app.add_template_filter(counted, "counted")
