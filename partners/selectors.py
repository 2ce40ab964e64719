"""Reads on every request's path, as plain SQL built from the models' metadata.

Every OCPI request starts by finding the caller's token with its partner and tenant. Through the
ORM, compiling that query cost more CPU than the database spent answering it; here the SQL is put
together once per process and each row is turned into model instances the way the ORM would
(`from_db`, with the fields' database converters), so callers get ordinary model objects.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connections, models

from partners.models import AccessToken, Partner, PartnerParty, Party, Role, Tenant


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


def _parts(db, *aliased: tuple[type[models.Model], str]) -> tuple[str, list[_Part]]:
    columns, parts, start = [], [], 0
    for model, alias in aliased:
        fields = model._meta.concrete_fields
        columns += [f'{alias}."{field.column}"' for field in fields]
        # As the ORM's compiler does: the backend's converters, then the field's own.
        converters = [
            (col, db.ops.get_db_converters(col) + col.get_db_converters(db))
            for col in (field.get_col(alias) for field in fields)
        ]
        parts.append(_Part(model, [field.attname for field in fields], start, converters))
        start += len(fields)
    return ", ".join(columns), parts


def _live_token_statement(db) -> tuple[str, list[_Part]]:
    """Built once per database connection object (converters may belong to the backend's connection)."""
    statement = getattr(db, "_live_token_statement", None)
    if statement is not None:
        return statement
    columns, parts = _parts(db, (AccessToken, "t"), (Partner, "p"), (Tenant, "n"))
    # Names come from the models' metadata; every value is a bound parameter.
    sql = (
        f"SELECT {columns} FROM {AccessToken._meta.db_table} t "  # noqa: S608
        f"JOIN {Partner._meta.db_table} p ON p.id = t.partner_id "
        f"JOIN {Tenant._meta.db_table} n ON n.id = t.tenant_id "
        "WHERE n.slug = %s AND n.is_active AND t.revoked_at IS NULL AND t.token_hash IN ({hashes})"
    )
    db._live_token_statement = (sql, parts)
    return sql, parts


def live_tokens(*, tenant_slug: str, token_hashes: list[str]) -> list[AccessToken]:
    """Unrevoked tokens of the active tenant `tenant_slug` among `token_hashes`, each with `.partner` and
    `.tenant` loaded (the same as AccessToken.objects.active().select_related("partner", "tenant"))."""
    if not token_hashes:
        return []
    db = connections[DEFAULT_DB_ALIAS]
    sql, (token_part, partner_part, tenant_part) = _live_token_statement(db)
    with db.cursor() as cursor:
        cursor.execute(sql.format(hashes=", ".join(["%s"] * len(token_hashes))), [tenant_slug, *token_hashes])
        rows = cursor.fetchall()
    tokens = []
    for row in rows:
        token = token_part.load(row, db)
        token.partner = partner_part.load(row, db)
        token.tenant = tenant_part.load(row, db)
        tokens.append(token)
    return tokens


def speaks_for(*, partner: Partner, country_code: str, party_id: str) -> bool:
    """Whether `partner` speaks for the party country_code*party_id (CiStrings: case-insensitive)."""
    sql = (
        f"SELECT 1 FROM {PartnerParty._meta.db_table} "  # noqa: S608 - the table name is the model's
        "WHERE tenant_id = %s AND partner_id = %s AND UPPER(country_code) = UPPER(%s) AND UPPER(party_id) = UPPER(%s) "
        "LIMIT 1"
    )
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(sql, [partner.tenant_id, partner.pk, country_code, party_id])
        return cursor.fetchone() is not None


def owner_and_hub_parties(
    *, partner: Partner, country_code: str, party_id: str, to_party: tuple[str, str] | None = None
) -> list[tuple[str, str, str, bool]]:
    """The partner's parties named country_code*party_id and its HUB parties, as (country_code, party_id, role,
    addressed_to_us): whether `to_party` (OCPI-to) is one of the tenant's own parties, True when none is named."""
    params: list = []
    addressed = "1"
    if to_party is not None:
        addressed = (
            f"EXISTS (SELECT 1 FROM {Party._meta.db_table} "  # noqa: S608 - the table name is the model's
            "WHERE tenant_id = %s AND country_code = %s AND party_id = %s)"
        )
        params += [partner.tenant_id, *to_party]
    sql = (
        f"SELECT UPPER(country_code), UPPER(party_id), role, {addressed} "  # noqa: S608 - as above
        f"FROM {PartnerParty._meta.db_table} WHERE tenant_id = %s AND partner_id = %s "
        "AND (role = %s OR (UPPER(country_code) = UPPER(%s) AND UPPER(party_id) = UPPER(%s)))"
    )
    params += [partner.tenant_id, partner.pk, Role.HUB, country_code, party_id]
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(sql, params)
        return [(cc, pid, role, bool(ours)) for cc, pid, role, ours in cursor.fetchall()]
