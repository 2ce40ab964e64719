"""2.2.1 Tariffs (mod_tariffs): what 2.2.1 defines its own way (roaming.ocpi.shared.tariffs has the rest).

Owner fields, type, min_price and max_price, start_date_time and end_date_time in the Tariff; vat in
the PriceComponent; min_current, max_current and reservation restrictions; no Receiver PATCH
(VERSION-DIFFERENCES 9).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from roaming.ocpi.common import dump, owner_from_body, put
from roaming.ocpi.shared import tariffs as shared
from roaming.ocpi.timestamps import format_datetime
from roaming.ocpi.types import CiString, DateTime, Number, WireModel
from roaming.ocpi.v2_2_1.locations import EnergyMix

TariffType = Literal["AD_HOC_PAYMENT", "PROFILE_CHEAP", "PROFILE_FAST", "PROFILE_GREEN", "REGULAR"]
ReservationRestrictionType = Literal["RESERVATION", "RESERVATION_EXPIRES"]


class Price(WireModel):
    """types Price (2.2.1 only: 2.1.1 prices are numbers excluding VAT)."""

    excl_vat: Number
    incl_vat: Number | None = None


def price_to_wire(price: dict | None) -> dict | None:
    """An internal Price as 2.2.1 has it: the TaxAmounts a 2.3.0 price keeps are 2.2.1's incl_vat already."""
    return None if price is None else {k: v for k, v in price.items() if k in ("excl_vat", "incl_vat")}


class PriceComponent(shared.PriceComponent):
    vat: Number | None = None


class TariffRestrictions(shared.TariffRestrictions):
    min_current: Number | None = None
    max_current: Number | None = None
    reservation: ReservationRestrictionType | None = None


class TariffElement(shared.TariffElement):
    price_components: Annotated[list[PriceComponent], Field(min_length=1)]
    restrictions: TariffRestrictions | None = None


class TariffWire(shared.Tariff):
    country_code: CiString(2)
    party_id: CiString(3)
    id: CiString(36)
    type: TariffType | None = None
    min_price: Price | None = None
    max_price: Price | None = None
    elements: Annotated[list[TariffElement], Field(min_length=1)]
    start_date_time: DateTime | None = None
    end_date_time: DateTime | None = None
    energy_mix: EnergyMix | None = None


class Tariffs(shared.Tariffs):
    schema = TariffWire
    #: 2.2.1 removed the Receiver PATCH of tariffs.
    supports_patch = False

    def fields_to_wire(self, tariff) -> dict:
        wire = {"country_code": tariff.country_code, "party_id": tariff.party_id}
        put(wire, "type", tariff.type)
        put(wire, "min_price", tariff.min_price)
        put(wire, "max_price", tariff.max_price)
        wire["elements"] = self.elements_excluding_taxes(tariff)
        if tariff.start_date_time:
            wire["start_date_time"] = format_datetime(tariff.start_date_time)
        if tariff.end_date_time:
            wire["end_date_time"] = format_datetime(tariff.end_date_time)
        put(wire, "energy_mix", self.dialect.module("locations").energy_mix_to_wire(tariff.energy_mix))
        return wire

    def read_field(self, internal: dict, name: str, value) -> None:
        if name in ("country_code", "party_id"):
            internal[name] = value.upper()
        elif name in ("min_price", "max_price", "energy_mix"):
            internal[name] = dump(value)
        elif name in ("start_date_time", "end_date_time"):
            internal[name] = value
        else:  # type among them
            super().read_field(internal, name, value)

    def owner_of(self, data) -> tuple[str, str] | None:
        return owner_from_body(data)
