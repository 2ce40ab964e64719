"""Reads on every request's path, as plain SQL (see partners.rows for why).

Every OCPI request starts by finding the caller's token with its partner and tenant, then checks
which parties the partner speaks for.
"""

from __future__ import annotations

from partners.models import AccessToken, Partner, PartnerParty, Party, Role, Tenant
from partners.rows import JoinedSelect, prepared_cursor

_LIVE_TOKENS = JoinedSelect(
    "SELECT {columns} FROM {t} t JOIN {p} p ON p.id = t.partner_id JOIN {n} n ON n.id = t.tenant_id "
    "WHERE n.slug = %s AND n.is_active AND t.revoked_at IS NULL AND t.token_hash IN ({hashes})",
    (AccessToken, "t", None),
    (Partner, "p", None),
    (Tenant, "n", None),
)


def live_tokens(*, tenant_slug: str, token_hashes: list[str]) -> list[AccessToken]:
    """Unrevoked tokens of the active tenant `tenant_slug` among `token_hashes`, each with `.partner` and
    `.tenant` loaded (the same as AccessToken.objects.active().select_related("partner", "tenant"))."""
    if not token_hashes:
        return []
    rows = _LIVE_TOKENS.rows([tenant_slug, *token_hashes], hashes=", ".join(["%s"] * len(token_hashes)))
    for token, partner, tenant in rows:
        token.partner, token.tenant = partner, tenant
    return [token for token, _, _ in rows]


def speaks_for(*, partner: Partner, country_code: str, party_id: str) -> bool:
    """Whether `partner` speaks for the party country_code*party_id (CiStrings: case-insensitive)."""
    sql = (
        f"SELECT 1 FROM {PartnerParty._meta.db_table} "  # noqa: S608 - the table name is the model's
        "WHERE tenant_id = %s AND partner_id = %s AND UPPER(country_code) = UPPER(%s) AND UPPER(party_id) = UPPER(%s) "
        "LIMIT 1"
    )
    with prepared_cursor() as cursor:
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
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        return [(cc, pid, role, bool(ours)) for cc, pid, role, ours in cursor.fetchall()]
