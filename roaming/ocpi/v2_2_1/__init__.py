"""OCPI 2.2.1: Base64 tokens, Sender/Receiver endpoint roles, owner fields in objects, hubs."""

from partners.models import Role
from roaming.ocpi.dialect import Dialect
from roaming.ocpi.v2_2_1 import (
    cdrs,
    chargingprofiles,
    commands,
    credentials,
    hubclientinfo,
    locations,
    sessions,
    tariffs,
    tokens,
    versions,
)

dialect = Dialect(
    version="2.2.1",
    token_base64=True,
    one_party_per_connection=False,
    routing_headers=True,
    shares_restricted_locations=True,
    roles=tuple(Role.values),
    modules={
        "cdrs": cdrs.Cdrs(),
        "chargingprofiles": chargingprofiles.ChargingProfiles(),
        "commands": commands.Commands(),
        "credentials": credentials.CredentialsTranslator(),
        "hubclientinfo": hubclientinfo.HubClientInfo(),
        "locations": locations.Locations(),
        "sessions": sessions.Sessions(),
        "tariffs": tariffs.Tariffs(),
        "tokens": tokens.Tokens(),
        "versions": versions.Versions(),
    },
)
