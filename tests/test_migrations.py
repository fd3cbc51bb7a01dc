"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

import warnings

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.schema import CreateIndex

from campaign.extensions import db


def expression_indexes(metadata: sa.MetaData) -> list[sa.Index]:
    """Indexes on an expression (such as lower(last_name)) rather than on plain columns."""
    return [
        index
        for table in metadata.tables.values()
        for index in table.indexes
        if any(not isinstance(e, sa.Column) for e in index.expressions)
    ]


def test_models_match_migrations(app):
    with app.app_context(), db.engine.connect() as connection:
        on_sqlite = connection.dialect.name == "sqlite"
        with warnings.catch_warnings():
            if on_sqlite:
                # SQLite cannot reflect an index on an expression, so Alembic skips comparing
                # one (with a warning from each): they are compared by their DDL below.
                warnings.filterwarnings("ignore", "Skipped unsupported reflection of expr")
                warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expr")
            context = MigrationContext.configure(connection)
            differences = compare_metadata(context, db.metadata)
        assert differences == []
        if on_sqlite:
            query = sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'index'")
            stored = {name: sql for name, sql in connection.execute(query)}
            for index in expression_indexes(db.metadata):
                wanted = str(CreateIndex(index).compile(dialect=connection.dialect))
                assert _words(stored.get(index.name)) == _words(wanted), index.name


def _words(sql: str | None) -> str:
    """SQL with its spacing normalised, for comparing DDL written by hand and generated."""
    return " ".join((sql or "").replace("(", " ( ").replace(")", " ) ").split()).lower()
