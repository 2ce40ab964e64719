"""2.1.1 Tariffs (mod_tariffs.md): wire schema and translators.

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

from roaming.ocpi.common import (
    Date,
    DayOfWeek,
    Seconds,
    StepSize,
    TariffDimensionType,
    TimeOfDay,
    dump_list,
    fields_of,
    put,
    put_list,
)
from roaming.ocpi.timestamps import format_datetime
from roaming.ocpi.types import URL, DateTime, DisplayText, Number, String, WireModel, validate, validate_partial
from roaming.ocpi.v2_1_1 import dialect
from roaming.ocpi.v2_1_1.locations import EnergyMix, _energy_mix_internal, _energy_mix_to_wire

ONLY_221_RESTRICTIONS = ("min_current", "max_current", "reservation")


class PriceComponent(WireModel):
    type: TariffDimensionType
    price: Number
    step_size: StepSize


class TariffRestrictions(WireModel):
    start_time: TimeOfDay | None = None
    end_time: TimeOfDay | None = None
    start_date: Date | None = None
    end_date: Date | None = None
    min_kwh: Number | None = None
    max_kwh: Number | None = None
    min_power: Number | None = None
    max_power: Number | None = None
    min_duration: Seconds | None = None
    max_duration: Seconds | None = None
    day_of_week: list[DayOfWeek] = []


class TariffElement(WireModel):
    price_components: Annotated[list[PriceComponent], Field(min_length=1)]
    restrictions: TariffRestrictions | None = None


class TariffWire(WireModel):
    id: String(36)
    currency: String(3)
    tariff_alt_text: list[DisplayText] = []
    tariff_alt_url: URL | None = None
    elements: Annotated[list[TariffElement], Field(min_length=1)]
    energy_mix: EnergyMix | None = None
    last_updated: DateTime


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


def _internal(fields: dict) -> dict:
    internal = {}
    for name, value in fields.items():
        if name == "id":
            internal["tariff_id"] = value
        elif name == "tariff_alt_text" or name == "elements":
            internal[name] = dump_list(value)
        elif name == "energy_mix":
            internal[name] = _energy_mix_internal(value) if value else None
        elif name == "last_updated":
            internal[name] = value
        else:  # currency, tariff_alt_url
            internal[name] = value or ""
    return internal


@dialect.register("tariffs")
class Tariffs:
    schema = TariffWire
    supports_patch = True

    def to_wire(self, tariff) -> dict | None:
        elements = _elements_to_wire(tariff.elements)
        if not elements:
            return None
        wire = {"id": tariff.tariff_id, "currency": tariff.currency}
        put_list(wire, "tariff_alt_text", tariff.tariff_alt_text)
        put(wire, "tariff_alt_url", tariff.tariff_alt_url)
        wire["elements"] = elements
        put(wire, "energy_mix", _energy_mix_to_wire(tariff.energy_mix))
        wire["last_updated"] = format_datetime(tariff.last_updated)
        return wire

    def from_wire(self, data, *, owner: tuple[str, str] | None = None) -> dict:
        wire = validate(TariffWire, data)
        internal = _internal(fields_of(wire))
        internal.update(type="", min_price=None, max_price=None, start_date_time=None, end_date_time=None)
        if owner is not None:
            internal["country_code"], internal["party_id"] = owner
        return internal

    def patch_from_wire(self, data) -> dict:
        return _internal(validate_partial(TariffWire, data))

    def owner_of(self, data) -> tuple[str, str] | None:
        return None

    def may_see(self, tariff, now) -> bool:
        """A tariff that has ended is not sent: 2.1.1 has no end_date_time to say so; nor one left with no
        element 2.1.1 can express (to_wire answers None)."""
        ended = tariff.end_date_time is not None and tariff.end_date_time <= now
        return not ended and bool(_elements_to_wire(tariff.elements))
