"""Tokens services: the receiver's PUT and PATCH, the eMSP's real-time authorization, the CPO's
decision when a driver starts a charge, and how tokens are pushed and pulled (mod_tokens)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils.module_loading import import_string

from partners.models import AccessToken, InterfaceRole, Partner, Role, Tenant
from partners.rows import JoinedSelect
from partners.selectors import TOKEN_JOINS, TOKEN_PARTS
from roaming.errors import Invalid, NotEnoughInformation, UnknownToken
from roaming.models import DeliveryMethod, Token, Whitelist
from roaming.ocpi import inbound
from roaming.ocpi.client import OcpiClient, PartnerError, client_for
from roaming.ocpi.dialect import Dialect
from roaming.ocpi.dialects import dialect_of
from roaming.ocpi.headers import PartyRef
from roaming.ocpi.push import url_of
from roaming.ocpi.timestamps import now
from roaming.services import outbox, ownership, sync
from roaming.services.changes import Change
from roaming.services.ownership import pull_owner, receiving_party

MODULE = "tokens"
DEFAULT_TYPE = "RFID"  # the type a token URL means when it names none (mod_tokens)
_FIELDS = [
    f.name
    for f in Token._meta.concrete_fields
    if f.name not in ("id", "tenant", "partner", "country_code", "party_id", "uid", "type")
]


# Real-time authorization's read of the driver's token, as the ORM would write
# Token.objects.for_tenant(t).filter(partner__isnull=True, uid__iexact=uid, type=type).first() (found by the
# token_uid_lookup index), but prepared once per connection: compiling the queryset cost more CPU than the
# database spends answering it.
_OWN_TOKEN = JoinedSelect(
    "SELECT {columns} FROM {k} k WHERE k.tenant_id = %s AND k.partner_id IS NULL "
    "AND UPPER(k.uid) = UPPER(%s) AND k.type = %s ORDER BY k.id LIMIT 1",
    (Token, "k", None),
)


def owned_by(*, tenant: Tenant, country_code: str, party_id: str) -> QuerySet:
    return ownership.owned_by(Token, tenant=tenant, country_code=country_code, party_id=party_id)


def visible_to(*, tenant: Tenant, partner: Partner, dialect: Dialect) -> QuerySet:
    """The tenant's own tokens a partner may list: those of the connection's eMSP parties."""
    owners = ownership.listed_q(tenant=tenant, partner=partner, dialect=dialect, role=Role.EMSP)
    return Token.objects.for_tenant(tenant).filter(owners)


def find(queryset: QuerySet, *, uid: str, token_type: str | None) -> Token:
    """The token with this uid and type; with no type (a 2.1.1 URL names none), the RFID one first."""
    if token_type is not None:
        queryset = queryset.filter(type=token_type)
    token = min(queryset.filter(uid__iexact=uid), key=lambda t: t.type != DEFAULT_TYPE, default=None)
    if token is None:
        raise UnknownToken(f"Unknown token {f'{token_type} ' if token_type else ''}{uid!r}")
    return token


def _record(tenant: Tenant, partner: Partner | None, path: str, method: str, fields=()) -> None:
    outbox.record_own_or_hub_change(
        tenant=tenant, partner=partner, module=MODULE, object_path=path, method=method, fields=fields
    )


@transaction.atomic
def put_token(
    *, tenant: Tenant, partner: Partner | None, country_code: str, party_id: str, uid: str, token_type: str, data: dict
) -> Change:
    """Create or replace a token (the URL's uid and type must be the body's)."""
    ownership.check_ids(
        {
            name: (data.get(name), expected)
            for name, expected in (
                ("uid", uid),
                ("type", token_type),
                ("country_code", country_code),
                ("party_id", party_id),
            )
        }
    )
    token, created = ownership.upsert_owned(
        Token,
        tenant=tenant,
        partner=partner,
        country_code=country_code,
        party_id=party_id,
        key={"uid": uid, "type": token_type},
        data=data,
        fields=_FIELDS,
    )
    _record(tenant, partner, f"{token.object_path}?type={token.type}", DeliveryMethod.PUT)
    return Change(created, token.object_path)


@transaction.atomic
def patch_token(
    *,
    tenant: Tenant,
    partner: Partner | None,
    country_code: str,
    party_id: str,
    uid: str,
    token_type: str | None,
    fields: dict,
) -> Change:
    """Apply a PATCH (e.g. valid=false); one without last_updated (2.1.1) is stamped on receipt."""
    fields = {k: v for k, v in fields.items() if k in _FIELDS}
    fields.setdefault("last_updated", now())
    token = find(
        owned_by(tenant=tenant, country_code=country_code, party_id=party_id).select_for_update(),
        uid=uid,
        token_type=token_type,
    )
    ownership.refuse_stale(token.last_updated, fields["last_updated"], f"token {token.object_path}")
    for name, value in fields.items():
        setattr(token, name, value)
    token.save(update_fields=list(fields))
    _record(tenant, partner, f"{token.object_path}?type={token.type}", DeliveryMethod.PATCH, fields)
    return Change(False, token.object_path)


def resolve_cdr_token(*, tenant: Tenant, data: dict) -> None:
    """A 2.1.1 session or CDR names only the contract id: take uid and type from the token store when known."""
    token = data.get("cdr_token")
    if not token or token.get("type") != "OTHER" or token.get("uid") != token.get("contract_id"):
        return
    known = Token.objects.for_tenant(tenant).filter(contract_id=token["contract_id"]).order_by("-last_updated").first()
    if known is not None:
        data["cdr_token"] = {**token, "uid": known.uid, "type": known.type}


# -- real-time authorization (the eMSP side) ------------------------------------------------------------


@dataclass
class Authorization:
    """What the eMSP answers to a real-time authorization (AuthorizationInfo)."""

    allowed: str
    token: Token
    location: dict | None = None
    authorization_reference: str = ""
    info: dict | None = None


Rule = Callable[[Token, dict | None], Authorization | None]


def token_is_valid(token: Token, location: dict | None) -> Authorization | None:
    """An invalid token is blocked."""
    return None if token.valid else Authorization("BLOCKED", token, location)


def authorization_rules() -> list[Rule]:
    """The rules in order, from settings (TOKEN_AUTHORIZATION_RULES); the first verdict wins, else ALLOWED."""
    return [import_string(path) for path in settings.TOKEN_AUTHORIZATION_RULES]


def authorize(*, tenant: Tenant, uid: str, token_type: str, location: dict | None) -> Authorization:
    """Real-time authorization of one of the tenant's own tokens (mod_tokens POST authorize).

    Unknown token: 2004 (HTTP 404); no LocationReferences where the tenant requires them: 2002.
    """
    found = _OWN_TOKEN.rows([tenant.pk, uid, token_type])
    token = found[0][0] if found else None
    return authorize_token(token, uid=uid, token_type=token_type, location=location)


def authorize_token(token: Token | None, *, uid: str, token_type: str, location: dict | None) -> Authorization:
    """authorize() of the token it would have read for `uid` and `token_type` (None: the tenant has none), read
    already with the caller's credentials token (caller_and_own_token)."""
    if token is None:
        raise UnknownToken(f"Unknown token {token_type} {uid!r}")
    if location is None and settings.TOKEN_AUTHORIZATION_REQUIRES_LOCATION:
        raise NotEnoughInformation("LocationReferences are required to authorize this token")
    for rule in authorization_rules():
        verdict = rule(token, location)
        if verdict is not None:
            return verdict
    return Authorization("ALLOWED", token, location, authorization_reference=uuid.uuid4().hex)


# A real-time authorization's two reads in one statement: the caller's credentials token with its partner and
# tenant (partners.selectors.live_tokens), and that tenant's own token the request names, found as _OWN_TOKEN
# finds it and joined by its id: one round trip and one statement to prepare, on every database.
_CALLER_AND_OWN_TOKEN = JoinedSelect(
    "SELECT {columns} "  # noqa: S608 - every value is a parameter; only table names are filled in
    + TOKEN_JOINS.replace(
        " WHERE ",
        " LEFT JOIN {k} k ON k.id = (SELECT o.id FROM {k} o WHERE o.tenant_id = n.id AND o.partner_id IS NULL "
        "AND UPPER(o.uid) = UPPER(%s) AND o.type = %s ORDER BY o.id LIMIT 1) WHERE ",
        1,
    ),
    *TOKEN_PARTS,
    (Token, "k", None),
)


def caller_and_own_token(*, uid: str, token_type: str) -> Callable[..., list[AccessToken]]:
    """A reader for roaming.ocpi.auth.authenticate_header: the caller's live tokens as live_tokens reads them,
    each also carrying `.own_token`, the tenant's own token `uid` of `token_type` (None when it has none),
    read in the same statement."""

    def read(*, tenant_slug: str, token_hashes: list[str]) -> list[AccessToken]:
        if not token_hashes:
            return []
        hashes = ", ".join(["%s"] * len(token_hashes))
        rows = _CALLER_AND_OWN_TOKEN.rows([uid, token_type, tenant_slug, *token_hashes], hashes=hashes)
        for token, partner, tenant, own in rows:
            token.partner, token.tenant = partner, tenant
            token.own_token = own if own.pk is not None else None
        return [token for token, *_ in rows]

    return read


# -- starting a charge (the CPO side) -----------------------------------------------------------------------


@dataclass(frozen=True)
class StartDecision:
    allowed: bool
    source: str  # "whitelist", "eMSP", or "whitelist (eMSP unreachable)"
    authorization_reference: str = ""
    detail: str = ""
    #: The answer's extension fields the eMSP wants back on the session and CDR (its profile's extension_fields).
    extensions: dict = field(default_factory=dict)


def decide_start(*, token: Token, location: dict | None, client: OcpiClient | None = None) -> StartDecision:
    """May a received token start a charge? Per its whitelist (mod_tokens WhitelistType): ALWAYS needs no
    question; ALLOWED and ALLOWED_OFFLINE ask the eMSP and fall back to the token's valid flag when it
    does not answer; NEVER asks and refuses when there is no answer."""
    if token.whitelist == Whitelist.ALWAYS:
        return StartDecision(token.valid, "whitelist")
    partner = token.partner
    endpoint = partner.endpoints.filter(identifier=MODULE, role=InterfaceRole.SENDER).first() if partner else None
    dialect = dialect_of(partner) if partner else None
    answer = None
    detail = ""
    if endpoint is not None and dialect is not None:
        client = client or client_for(partner)
        client.read_timeout = settings.TOKEN_AUTHORIZATION_TIMEOUT
        url = url_of(endpoint.url, f"{quote(token.uid, safe='')}/authorize")
        try:
            result = client.post(
                url,
                json=_refs_to_wire(location),
                params={"type": token.type},
                to_party=PartyRef(token.country_code, token.party_id),
            )
            answer = inbound.receiving(dialect, partner.profile).module(MODULE).authorization_from_wire(result.object())
        except (PartnerError, Invalid) as exc:
            detail = str(exc)
    if answer is not None:
        return StartDecision(
            answer["allowed"] == "ALLOWED", "eMSP", answer["authorization_reference"], extensions=answer["extensions"]
        )
    if token.whitelist == Whitelist.NEVER:
        return StartDecision(False, "eMSP unreachable", detail=detail)
    return StartDecision(token.valid, "whitelist (eMSP unreachable)", detail=detail)


def _refs_to_wire(location: dict | None) -> dict | None:
    if not location:
        return None
    return {k: v for k, v in location.items() if v}


# -- pushing and pulling ------------------------------------------------------------------------------------


def build_push(delivery, dialect: Dialect) -> outbox.OutgoingRequest | None:
    path, _, query = delivery.object_path.partition("?type=")
    country_code, party_id, uid = path.split("/", 2)
    token = Token.objects.filter(
        tenant_id=delivery.tenant_id, country_code=country_code, party_id=party_id, uid=uid, type=query or DEFAULT_TYPE
    ).first()
    if token is None:
        return None
    translator = dialect.module(MODULE)
    body = translator.to_wire(token)
    target = path if token.type == DEFAULT_TYPE or token.type not in translator.types else delivery.object_path
    sent = {
        "module": MODULE,
        "from_party": PartyRef(country_code, party_id),
        "to_party": receiving_party(delivery.partner_id),
        "extensions": token.extensions,
    }
    if delivery.method == DeliveryMethod.PATCH:
        wanted = {translator.wire_names.get(name, name) for name in delivery.fields} | {"last_updated"}
        patch = {k: v for k, v in body.items() if k in wanted}
        whole = outbox.OutgoingRequest("PUT", target, body=body, **sent)
        return outbox.OutgoingRequest(delivery.method, target, body=patch, whole=whole, **sent)
    return outbox.OutgoingRequest(delivery.method, target, body=body, **sent)


def ingest(partner: Partner, dialect: Dialect, wire: dict) -> Change:
    translator = dialect.module(MODULE)
    owner = pull_owner(partner=partner, translator=translator, wire=wire, role=Role.EMSP)
    data = translator.from_wire(wire, owner=owner)
    return put_token(
        tenant=partner.tenant,
        partner=partner,
        country_code=owner[0],
        party_id=owner[1],
        uid=data["uid"],
        token_type=data["type"],
        data=data,
    )


def current(partner: Partner, dialect: Dialect) -> list[str]:
    """Paths of the tokens a partner (a CPO) holds of ours once in sync, valid or not (an invalid token is what
    its whitelist decision needs to know): what it may list, oldest first."""
    owned = visible_to(tenant=partner.tenant, partner=partner, dialect=dialect).order_by("pk")
    return [
        f"{country_code}/{party_id}/{uid}?type={token_type}"
        for country_code, party_id, uid, token_type in owned.values_list("country_code", "party_id", "uid", "type")
    ]


PUSHABLE = outbox.Pushable(MODULE, build=build_push, current=current)
PULLABLE = sync.Pullable(MODULE, ingest=ingest)
