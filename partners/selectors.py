"""Reads on every request's path, as plain SQL (see partners.rows for why).

Every OCPI request starts by finding the caller's token with its partner and tenant, then checks
which parties the partner speaks for.
"""

from __future__ import annotations

from partners.models import AccessToken, Partner, PartnerParty, Party, Role, Tenant
from partners.rows import JoinedSelect, prepared_cursor

# The caller's token with its partner and tenant; roaming.services.tokens joins the driver's token to them.
TOKEN_JOINS = (
    "FROM {t} t JOIN {p} p ON p.id = t.partner_id JOIN {n} n ON n.id = t.tenant_id "
    "WHERE n.slug = %s AND n.is_active AND t.revoked_at IS NULL AND t.token_hash IN ({hashes})"
)
TOKEN_PARTS = ((AccessToken, "t", None), (Partner, "p", None), (Tenant, "n", None))
_LIVE_TOKENS = JoinedSelect("SELECT {columns} " + TOKEN_JOINS, *TOKEN_PARTS)

# The partner's parties (pp) a write under country_code*party_id is checked against: the owner and its HUB
# parties (params: HUB, country_code, party_id), as (country_code, party_id, role, addressed_to_us).
_OWNER_OR_HUB = "(pp.role = %s OR (UPPER(pp.country_code) = UPPER(%s) AND UPPER(pp.party_id) = UPPER(%s)))"
_PARTY_COLUMNS = "UPPER(pp.country_code), UPPER(pp.party_id), pp.role, {addressed}"
# addressed_to_us when OCPI-to names a party (params: its country_code, party_id); "1" when it names none.
_ADDRESSED_TO_US = (
    f"EXISTS (SELECT 1 FROM {Party._meta.db_table} "  # noqa: S608 - the table name is the model's
    "WHERE tenant_id = pp.tenant_id AND country_code = %s AND party_id = %s)"
)

# The token statement with those parties: one row per such party, or one row with NULLs when there is none.
_LIVE_TOKENS_WITH_PARTIES = JoinedSelect(
    f"SELECT {{columns}}, {_PARTY_COLUMNS} "
    + TOKEN_JOINS.replace(
        " WHERE ",
        f" LEFT JOIN {{pp}} pp ON pp.tenant_id = t.tenant_id AND pp.partner_id = p.id AND {_OWNER_OR_HUB} WHERE ",
    ),
    *TOKEN_PARTS,
    tables={"pp": PartnerParty},
)


def live_tokens(
    *,
    tenant_slug: str,
    token_hashes: list[str],
    owner: tuple[str, str] | None = None,
    to_party: tuple[str, str] | None = None,
) -> list[AccessToken]:
    """Unrevoked tokens of the active tenant `tenant_slug` among `token_hashes`, each with `.partner` and
    `.tenant` loaded (the same as AccessToken.objects.active().select_related("partner", "tenant")).

    With `owner` (country_code, party_id), each token also carries `.owner_and_hub_parties`: what
    owner_and_hub_parties() would answer for its partner, `owner` and `to_party`, read in the same statement."""
    if not token_hashes:
        return []
    hashes = ", ".join(["%s"] * len(token_hashes))
    if owner is None:
        rows = _LIVE_TOKENS.rows([tenant_slug, *token_hashes], hashes=hashes)
        for token, partner, tenant in rows:
            token.partner, token.tenant = partner, tenant
        return [token for token, _, _ in rows]
    addressed = "1" if to_party is None else _ADDRESSED_TO_US
    params = [*(to_party or ()), Role.HUB, *owner, tenant_slug, *token_hashes]
    tokens: dict[int, AccessToken] = {}
    for token, partner, tenant, cc, pid, role, ours in _LIVE_TOKENS_WITH_PARTIES.rows(
        params, hashes=hashes, addressed=addressed
    ):
        token = tokens.setdefault(token.pk, token)
        if not hasattr(token, "owner_and_hub_parties"):
            token.partner, token.tenant, token.owner_and_hub_parties = partner, tenant, []
        if role is not None:
            token.owner_and_hub_parties.append((cc, pid, role, bool(ours)))
    return list(tokens.values())


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
    addressed = "1" if to_party is None else _ADDRESSED_TO_US
    sql = (
        f"SELECT {_PARTY_COLUMNS.format(addressed=addressed)} FROM {PartnerParty._meta.db_table} pp "  # noqa: S608
        f"WHERE pp.tenant_id = %s AND pp.partner_id = %s AND {_OWNER_OR_HUB}"
    )
    params = [*(to_party or ()), partner.tenant_id, partner.pk, Role.HUB, country_code, party_id]
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        return [(cc, pid, role, bool(ours)) for cc, pid, role, ours in cursor.fetchall()]
