"""The wire objects tests send and expect, built from the spec's examples (tests/spec_examples.py).

One valid object of every pulled and pushed module in both versions, owned by NL*CPO (locations, tariffs,
sessions, CDRs; their drivers' tokens by DE*EMS) or DE*EMS (tokens): the 2.2.1 ones are the spec's examples, the
2.1.1 ones are the 2.2.1 ones as our 2.1.1 translators write them. Then the requests of every command in both
versions.
"""

from __future__ import annotations

import copy
import logging
from types import SimpleNamespace

from roaming.ocpi.dialects import get_dialect
from tests.roaming.locations_helpers import materialize
from tests.spec_examples import example_221

V221, V211 = get_dialect("2.2.1"), get_dialect("2.1.1")

#: The spec's example location LOC1 (two EVSEs), owned here by party NL*CPO.
LOCATION = {**example_221("location_example.json"), "country_code": "NL", "party_id": "CPO"}
TARIFF = {**example_221("tariff_4_complex.json"), "country_code": "NL", "party_id": "CPO", "id": "T1"}
TOKEN = {**example_221("token_put_example.json"), "country_code": "DE", "party_id": "EMS"}
SESSION = {**example_221("session_example_2_short_finished.json"), "country_code": "NL", "party_id": "CPO", "id": "S1"}
SESSION["cdr_token"] = {**SESSION["cdr_token"], "country_code": "DE", "party_id": "EMS"}
CDR = {**example_221("cdr_example.json"), "country_code": "NL", "party_id": "CPO"}
CDR["cdr_token"] = {**CDR["cdr_token"], "country_code": "DE", "party_id": "EMS"}
CDR["tariffs"] = [{**t, "country_code": "NL", "party_id": "CPO"} for t in CDR["tariffs"]]


def location_in_211() -> dict:
    """LOCATION as our 2.1.1 translator writes it (a fresh copy)."""
    return V211.module("locations").to_wire(materialize(V221.module("locations").from_wire(LOCATION)))


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


def _cdr_211(cdr: dict) -> dict:
    """The 2.1.1 CDR our translator writes of a 2.2.1 one that names no stored connector (0 V and 0 A stand);
    the translator's warning about that, built at import, stays out of every test run's output."""
    translator_log = logging.getLogger("roaming.ocpi.v2_1_1.cdrs")
    translator_log.disabled = True
    try:
        return V211.module("cdrs").to_wire(SimpleNamespace(**V221.module("cdrs").from_wire(cdr), stored_connector=None))
    finally:
        translator_log.disabled = False


CDR_211 = _cdr_211(CDR)
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


#: The token a command request carries, in each version.
COMMAND_TOKEN_221 = {
    "country_code": "DE",
    "party_id": "EMS",
    "uid": "012345678",
    "type": "APP_USER",
    "contract_id": "DE8ACC12E46L89",
    "issuer": "TheNewMotion",
    "valid": True,
    "whitelist": "ALLOWED",
    "last_updated": "2018-12-10T17:25:10Z",
}
COMMAND_TOKEN_211 = {
    "uid": "012345678",
    "type": "RFID",
    "auth_id": "DE8ACC12E46L89",
    "issuer": "TheNewMotion",
    "valid": True,
    "whitelist": "ALLOWED",
    "last_updated": "2018-12-10T17:25:10Z",
}
COMMAND_RESPONSE_URL = "https://emsp.example.com/ocpi/2.2.1/commands/START_SESSION/abc"

#: The request of every command, by command type.
COMMANDS_221 = {
    "START_SESSION": {
        "response_url": COMMAND_RESPONSE_URL,
        "token": COMMAND_TOKEN_221,
        "location_id": "LOC1",
        "evse_uid": "E1",
        "connector_id": "1",
        "authorization_reference": "AUTH1",
    },
    "STOP_SESSION": {"response_url": COMMAND_RESPONSE_URL, "session_id": "S1"},
    "RESERVE_NOW": {
        "response_url": COMMAND_RESPONSE_URL,
        "token": COMMAND_TOKEN_221,
        "expiry_date": "2030-01-01T10:00:00Z",
        "reservation_id": "R1",
        "location_id": "LOC1",
        "evse_uid": "E1",
    },
    "CANCEL_RESERVATION": {"response_url": COMMAND_RESPONSE_URL, "reservation_id": "R1"},
    "UNLOCK_CONNECTOR": {
        "response_url": COMMAND_RESPONSE_URL,
        "location_id": "LOC1",
        "evse_uid": "E1",
        "connector_id": "1",
    },
}
COMMANDS_211 = {
    "START_SESSION": {
        "response_url": COMMAND_RESPONSE_URL,
        "token": COMMAND_TOKEN_211,
        "location_id": "LOC1",
        "evse_uid": "E1",
    },
    "STOP_SESSION": {"response_url": COMMAND_RESPONSE_URL, "session_id": "S1"},
    "RESERVE_NOW": {
        "response_url": COMMAND_RESPONSE_URL,
        "token": COMMAND_TOKEN_211,
        "expiry_date": "2030-01-01T10:00:00Z",
        "reservation_id": 42,
        "location_id": "LOC1",
    },
    "UNLOCK_CONNECTOR": {
        "response_url": COMMAND_RESPONSE_URL,
        "location_id": "LOC1",
        "evse_uid": "E1",
        "connector_id": "1",
    },
}
