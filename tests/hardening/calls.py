"""Calling every operation of the route registry (roaming.api.openapi.operations) in the hardening suite's world
(the `world` fixture): who calls it, at which URL, with the smallest valid body, after storing what it addresses."""

from __future__ import annotations

import orjson

from partners.models import PartnerParty, Role
from roaming.api.openapi import operations
from roaming.models import (
    ActiveChargingProfile,
    Cdr,
    ChargingProfileRequest,
    ClientInfo,
    Command,
    Connector,
    Evse,
    InvoiceReconciliationRecord,
    Location,
    Session,
    Token,
)
from tariffs.models import Tariff
from tests.factories import auth
from tests.hardening.cases import DATETIME, SchemaWalker

# What a request of each module could store, and the outbox every change writes to.
STORED = {
    "locations": (Location, Evse, Connector),
    "sessions": (Session,),
    "tariffs": (Tariff,),
    "tokens": (Token,),
    "cdrs": (Cdr,),
    "commands": (Command, Session),
    "chargingprofiles": (ChargingProfileRequest, ActiveChargingProfile),
    "hubclientinfo": (ClientInfo, PartnerParty),
    "invoicereconciliation": (InvoiceReconciliationRecord,),
}
BODY_OPERATIONS = [op for op in operations() if op.body is not None and op.view is not None]
IDS = {"location_id": "LOC1", "evse_uid": "EVSE1", "connector_id": "C1", "session_id": "S1", "tariff_id": "T1"}
IDS |= {"uid": "UID1", "cdr_id": "CDR1", "command": "START_SESSION", "record_id": "IR1"}
# The URL parameter each body field must repeat, per path level (the last parameter is the object's own id).
BODY_ID_FIELDS = ("id", "uid")


def op_id(op) -> str:
    return f"{op.dialect.version} {op.method.upper()} {op.role.lower()}/{op.module}{op.path.split(op.module, 1)[1]}"


def caller(op, world) -> tuple:
    """(partner, token) that calls `op`: ClientInfo is the hub's data (mod_hub_client_info), the rest the
    version's partner."""
    _, partners = world
    return partners["hub"] if op.module == "hubclientinfo" else partners[op.dialect.version]


def path_values(op, world) -> dict:
    tenant, _ = world
    if op.module == "hubclientinfo":
        owner = ("FR", "CPA")  # a party the hub reports on
    else:
        party = partner_party(caller(op, world)[0], _tenant_role(op))
        owner = (party.country_code, party.party_id)
    values = {"tenant": tenant.slug, "country_code": owner[0], "party_id": owner[1]}
    return values | {p.name: values.get(p.name, IDS.get(p.name)) for p in op.path_params}


def _tenant_role(op) -> str:
    from roaming.modules import routes

    return next(r.party_role for r in routes() if r.identifier == op.module and r.role == op.role)


def url_of(op, values: dict) -> str:
    path = op.path
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    return "/ocpi" + path


def base_body(op, values: dict) -> dict:
    """The smallest valid body of `op`, repeating the URL's ids."""
    if op.is_patch:
        return {"last_updated": DATETIME}
    body = SchemaWalker(op.body).minimal()
    own_id = op.path_params[-1].name
    for field in BODY_ID_FIELDS:
        if field in body and own_id in IDS and own_id != "command":
            body[field] = values[own_id]
    for field in ("country_code", "party_id"):
        if field in body and field in values:
            body[field] = values[field]
    if op.module == "tokens" and "type" in body:
        body["type"] = "RFID"  # the type a token URL without ?type= names
    return body


def call(client, op, url: str, body, token: str, **extra):
    data = body if isinstance(body, bytes) else orjson.dumps(body)
    return client.generic(op.method.upper(), url, data, content_type="application/json", **auth(token), **extra)


def seed(client, op, world) -> None:
    """Store the object a PUT or PATCH addresses (and its parents) so that 'nothing changed' means something."""
    if op.method not in ("put", "patch") or op.role != "RECEIVER":
        return
    token = caller(op, world)[1]
    puts = [o for o in BODY_OPERATIONS if o.dialect is op.dialect and o.module == op.module and o.method == "put"]
    for parent in sorted(puts, key=lambda o: len(o.path)):
        if op.path.startswith(parent.path):
            values = path_values(parent, world)
            response = call(client, parent, url_of(parent, values), base_body(parent, values), token)
            assert response.json()["status_code"] == 1000, (op_id(parent), response.json())


def partner_party(partner, tenant_role: str):
    """The partner's party on the other side of a route implemented by the tenant's `tenant_role` party."""
    wanted = Role.CPO if tenant_role == Role.EMSP else Role.EMSP
    return partner.parties.get(role=wanted)
