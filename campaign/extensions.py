"""Flask extensions, created here unbound and bound to the app in `create_app`."""

from typing import TYPE_CHECKING

from flask_limiter import Limiter
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from campaign.clients import client_ip_hash


class Base(DeclarativeBase):
    # Named constraints so Alembic migrations are stable on SQLite and PostgreSQL alike.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


db = SQLAlchemy(model_class=Base)
# The models' base class: Flask-SQLAlchemy's db.Model, built at run time from Base, which is
# what a type checker is shown (it cannot follow a class made by a call).
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
csrf = CSRFProtect()
mailer = Mail()
login_manager = LoginManager()


def limit_key() -> str:
    """A request's rate-limit key: the keyed hash of the client address, never the address.

    The address has already been corrected by ProxyFix when proxies are trusted.
    """
    return client_ip_hash() or "unknown-client"


# Storage: campaign.ratelimit.FailoverStorage (Redis, else the database), set in create_app.
limiter = Limiter(key_func=limit_key, default_limits=[])
