"""Rate-limit counters shared by every process: Redis when it answers, the database otherwise.

Flask-Limiter keeps its counters in a `limits` storage. Its in-memory storage is no use
here: each gunicorn worker would count alone (four workers let four times the limit
through) and its expiry timer races between threads. So the site always uses
`FailoverStorage` (scheme `campaign://`): Redis when REDIS_URL is set and answering,
else a table in the database every worker shares. If Redis stops answering, the limits
carry on in the database and Redis is tried again after a short pause; `/healthz`
reports the outage.

The keys are made from the keyed hash of the client address (`extensions.limit_key`),
never the address itself, so neither Redis nor the database nor a log line holds an IP.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
import time
from typing import Any, cast

import redis
import sqlalchemy as sa
from limits.storage import RedisStorage, Storage
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from campaign.extensions import Model, db
from campaign.models import rows_changed
from campaign.scheduler import scheduled_job

log = logging.getLogger(__name__)

# After Redis fails, how long to count in the database before trying Redis again.
REDIS_RETRY_SECONDS = 15.0
REDIS_TIMEOUT_SECONDS = 0.3


class RateLimitCounter(Model):
    """One fixed-window counter: how many hits `key` has had until `expires_at`."""

    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    hits: Mapped[int] = mapped_column(sa.Integer)
    expires_at: Mapped[float] = mapped_column(sa.Float, index=True)  # Unix time


class DatabaseCounters:
    """Fixed-window counters in `rate_limit_counters`, each change its own short transaction.

    They use their own connection, not the request's session, so a count is committed
    whatever the request later does, and the request's transaction is left alone.
    """

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = time.time()
        statement = _increment_statement(db.engine.dialect.name)
        parameters = {"key": key, "amount": amount, "now": now, "expires_at": now + expiry}
        with db.engine.begin() as connection:
            return int(connection.execute(statement, parameters).scalar_one())

    def get(self, key: str) -> int:
        table = _counters()
        with db.engine.connect() as connection:
            hits = connection.execute(
                sa.select(table.c.hits).where(table.c.key == key, table.c.expires_at > time.time())
            ).scalar_one_or_none()
        return int(hits or 0)

    def get_expiry(self, key: str) -> float:
        table = _counters()
        with db.engine.connect() as connection:
            expires = connection.execute(
                sa.select(table.c.expires_at).where(table.c.key == key)
            ).scalar_one_or_none()
        return float(expires or time.time())

    def clear(self, key: str) -> None:
        table = _counters()
        with db.engine.begin() as connection:
            connection.execute(sa.delete(table).where(table.c.key == key))

    def reset(self) -> int:
        with db.engine.begin() as connection:
            return int(connection.execute(sa.delete(_counters())).rowcount)

    def check(self) -> bool:
        try:
            with db.engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
        except sa.exc.SQLAlchemyError:
            return False
        return True


@scheduled_job("delete-expired-rate-limits", every=dt.timedelta(hours=1))
def delete_expired_counters(now: dt.datetime) -> str:
    """Hourly: remove the database's rate-limit counters whose window has passed."""
    table = _counters()
    cutoff = now.replace(tzinfo=dt.UTC).timestamp()
    result = db.session.execute(sa.delete(table).where(table.c.expires_at <= cutoff))
    return f"deleted {rows_changed(result)} expired rate-limit counters"


class FailoverStorage(Storage):
    """Redis if configured and answering, else the database; never the process's memory."""

    STORAGE_SCHEME = ["campaign"]

    def __init__(
        self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any
    ) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        redis_url = options.get("redis_url")
        self.database = DatabaseCounters()
        self.redis: RedisStorage | None = None
        if redis_url:
            self.redis = RedisStorage(
                redis_url,
                socket_timeout=REDIS_TIMEOUT_SECONDS,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                key_prefix=str(options.get("key_prefix") or "LIMITS"),
            )
        self._lock = threading.Lock()
        self._redis_down_until = 0.0

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return sa.exc.SQLAlchemyError

    @property
    def redis_degraded(self) -> bool:
        """Whether Redis is configured but failed recently (limits are in the database)."""
        return self.redis is not None and time.monotonic() < self._redis_down_until

    def _call(self, method: str, *args: Any) -> Any:
        if self.redis is not None and not self.redis_degraded:
            try:
                return getattr(self.redis, method)(*args)
            except Exception as exc:  # any Redis failure: count in the database for now
                with self._lock:
                    if not self.redis_degraded:
                        log.warning(
                            "rate limits: Redis unavailable (%s); counting in the database "
                            "for %.0f s",
                            type(exc).__name__,
                            REDIS_RETRY_SECONDS,
                        )
                    self._redis_down_until = time.monotonic() + REDIS_RETRY_SECONDS
        return getattr(self.database, method)(*args)

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        return int(self._call("incr", key, expiry, amount))

    def get(self, key: str) -> int:
        return int(self._call("get", key))

    def get_expiry(self, key: str) -> float:
        return float(self._call("get_expiry", key))

    def check(self) -> bool:
        return bool(self._call("check"))

    def reset(self) -> int | None:
        return self._call("reset")

    def clear(self, key: str) -> None:
        self._call("clear", key)


def redis_reachable(url: str) -> bool:
    """Whether the Redis at `url` answers a PING within a fraction of a second."""
    try:
        client = redis.Redis.from_url(
            url,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        )
        try:
            return bool(client.ping())
        finally:
            client.close()
    except redis.RedisError:
        return False


@functools.cache
def _increment_statement(dialect: str) -> sa.Executable:
    """One atomic upsert: a new or expired window starts at `amount`, else adds to it.

    Built once per database kind: every limited request runs it, and building it cost
    more than running it.
    """
    table = _counters()
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    amount = sa.bindparam("amount", type_=sa.Integer)
    expires_at = sa.bindparam("expires_at", type_=sa.Float)
    expired = table.c.expires_at <= sa.bindparam("now", type_=sa.Float)
    return (
        insert(table)
        .values(key=sa.bindparam("key"), hits=amount, expires_at=expires_at)
        .on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "hits": sa.case((expired, amount), else_=table.c.hits + amount),
                "expires_at": sa.case((expired, expires_at), else_=table.c.expires_at),
            },
        )
        .returning(table.c.hits)
    )


def _counters() -> sa.Table:
    """The counters' table, for Core statements (the ORM's events and state are not needed)."""
    return cast(sa.Table, RateLimitCounter.__table__)
