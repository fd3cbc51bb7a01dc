"""The bench's two ceilings, served by gunicorn beside the site: bare Flask answering
"hello" (the framework's ceiling) and bare Flask doing one insert per request (the
storage ceiling: SQLite like the site's default, or PostgreSQL when BENCH_DATABASE_URL
is set). Run as `gunicorn -c gunicorn.conf.py bench.baseline:hello` (or `:insert`).
"""

from __future__ import annotations

import functools
import os
import sqlite3
import threading
from typing import Any

import sqlalchemy as sa
from flask import Flask, redirect, render_template_string
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

hello = Flask("hello")


@hello.get("/")
def say_hello() -> str:
    return "hello"


insert = Flask("insert")
_local = threading.local()
DATABASE = os.environ.get("BASELINE_DATABASE", "")


def _connection() -> Any:
    # One connection per thread, opened once, with the site's SQLite settings, so the
    # baseline pays for exactly one INSERT and one COMMIT a request.
    conn = getattr(_local, "conn", None)
    if conn is None:
        if DATABASE.startswith("postgresql"):
            import psycopg

            conn = psycopg.connect(DATABASE.replace("postgresql+psycopg://", "postgresql://"))
        else:
            conn = sqlite3.connect(DATABASE, timeout=5, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA busy_timeout=5000")
            conn.execute("PRAGMA synchronous=NORMAL")
        _local.conn = conn
    return conn


@insert.post("/")
def insert_one() -> str:
    conn = _connection()
    placeholder = "%s" if DATABASE.startswith("postgresql") else "?"
    conn.execute(f"INSERT INTO baseline_rows (note) VALUES ({placeholder})", ("hello",))
    conn.commit()
    return "ok"


# --- the sign-up floor -------------------------------------------------------------------
# Not a budget: what any Flask sign-up costs before its own rules. A Flask-WTF form
# (CSRF and five validated fields), one transaction inserting the signer and an outbox
# row with SQLAlchemy Core, and a 303. The site's sign-up adds to this its own rules
# (canonical address, referral and source, the shared rate-limit window, the held-flood
# check, a rendered confirmation e-mail with signed links); the bench shows both, so the
# distance between the budget, the framework and the site is measured, not argued.

signup_floor = Flask("signup_floor")
signup_floor.config["SECRET_KEY"] = os.environ.get("SECRET_KEY", "bench-floor-secret-key-0123")
FLOOR_TABLES = sa.MetaData()
floor_signers = sa.Table(
    "floor_signers", FLOOR_TABLES,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(320), unique=True),
    sa.Column("first_name", sa.String(100)), sa.Column("last_name", sa.String(100)),
    sa.Column("postcode", sa.String(10)), sa.Column("labour_member", sa.String(10)),
)  # fmt: skip
floor_outbox = sa.Table(
    "floor_outbox", FLOOR_TABLES,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("recipient", sa.String(320)), sa.Column("body", sa.Text),
)  # fmt: skip


# Built once, as a careful app would: the floor is the cheapest such sign-up, not a typical one.
INSERT_SIGNER = floor_signers.insert()
INSERT_MESSAGE = floor_outbox.insert()


def floor_engine(database: str) -> sa.Engine:
    """An engine on the baseline database (an SQLite path or a PostgreSQL URL)."""
    url = database if database.startswith("postgresql") else f"sqlite:///{database}"
    engine = sa.create_engine(url)
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_settings)
    return engine


@functools.cache
def _floor_engine() -> sa.Engine:
    # One per worker process, made on its first request (after gunicorn's fork).
    return floor_engine(DATABASE)


def _sqlite_settings(dbapi_connection: Any, record: Any) -> None:
    dbapi_connection.execute("PRAGMA journal_mode=WAL")
    dbapi_connection.execute("PRAGMA busy_timeout=5000")
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


class FloorForm(FlaskForm):
    email = EmailField(validators=[DataRequired(), Email(), Length(max=320)])
    first_name = StringField(validators=[DataRequired(), Length(max=100)])
    last_name = StringField(validators=[DataRequired(), Length(max=100)])
    postcode = StringField(validators=[Optional(), Length(max=10)])
    labour_member = SelectField(choices=["yes", "no", "lapsed"])


@signup_floor.route("/", methods=["GET", "POST"])
def sign_floor() -> Any:
    form = FloorForm()
    if form.validate_on_submit():
        with _floor_engine().begin() as connection:
            connection.execute(INSERT_SIGNER, {
                "email": form.email.data, "first_name": form.first_name.data,
                "last_name": form.last_name.data, "postcode": form.postcode.data,
                "labour_member": form.labour_member.data,
            })  # fmt: skip
            connection.execute(
                INSERT_MESSAGE, {"recipient": form.email.data, "body": "Please confirm"}
            )
        return redirect("/thanks", 303)
    return render_template_string(
        '<input name="csrf_token" value="{{ form.csrf_token.current_token }}">', form=form
    )
