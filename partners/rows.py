"""Plain SQL, in one place: the one question which database this is, prepared statements, and the
readers and writers that skip the ORM where its per-row cost is most of a request's or a page's.

On PostgreSQL (`on_postgresql()`, the only place that asks which database this is) several paths run
as plain SQL; everywhere else (the embedded SQLite of the demo) the same callers take the ORM's
portable path, with the same outcome. What runs here:

- `prepared_cursor()`: statements PostgreSQL parses and plans once per connection instead of on
  every request, which halves the database's CPU per status update. psycopg forgets a connection's
  prepared statements when a transaction rolls back (e.g. an OCPI error raised inside one) and
  prepares them again on their next use.
- `JoinedSelect`: a joined SELECT whose SQL is put together once per connection from the models'
  metadata; each row becomes model instances the way the ORM makes them (`from_db`, with the
  backend's and the fields' converters), so callers get what a queryset with `select_related` and
  `only` would have given them. Through the ORM, compiling a small joined query costs more CPU than
  the database spends answering it.
- `ModelRows` and `value_rows()`: rows fetched from the cursor as is, JSON decoded with orjson,
  timestamps as the database's UTC text (ModelRows) or by psycopg's own C loader (value_rows):
  Django's row converters and its pure-Python timestamp loader are most of the cost of reading a page
  of a thousand locations' 13,000 rows.
- `copy_insert()` and `copy_update()`: many rows written with COPY, where the client would otherwise
  quote every value of a bulk INSERT, or bulk_update's CASE per field and row take seconds.

Every value is a bound parameter; only names come from the models' metadata.
"""

from __future__ import annotations

from collections import namedtuple
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial

import orjson
import psycopg
from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.db.models import DateTimeField, F, JSONField, Lookup, Q, QuerySet
from psycopg import postgres
from psycopg.adapt import Loader
from psycopg.pq import Format


def on_postgresql(alias: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether the database is PostgreSQL, whose plain-SQL paths (COPY, ON CONFLICT … RETURNING, advisory
    locks, prepared statements) the callers take; elsewhere they take the ORM's portable path."""
    return connections[alias].vendor == "postgresql"


@contextmanager
def prepared_cursor(alias: str = DEFAULT_DB_ALIAS):
    """A cursor (Django's wrapper, so statements are logged and counted as usual) whose statements
    PostgreSQL prepares on first use on a connection and reuses after that. Server-side binding: every
    value travels as a parameter. Off with DB_PREPARED_STATEMENTS=false (e.g. behind a pooler in
    transaction mode that cannot keep prepared statements), and on other databases a plain cursor."""
    db = connections[alias]
    if not on_postgresql(alias) or not settings.DB_PREPARED_STATEMENTS:
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


class ModelRows:
    """Reads rows of one model (every concrete field) as named tuples of its attnames, on PostgreSQL.

    psycopg builds each tuple in C, with no Python per row: JSON columns are decoded by orjson in the
    cursor's loader, a JSON column holding an empty list comes back None (both mean "none" to the readers,
    and a page holds tens of thousands of them), timestamps come as the database's UTC text, which
    format_datetime turns into OCPI's form by slicing (the session time zone is UTC). The statement is
    prepared once per connection (`prepared_cursor`).
    """

    def __init__(self, model, name: str):
        fields = model._meta.concrete_fields
        self.row = namedtuple(name, [f.attname for f in fields])
        self._make_row = partial(tuple.__new__, self.row)
        self._model = model

    def _select(self, field) -> str:
        column = connection.ops.quote_name(field.column)
        if isinstance(field, JSONField):
            return f"NULLIF({column}, '[]'::jsonb)"
        if isinstance(field, DateTimeField):
            return f"{column}::text"
        return column

    def where_one_of(self, field: str, ids: list[int], *, order_by: tuple[str, ...]) -> list:
        """The rows whose `field` (a key) is one of `ids`, ordered by the fields `order_by`.

        The ids travel as one array literal: psycopg dumps a list element by element in Python, some
        5 ms for the 4,000 EVSE ids of a page's connectors."""
        meta, quote = self._model._meta, connection.ops.quote_name
        sql = (
            f"SELECT {', '.join(self._select(f) for f in meta.concrete_fields)} FROM {quote(meta.db_table)} "  # noqa: S608 - names from the model
            f"WHERE {quote(meta.get_field(field).column)} = ANY(%s::bigint[]) "
            f"ORDER BY {', '.join(quote(meta.get_field(name).column) for name in order_by)}"
        )
        with prepared_cursor() as cursor:
            cursor.cursor.adapters.register_loader("jsonb", _OrjsonLoader)
            cursor.cursor.row_factory = lambda _cursor: self._make_row
            cursor.execute(sql, ["{" + ",".join(map(str, ids)) + "}"])
            return cursor.fetchall()


class _OrjsonLoader(Loader):
    load = staticmethod(orjson.loads)  # called by psycopg's C code as is, with no Python frame per value


class _AnyOf(Lookup):
    """`field = ANY(%s)`, the values one array parameter (see one_of)."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", (*lhs_params, list(self.rhs))


def one_of(field: str, values: list) -> Q | Lookup:
    """A filter() argument: `field` is one of `values`. On PostgreSQL one array parameter, so the statement's
    text is the same however many values there are: psycopg splits a statement's text at its placeholders on
    the client, and an IN list of a page's thousand ids cost some 15 ms of CPU per query. Elsewhere field__in."""
    if not on_postgresql():
        return Q(**{f"{field}__in": values})
    return _AnyOf(F(field), list(values))


def value_rows(queryset: QuerySet) -> list[tuple]:
    """A values_list queryset's rows, as the queryset gives them. On PostgreSQL read from the cursor as is,
    JSON decoded with orjson and timestamps by psycopg's own (C) loader."""
    if not on_postgresql():
        return list(queryset)
    json_names = {
        n for f in queryset.model._meta.concrete_fields if isinstance(f, JSONField) for n in (f.name, f.attname)
    }
    json_positions = [i for i, name in enumerate(queryset.query.values_select) if name in json_names]
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:  # a filter Django knows matches nothing (e.g. an empty IN): it writes no SQL
        return []
    with connection.cursor() as cursor:
        loader = postgres.adapters.get_loader(postgres.types["timestamptz"].oid, Format.TEXT)
        cursor.cursor.adapters.register_loader("timestamptz", loader)
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not json_positions:
        return rows
    loads = orjson.loads
    decoded = []
    for row in rows:
        row = list(row)
        for position in json_positions:
            if isinstance(row[position], (str, bytes)):  # Django has psycopg hand jsonb over as text
                row[position] = loads(row[position])
        decoded.append(tuple(row))
    return decoded


def copy_insert(model, rows: list[dict]) -> list[int]:
    """Insert rows given as {attname: value} (absent fields at their defaults) and return their ids.

    bulk_create elsewhere; on PostgreSQL one COPY, with the ids drawn from the table's sequence in one
    query: several times faster than building model instances and an INSERT whose every value the
    client quotes, for the 13,000 rows of a page of locations.
    """
    if not rows:
        return []
    if not on_postgresql():
        return [obj.pk for obj in model.objects.bulk_create([model(**row) for row in rows], batch_size=1000)]
    table = model._meta.db_table
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    defaults = {f.attname: f.get_default() for f in fields}
    json_fields = [f.attname for f in fields if isinstance(f, JSONField)]
    dumps = orjson.dumps
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, len(rows)]
        )
        ids = [pk for (pk,) in cursor.fetchall()]
        columns = ", ".join(connection.ops.quote_name(c) for c in ("id", *(f.column for f in fields)))
        with cursor.cursor.copy(f"COPY {connection.ops.quote_name(table)} ({columns}) FROM STDIN") as copy:
            for pk, row in zip(ids, rows, strict=True):
                values = {**defaults, **row}
                for name in json_fields:
                    if values[name] is not None:
                        values[name] = dumps(values[name]).decode()
                copy.write_row((pk, *(values[f.attname] for f in fields)))
    return ids


def copy_update(model, objects: list, names: list[str]) -> None:
    """Save fields `names` of many objects. bulk_update elsewhere; on PostgreSQL the values are copied into
    a temporary table and applied with one UPDATE … FROM, where bulk_update's CASE per field and row takes
    seconds for a page."""
    if not objects:
        return
    if not on_postgresql():
        model.objects.bulk_update(objects, names, batch_size=500)
        return
    quote = connection.ops.quote_name
    fields = [model._meta.get_field(name) for name in names]
    columns = [quote(f.column) for f in fields]
    json_fields = {f.attname for f in fields if isinstance(f, JSONField)}
    table = quote(model._meta.db_table)
    dumps = orjson.dumps
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE pulled_update ON COMMIT DROP AS SELECT id, {', '.join(columns)} "  # noqa: S608
            f"FROM {table} WITH NO DATA"
        )
        with cursor.cursor.copy(f"COPY pulled_update (id, {', '.join(columns)}) FROM STDIN") as copy:
            for obj in objects:
                values = [getattr(obj, f.attname) for f in fields]
                copy.write_row(
                    (
                        obj.pk,
                        *(
                            dumps(v).decode() if f.attname in json_fields and v is not None else v
                            for f, v in zip(fields, values, strict=True)
                        ),
                    )
                )
        assignments = ", ".join(f"{c} = pulled_update.{c}" for c in columns)
        cursor.execute(f"UPDATE {table} SET {assignments} FROM pulled_update WHERE {table}.id = pulled_update.id")  # noqa: S608
        cursor.execute("DROP TABLE pulled_update")
