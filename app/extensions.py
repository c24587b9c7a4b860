"""Extension singletons, bound to an app in create_app via init_app."""
from flask_limiter import Limiter
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from app.core.network import client_address
from app.core.read_session import ReadSession


class Base(DeclarativeBase):
    # Named constraints, so Alembic migrations can name what they alter and drop.
    metadata = MetaData(naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    })


# Reads outside a unit of work run in autocommit (no BEGIN/ROLLBACK, prepared statements kept).
db = SQLAlchemy(model_class=Base, session_options={"class_": ReadSession})
migrate = Migrate()
# Storage is chosen in create_app (RATELIMIT_STORAGE_URI): Redis when REDIS_URL is set, memory otherwise.
# Its own headers are off: it added Retry-After to every answer of a limited route, successes
# included. app.core.headers writes X-RateLimit-*, and the 429 handler Retry-After.
limiter = Limiter(key_func=client_address, default_limits=[], headers_enabled=False)
