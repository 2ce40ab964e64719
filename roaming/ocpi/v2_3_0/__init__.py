"""OCPI 2.3.0: 2.2.1 with taxes (Price and TaxAmount, tax_included), parking places, accepted service
providers, help phone, connector capabilities, hubs named by hub_party_id, and open enums.

Each module file holds what 2.3.0 changes in 2.2.1; a module 2.3.0 leaves as 2.2.1 had it is 2.2.1's.
"""

from partners.models import Role
from roaming.ocpi.dialect import Dialect
from roaming.ocpi.v2_2_1.chargingprofiles import ChargingProfiles
from roaming.ocpi.v2_3_0 import (
    cdrs,
    commands,
    credentials,
    hubclientinfo,
    locations,
    sessions,
    tariffs,
    tokens,
    versions,
)
from roaming.ocpi.v2_3_0.invoicereconciliation import InvoiceReconciliation

dialect = Dialect(
    version="2.3.0",
    token_base64=True,
    one_party_per_connection=False,
    routing_headers=True,
    shares_restricted_locations=True,
    hub_clients_are_roles=True,
    roles=tuple(Role.values),
    modules={
        "cdrs": cdrs.Cdrs(),
        "chargingprofiles": ChargingProfiles(),
        "commands": commands.Commands(),
        "credentials": credentials.CredentialsTranslator(),
        "hubclientinfo": hubclientinfo.HubClientInfo(),
        "invoicereconciliation": InvoiceReconciliation(),
        "locations": locations.Locations(),
        "sessions": sessions.Sessions(),
        "tariffs": tariffs.Tariffs(),
        "tokens": tokens.Tokens(),
        "versions": versions.Versions(),
    },
)
