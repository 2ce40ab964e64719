"""One valid wire object of every pulled and pushed module in both versions, built from the spec's examples:
owned by NL*CPO (locations, tariffs, sessions, CDRs; their drivers' tokens by DE*EMS) or DE*EMS (tokens). The
2.1.1 bodies are the 2.2.1 ones as our 2.1.1 translators write them."""

from __future__ import annotations

import copy
from types import SimpleNamespace

from roaming.ocpi.dialect import get_dialect
from tests.roaming.api.test_cdrs import CDR
from tests.roaming.api.test_locations_api import LOCATION
from tests.roaming.api.test_sessions_api import SESSION
from tests.roaming.api.test_tariffs_api import TARIFF
from tests.roaming.api.test_tokens_api import TOKEN
from tests.roaming.locations_helpers import materialize

V221, V211 = get_dialect("2.2.1"), get_dialect("2.1.1")

#: The spec's example location with opening hours, an energy mix and a status schedule, so that nulls can be
#: tried inside each.
LOCATION_221 = {
    **copy.deepcopy(LOCATION),
    "opening_times": {"twentyfourseven": True, "exceptional_closings": []},
    "energy_mix": {"is_green_energy": True},
}
LOCATION_221["evses"][1]["status_schedule"] = [
    {"period_begin": "2030-01-01T00:00:00Z", "period_end": "2030-01-02T00:00:00Z", "status": "INOPERATIVE"}
]
LOCATION_211 = V211.module("locations").to_wire(materialize(V221.module("locations").from_wire(LOCATION_221)))
TARIFF_221 = TARIFF
TARIFF_211 = V211.module("tariffs").to_wire(SimpleNamespace(**V221.module("tariffs").from_wire(TARIFF)))
TOKEN_221 = TOKEN
TOKEN_211 = V211.module("tokens").to_wire(SimpleNamespace(**V221.module("tokens").from_wire(TOKEN)))
SESSION_221 = SESSION
SESSION_211 = V211.module("sessions").to_wire(
    SimpleNamespace(
        **V221.module("sessions").from_wire(SESSION),
        location_211={**LOCATION_211, "evses": [LOCATION_211["evses"][0]]},
    )
)
CDR_221 = CDR
CDR_211 = V211.module("cdrs").to_wire(SimpleNamespace(**V221.module("cdrs").from_wire(CDR), stored_connector=None))
CLIENT_INFO = {
    "country_code": "DE",
    "party_id": "EMS",
    "role": "EMSP",
    "status": "CONNECTED",
    "last_updated": "2026-11-29T08:00:00Z",
}

BODIES = {
    ("locations", "2.2.1"): LOCATION_221,
    ("locations", "2.1.1"): LOCATION_211,
    ("tariffs", "2.2.1"): TARIFF_221,
    ("tariffs", "2.1.1"): TARIFF_211,
    ("tokens", "2.2.1"): TOKEN_221,
    ("tokens", "2.1.1"): TOKEN_211,
    ("sessions", "2.2.1"): SESSION_221,
    ("sessions", "2.1.1"): SESSION_211,
    ("cdrs", "2.2.1"): CDR_221,
    ("cdrs", "2.1.1"): CDR_211,
    ("hubclientinfo", "2.2.1"): CLIENT_INFO,
}


def body(module: str, version: str, **changes) -> dict:
    """A fresh copy of the module's body in `version`, with `changes`."""
    return {**copy.deepcopy(BODIES[(module, version)]), **changes}
