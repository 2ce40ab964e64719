"""Plain SELECTs over joined models for request hot paths, loaded back as ordinary model instances.

Through the ORM, compiling a small joined query costs more CPU than the database spends answering it.
A `JoinedSelect` puts its SQL together once per database connection from the models' metadata and
turns each row into model instances the way the ORM does (`from_db`, with the backend's and the
fields' database converters), so callers get the objects a queryset with `select_related` and
`only` would have given them. Every value is a bound parameter; only names come from metadata.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connections, models


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
    model's table, and any names given to `rows()` as further placeholders (e.g. a list of `%s`).
    `parts` are (model, alias, field names or None for every concrete field), in row order.
    """

    def __init__(self, template: str, *parts: tuple[type[models.Model], str, tuple[str, ...] | None]):
        self.template = template
        self.parts = parts

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
            sql = self.template.replace("{columns}", ", ".join(columns))
            for alias, table in tables.items():
                sql = sql.replace("{" + alias + "}", table)
            cache[self] = compiled = (sql, loaders)
        return compiled

    def rows(self, params: list, **placeholders: str) -> list[tuple[models.Model, ...]]:
        """Each row as one instance per part, in the order of `parts`."""
        db = connections[DEFAULT_DB_ALIAS]
        sql, loaders = self._compiled(db)
        if placeholders:
            sql = sql.format(**placeholders)
        with db.cursor() as cursor:
            cursor.execute(sql, params)
            fetched = cursor.fetchall()
        return [tuple(loader.load(row, db) for loader in loaders) for row in fetched]
