"""Plain SQL for request hot paths: prepared statements, and joined SELECTs loaded as model instances.

Through the ORM, compiling a small joined query costs more CPU than the database spends answering it.
A `JoinedSelect` puts its SQL together once per database connection from the models' metadata and
turns each row into model instances the way the ORM does (`from_db`, with the backend's and the
fields' database converters), so callers get the objects a queryset with `select_related` and
`only` would have given them. Every value is a bound parameter; only names come from metadata.

On PostgreSQL the statements run through `prepared_cursor()`: parsed and planned once per
connection instead of on every request, which halves the database's CPU per status update.
psycopg forgets a connection's prepared statements when a transaction rolls back (e.g. an OCPI
error raised inside one) and prepares them again on their next use.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper


@contextmanager
def prepared_cursor(alias: str = DEFAULT_DB_ALIAS):
    """A cursor (Django's wrapper, so statements are logged and counted as usual) whose statements
    PostgreSQL prepares on first use on a connection and reuses after that. Server-side binding: every
    value travels as a parameter. Off with DB_PREPARED_STATEMENTS=false (e.g. behind a pooler in
    transaction mode that cannot keep prepared statements), and on other databases a plain cursor."""
    db = connections[alias]
    if db.vendor != "postgresql" or not settings.DB_PREPARED_STATEMENTS:
        with db.cursor() as cursor:
            yield cursor
        return
    db.ensure_connection()
    db.validate_thread_sharing()
    raw = _PreparingCursor(db.connection)
    with _StatementDebugWrapper(raw, db) if db.queries_logged else db.make_cursor(raw) as cursor:
        yield cursor


class _PreparingCursor(psycopg.Cursor):
    """psycopg prepares what runs on this cursor at once (Django turns automatic preparation off)."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True if prepare is None else prepare, binary=binary)


class _StatementDebugWrapper(CursorDebugWrapper):
    """Logs a statement as written (with its placeholders): a prepared one leaves no query text on the
    cursor for Django to read back."""

    def execute(self, sql, params=None):
        with self.debug_sql(sql, params):
            return CursorWrapper.execute(self, sql, params)


@dataclass(frozen=True)
class _Part:
    """One model's columns in a joined SELECT: where they sit in a row and how to load them."""

    model: type[models.Model]
    attnames: list[str]
    start: int
    converters: list[tuple]  # (column expression, its converters), per field

    def load(self, row, db) -> models.Model:
        values = list(row[self.start : self.start + len(self.attnames)])
        for index, (column, converters) in enumerate(self.converters):
            for convert in converters:
                values[index] = convert(values[index], column, db)
        return self.model.from_db(db.alias, self.attnames, values)


class JoinedSelect:
    """A SELECT of some (or all) columns of joined models.

    `template` is the statement with `{columns}` where the selected columns go, `{<alias>}` for each
    model's table (and for each of `tables`, models joined without loading them), and any names given
    to `rows()` as further placeholders (e.g. a list of `%s`). `parts` are (model, alias, field names or
    None for every concrete field), in row order. Columns the template selects after `{columns}` come
    back as plain values after the instances.
    """

    def __init__(
        self,
        template: str,
        *parts: tuple[type[models.Model], str, tuple[str, ...] | None],
        tables: dict[str, type[models.Model]] | None = None,
    ):
        self.template = template
        self.parts = parts
        self.tables = tables or {}

    def _compiled(self, db) -> tuple[str, list[_Part]]:
        # Per connection object: converters may belong to the backend's connection.
        cache = db.__dict__.setdefault("_joined_selects", {})
        compiled = cache.get(self)
        if compiled is None:
            columns, loaders, start = [], [], 0
            for model, alias, names in self.parts:
                fields = model._meta.concrete_fields
                if names is not None:
                    # In the model's field order: that is how from_db() reads a partial row.
                    wanted = {model._meta.pk, *(model._meta.get_field(name) for name in names)}
                    fields = [field for field in fields if field in wanted]
                columns += [f'{alias}."{field.column}"' for field in fields]
                converters = [
                    (col, db.ops.get_db_converters(col) + col.get_db_converters(db))
                    for col in (field.get_col(alias) for field in fields)
                ]
                loaders.append(_Part(model, [field.attname for field in fields], start, converters))
                start += len(fields)
            tables = {alias: model._meta.db_table for model, alias, _ in self.parts}
            tables.update({alias: model._meta.db_table for alias, model in self.tables.items()})
            sql = self.template.replace("{columns}", ", ".join(columns))
            for alias, table in tables.items():
                sql = sql.replace("{" + alias + "}", table)
            cache[self] = compiled = (sql, loaders)
        return compiled

    def rows(self, params: list, **placeholders: str) -> list[tuple[models.Model, ...]]:
        """Each row as one instance per part, in the order of `parts`, then any further columns."""
        db = connections[DEFAULT_DB_ALIAS]
        sql, loaders = self._compiled(db)
        if placeholders:
            sql = sql.format(**placeholders)
        with prepared_cursor() as cursor:
            cursor.execute(sql, params)
            fetched = cursor.fetchall()
        width = loaders[-1].start + len(loaders[-1].attnames)
        return [(*(loader.load(row, db) for loader in loaders), *row[width:]) for row in fetched]
