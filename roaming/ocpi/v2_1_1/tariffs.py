"""2.1.1 Tariffs (mod_tariffs.md): what 2.1.1 defines its own way (roaming.ocpi.shared.tariffs has the rest).

What 2.1.1 cannot carry is handled here, once (VERSION-DIFFERENCES 9 and 15.1): owner fields go
in URL segments; `type`, `min_price`, `max_price`, `start_date_time`, `end_date_time` and
price-component `vat` are dropped; elements restricted by `min_current`, `max_current` or
`reservation` are dropped (2.1.1 cannot express them), and a tariff whose every element is
dropped is not sent; a tariff whose end_date_time has passed is not sent (2.1.1 cannot say it
ended). Receivers accept PATCH, which 2.2.1 removed.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from roaming.ocpi.common import put, read_fields
from roaming.ocpi.shared import tariffs as shared
from roaming.ocpi.types import String, validate_partial
from roaming.ocpi.v2_1_1.locations import EnergyMix, energy_mix_from_wire

ONLY_221_RESTRICTIONS = ("min_current", "max_current", "reservation")


class TariffWire(shared.Tariff):
    id: String(36)
    elements: Annotated[list[shared.TariffElement], Field(min_length=1)]
    energy_mix: EnergyMix | None = None


def _elements_to_wire(elements: list[dict]) -> list[dict]:
    wire = []
    for element in elements:
        restrictions = element.get("restrictions") or {}
        if any(restrictions.get(name) is not None for name in ONLY_221_RESTRICTIONS):
            continue
        out = {"price_components": [{k: v for k, v in pc.items() if k != "vat"} for pc in element["price_components"]]}
        if restrictions:
            out["restrictions"] = restrictions
        wire.append(out)
    return wire


class Tariffs(shared.Tariffs):
    schema = TariffWire
    supports_patch = True

    def to_wire(self, tariff) -> dict | None:
        """None when no element is left that 2.1.1 can express: a tariff has one or more."""
        wire = super().to_wire(tariff)
        return wire if wire["elements"] else None

    def fields_to_wire(self, tariff) -> dict:
        wire = {"elements": _elements_to_wire(self.elements_excluding_taxes(tariff))}
        put(wire, "energy_mix", self.dialect.module("locations").energy_mix_to_wire(tariff.energy_mix))
        return wire

    def from_wire(self, data, *, owner: tuple[str, str] | None = None) -> dict:
        """The owner comes from the URL or the connection; what 2.1.1 lacks is left empty."""
        internal = super().from_wire(data)
        internal.update(type="", min_price=None, max_price=None, start_date_time=None, end_date_time=None)
        if owner is not None:
            internal["country_code"], internal["party_id"] = owner
        return internal

    def patch_from_wire(self, data) -> dict:
        return read_fields(validate_partial(TariffWire, data), self.read_field)

    def read_field(self, internal: dict, name: str, value) -> None:
        if name == "energy_mix":
            internal[name] = energy_mix_from_wire(value) if value else None
        else:
            super().read_field(internal, name, value)

    def owner_of(self, data) -> tuple[str, str] | None:
        return None

    def may_see(self, tariff, now) -> bool:
        """A tariff that has ended is not sent: 2.1.1 has no end_date_time to say so; nor one left with no
        element 2.1.1 can express (to_wire answers None)."""
        ended = tariff.end_date_time is not None and tariff.end_date_time <= now
        return not ended and bool(_elements_to_wire(tariff.elements))
