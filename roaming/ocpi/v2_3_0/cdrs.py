"""2.3.0 CDRs (mod_cdrs): every cost is a 2.3.0 Price with its TaxAmounts (roaming.ocpi.v2_3_0.types), the
tariffs are 2.3.0 Tariffs, the CdrToken's type and the CdrLocation's connector standard OpenEnums; the
rest is 2.2.1's (roaming.ocpi.v2_2_1.cdrs)."""

from __future__ import annotations

from roaming.ocpi.common import dump, jsonable
from roaming.ocpi.v2_2_1 import cdrs as v221
from roaming.ocpi.v2_3_0.locations import ConnectorType
from roaming.ocpi.v2_3_0.sessions import CdrToken
from roaming.ocpi.v2_3_0.tariffs import TariffWire, TaxIncluded
from roaming.ocpi.v2_3_0.types import Price, price_from_wire, price_to_wire


class CdrLocation(v221.CdrLocation):
    connector_standard: ConnectorType


class CdrTariff(TariffWire):
    """A tariff within a CDR: the chapter's own CDR example leaves out tax_included, so it is not required
    here; left out, it is read as NO (prices before taxes, the older versions' rule)."""

    tax_included: TaxIncluded | None = None


class CdrWire(v221.CdrWire):
    cdr_token: CdrToken
    cdr_location: CdrLocation
    tariffs: list[CdrTariff] = []
    total_cost: Price
    total_fixed_cost: Price | None = None
    total_energy_cost: Price | None = None
    total_time_cost: Price | None = None
    total_parking_cost: Price | None = None
    total_reservation_cost: Price | None = None


class Cdrs(v221.Cdrs):
    schema = CdrWire

    def fields_to_wire(self, cdr) -> dict:
        wire = super().fields_to_wire(cdr)
        for name in v221.PRICES:
            if name in wire:
                wire[name] = price_to_wire(getattr(cdr, name))
        return wire

    def read_field(self, internal: dict, name: str, value, *, owner, token_owner) -> None:
        if name in v221.PRICES:
            internal[name] = price_from_wire(value)
        elif name == "tariffs":
            tariffs = self.dialect.module("tariffs")
            read = [tariffs.from_wire({"tax_included": "NO", **dump(t)}, owner=owner) for t in value]
            internal[name] = [jsonable(t) for t in read]
        else:
            super().read_field(internal, name, value, owner=owner, token_owner=token_owner)
