"""2.1.1 CDRs (mod_cdrs.md) and translators.

VERSION-DIFFERENCES 8: `stop_date_time` is 2.2.1's end_date_time; `auth_id` the cdr_token's
contract_id; the CDR embeds a whole Location (kept as received, in our own writing: no nulls, UTC
with Z; built from the CdrLocation and, for voltage and amperage, the stored connector, when there
is none); costs are numbers excluding VAT and the cost breakdowns, session_id,
authorization_reference, signed data and the credit fields are dropped. Credit CDRs are not sent
to 2.1.1 partners at all (they cannot say "credit").
"""

from __future__ import annotations

import logging
from decimal import ROUND_HALF_EVEN, Decimal
from types import SimpleNamespace

from roaming.ocpi.common import dump, jsonable, price_from_number, put, put_list
from roaming.ocpi.timestamps import format_datetime
from roaming.ocpi.types import DateTime, Number, String, WireModel, validate
from roaming.ocpi.v2_1_1 import dialect
from roaming.ocpi.v2_1_1.locations import CONNECTOR_TYPES, POWER_TYPES, LocationWire
from roaming.ocpi.v2_1_1.sessions import AuthMethod, ChargingPeriod, periods_to_wire
from roaming.ocpi.v2_1_1.tariffs import TariffWire

logger = logging.getLogger(__name__)


class CdrWire(WireModel):
    id: String(36)
    start_date_time: DateTime
    stop_date_time: DateTime
    auth_id: String(36)
    auth_method: AuthMethod
    location: LocationWire
    meter_id: String(255) | None = None
    currency: String(3)
    tariffs: list[TariffWire] = []
    charging_periods: list[ChargingPeriod]
    total_cost: Number
    total_energy: Number
    total_time: Number
    total_parking_time: Number | None = None
    remark: String(255) | None = None
    last_updated: DateTime


def _six(value: str) -> str:
    return str(Decimal(value).quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN))


def _location_to_wire(cdr) -> dict:
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
    wire.update(
        address=where["address"][:45],
        city=where["city"],
        postal_code=where.get("postal_code") or "",
        country=where["country"],
        coordinates={
            "latitude": _six(where["coordinates"]["latitude"]),
            "longitude": _six(where["coordinates"]["longitude"]),
        },
        evses=[evse] if where["connector_standard"] in CONNECTOR_TYPES else [],
        last_updated=stamp,
    )
    return wire


@dialect.register("cdrs")
class Cdrs:
    #: Wire schemas of the bodies this module takes and answers with (validation, OpenAPI).
    schema = CdrWire
    carries_credit = False

    def to_wire(self, cdr) -> dict:
        tariffs = dialect.module("tariffs")
        wire = {
            "id": cdr.cdr_id,
            "start_date_time": format_datetime(cdr.start_date_time),
            "stop_date_time": format_datetime(cdr.end_date_time),
            "auth_id": cdr.cdr_token["contract_id"],
            "auth_method": "AUTH_REQUEST" if cdr.auth_method == "COMMAND" else cdr.auth_method,
            "location": _location_to_wire(cdr),
        }
        put(wire, "meter_id", cdr.meter_id)
        wire["currency"] = cdr.currency
        put_list(wire, "tariffs", [w for w in (tariffs.to_wire(SimpleNamespace(**t)) for t in cdr.tariffs) if w])
        wire["charging_periods"] = periods_to_wire(cdr.charging_periods)
        wire["total_cost"] = cdr.total_cost["excl_vat"]
        wire["total_energy"] = float(cdr.total_energy)
        wire["total_time"] = float(cdr.total_time)
        if cdr.total_parking_time is not None:
            wire["total_parking_time"] = float(cdr.total_parking_time)
        put(wire, "remark", cdr.remark)
        wire["last_updated"] = format_datetime(cdr.last_updated)
        return wire

    def from_wire(self, data, *, owner: tuple[str, str] | None = None, token_owner=None) -> dict:
        wire = validate(CdrWire, data)
        location = wire.location
        evse = location.evses[0] if location.evses else None
        connector = evse.connectors[0] if evse else None
        token = token_owner or ("", "")
        tariffs = dialect.module("tariffs")
        return {
            "country_code": owner[0] if owner else "",
            "party_id": owner[1] if owner else "",
            "cdr_id": wire.id,
            "start_date_time": wire.start_date_time,
            "end_date_time": wire.stop_date_time,
            "session_id": "",
            "cdr_token": {
                "country_code": token[0],
                "party_id": token[1],
                "uid": wire.auth_id,
                "type": "OTHER",
                "contract_id": wire.auth_id,
            },
            "auth_method": wire.auth_method,
            "authorization_reference": "",
            "cdr_location": {
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
            },
            "location_211": dump(location),
            "meter_id": wire.meter_id or "",
            "currency": wire.currency,
            "tariffs": [
                jsonable(tariffs.from_wire(t.model_dump(mode="json", exclude_defaults=True), owner=owner))
                for t in wire.tariffs
            ],
            "charging_periods": [p.model_dump(mode="json", exclude_defaults=True) for p in wire.charging_periods],
            "signed_data": None,
            "total_cost": price_from_number(wire.total_cost),
            "total_fixed_cost": None,
            "total_energy": wire.total_energy,
            "total_energy_cost": None,
            "total_time": wire.total_time,
            "total_time_cost": None,
            "total_parking_time": wire.total_parking_time,
            "total_parking_cost": None,
            "total_reservation_cost": None,
            "remark": wire.remark or "",
            "invoice_reference_id": "",
            "credit": None,
            "credit_reference_id": "",
            "home_charging_compensation": None,
            "last_updated": wire.last_updated,
        }

    def owner_of(self, data) -> tuple[str, str] | None:
        return None
