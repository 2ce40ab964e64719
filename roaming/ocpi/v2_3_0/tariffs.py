"""2.3.0 Tariffs (mod_tariffs): what 2.3.0 changes in 2.2.1 (roaming.ocpi.v2_2_1.tariffs has the rest).

`tax_included` (TaxIncluded, required): whether the prices include taxes, kept as received and read by
the pricing engine; a tariff from an older version is written as NO, its prices being before VAT.
min_price and max_price are PriceLimits, {before_taxes, after_taxes}, kept as the internal Price's
excl_vat and incl_vat.
"""

from __future__ import annotations

from typing import Literal

from roaming.ocpi.common import put
from roaming.ocpi.types import Number, WireModel
from roaming.ocpi.v2_2_1 import tariffs as v221
from roaming.ocpi.v2_3_0.locations import EnergyMix

TaxIncluded = Literal["YES", "NO", "N/A"]


class PriceLimit(WireModel):
    before_taxes: Number
    after_taxes: Number | None = None


class TariffWire(v221.TariffWire):
    min_price: PriceLimit | None = None
    max_price: PriceLimit | None = None
    tax_included: TaxIncluded
    energy_mix: EnergyMix | None = None


def _limit_to_wire(price: dict | None) -> dict | None:
    if price is None:
        return None
    wire = {"before_taxes": price["excl_vat"]}
    put(wire, "after_taxes", price.get("incl_vat"))
    return wire


def _limit_from_wire(limit: PriceLimit | None) -> dict | None:
    if limit is None:
        return None
    price = {"excl_vat": float(limit.before_taxes)}
    if limit.after_taxes is not None:
        price["incl_vat"] = float(limit.after_taxes)
    return price


class Tariffs(v221.Tariffs):
    schema = TariffWire
    not_given = {}

    def fields_to_wire(self, tariff) -> dict:
        wire = super().fields_to_wire(tariff)
        wire["elements"] = tariff.elements
        for name in ("min_price", "max_price"):
            wire.pop(name, None)
            put(wire, name, _limit_to_wire(getattr(tariff, name)))
        # Absent from tariffs read from older versions (a CDR's): their prices are before taxes.
        wire["tax_included"] = getattr(tariff, "tax_included", "") or "NO"
        return wire

    def read_field(self, internal: dict, name: str, value) -> None:
        if name in ("min_price", "max_price"):
            internal[name] = _limit_from_wire(value)
        else:  # tax_included among them
            super().read_field(internal, name, value)
