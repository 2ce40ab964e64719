"""2.1.1 CDRs (mod_cdrs.md): what 2.1.1 defines its own way (roaming.ocpi.shared.cdrs has the rest).

VERSION-DIFFERENCES 8: `stop_date_time` is 2.2.1's end_date_time; `auth_id` the cdr_token's
contract_id; the CDR embeds a whole Location (kept as received, in our own writing: no nulls, UTC
with Z; built from the CdrLocation and, for voltage and amperage, the stored connector, when there
is none); costs are numbers excluding VAT and the cost breakdowns, session_id,
authorization_reference, signed data and the credit fields are dropped. Credit CDRs are not sent
to 2.1.1 partners at all (they cannot say "credit").
"""

from __future__ import annotations

import logging
from typing import Annotated

from pydantic import Field

from roaming.ocpi.common import dump, put
from roaming.ocpi.shared import cdrs as shared
from roaming.ocpi.timestamps import format_datetime
from roaming.ocpi.types import CiString, DateTime, Number, String
from roaming.ocpi.v2_1_1.locations import CONNECTOR_TYPES, POWER_TYPES, LocationWire
from roaming.ocpi.v2_1_1.sessions import (
    AuthMethod,
    ChargingPeriod,
    auth_method_to_wire,
    cdr_token_of,
    price_from_number,
)
from roaming.ocpi.v2_1_1.tariffs import TariffWire

logger = logging.getLogger(__name__)

#: Internal CDR fields 2.1.1 has no form of, None when a 2.1.1 CDR is read.
_NOT_IN_211 = (
    "signed_data",
    "total_fixed_cost",
    "total_energy_cost",
    "total_time_cost",
    "total_parking_cost",
    "total_reservation_cost",
    "credit",
    "home_charging_compensation",
)


class CdrWire(shared.Cdr):
    id: CiString(36)  # mod_cdrs 2.1.1: CiString(36)
    stop_date_time: DateTime
    auth_id: String(36)
    auth_method: AuthMethod
    location: LocationWire
    tariffs: list[TariffWire] = []
    charging_periods: Annotated[list[ChargingPeriod], Field(min_length=1)]  # "+": a session has 1 or more
    total_cost: Number


def _location_to_wire(cdr, locations) -> dict:
    """The embedded Location: as the 2.1.1 partner sent it, or built from the CdrLocation."""
    if cdr.location_211:
        return cdr.location_211
    where = cdr.cdr_location
    connector = getattr(cdr, "stored_connector", None)
    if connector is None:
        logger.warning("CDR %s: no stored connector, voltage and amperage sent as 0", cdr.cdr_id)
    stamp = format_datetime(cdr.start_date_time)
    wire_connector = {
        "id": where["connector_id"],
        "standard": where["connector_standard"],
        "format": where["connector_format"],
        "power_type": where["connector_power_type"] if where["connector_power_type"] in POWER_TYPES else "AC_1_PHASE",
        "voltage": connector.max_voltage if connector else 0,
        "amperage": connector.max_amperage if connector else 0,
        "last_updated": stamp,
    }
    evse = {"uid": where["evse_uid"], "status": "UNKNOWN", "connectors": [wire_connector], "last_updated": stamp}
    if where.get("evse_id") and where["evse_id"] != "#NA":
        evse["evse_id"] = where["evse_id"]
    wire = {"id": where["id"], "type": "UNKNOWN"}
    put(wire, "name", where.get("name"))
    coordinates = where["coordinates"]
    wire.update(
        address=where["address"][:45],
        city=where["city"],
        postal_code=where.get("postal_code") or "",
        country=where["country"],
        coordinates=locations.coordinates_to_wire(coordinates["latitude"], coordinates["longitude"]),
        evses=[evse] if where["connector_standard"] in CONNECTOR_TYPES else [],
        last_updated=stamp,
    )
    return wire


def _cdr_location(location: LocationWire) -> dict:
    """The CdrLocation of the embedded Location: its first EVSE and connector, #NA without one."""
    evse = location.evses[0] if location.evses else None
    connector = evse.connectors[0] if evse else None
    return {
        "id": location.id,
        **({"name": location.name} if location.name else {}),
        "address": location.address,
        "city": location.city,
        **({"postal_code": location.postal_code} if location.postal_code else {}),
        "country": location.country,
        "coordinates": {"latitude": location.coordinates.latitude, "longitude": location.coordinates.longitude},
        "evse_uid": evse.uid if evse else "#NA",
        "evse_id": (evse.evse_id if evse else None) or "#NA",
        "connector_id": connector.id if connector else "#NA",
        "connector_standard": connector.standard if connector else "IEC_62196_T2",
        "connector_format": connector.format if connector else "SOCKET",
        "connector_power_type": connector.power_type if connector else "AC_1_PHASE",
    }


class Cdrs(shared.Cdrs):
    #: Wire schemas of the bodies this module takes and answers with (validation, OpenAPI).
    schema = CdrWire
    carries_credit = False

    def fields_to_wire(self, cdr) -> dict:
        return {
            "stop_date_time": format_datetime(cdr.end_date_time),
            "auth_id": cdr.cdr_token["contract_id"],
            "auth_method": auth_method_to_wire(cdr.auth_method),
            "location": _location_to_wire(cdr, self.dialect.module("locations")),
            "total_cost": cdr.total_cost["excl_vat"],
        }

    def from_wire(self, data, *, owner: tuple[str, str] | None = None, token_owner=None) -> dict:
        """The owner comes from the connection; what 2.1.1 lacks is left empty."""
        internal = super().from_wire(data, owner=owner, token_owner=token_owner)
        internal["country_code"], internal["party_id"] = owner or ("", "")
        internal.update(session_id="", authorization_reference="", invoice_reference_id="", credit_reference_id="")
        internal.update(dict.fromkeys(_NOT_IN_211))
        return internal

    def read_field(self, internal: dict, name: str, value, *, owner, token_owner) -> None:
        if name == "stop_date_time":
            internal["end_date_time"] = value
        elif name == "auth_id":
            internal["cdr_token"] = cdr_token_of(value, token_owner)
        elif name == "location":
            internal["cdr_location"], internal["location_211"] = _cdr_location(value), dump(value)
        elif name == "total_cost":
            internal[name] = price_from_number(value)
        else:
            super().read_field(internal, name, value, owner=owner, token_owner=token_owner)

    def owner_of(self, data) -> tuple[str, str] | None:
        return None
