"""2.2.1 Tariffs (mod_tariffs): wire schema and translators.

Internal values are dicts keyed by tariffs.models.Tariff field names; elements keep their 2.2.1 shape.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from roaming.ocpi.common import (
    Date,
    DayOfWeek,
    Seconds,
    StepSize,
    TariffDimensionType,
    TimeOfDay,
    dump,
    dump_list,
    owner_from_body,
    put,
    put_list,
)
from roaming.ocpi.timestamps import format_datetime
from roaming.ocpi.types import URL, CiString, DateTime, DisplayText, Number, String, WireModel, validate
from roaming.ocpi.v2_2_1 import dialect
from roaming.ocpi.v2_2_1.locations import EnergyMix

TariffType = Literal["AD_HOC_PAYMENT", "PROFILE_CHEAP", "PROFILE_FAST", "PROFILE_GREEN", "REGULAR"]
ReservationRestrictionType = Literal["RESERVATION", "RESERVATION_EXPIRES"]


class Price(WireModel):
    excl_vat: Number
    incl_vat: Number | None = None


class PriceComponent(WireModel):
    type: TariffDimensionType
    price: Number
    vat: Number | None = None
    step_size: StepSize


class TariffRestrictions(WireModel):
    start_time: TimeOfDay | None = None
    end_time: TimeOfDay | None = None
    start_date: Date | None = None
    end_date: Date | None = None
    min_kwh: Number | None = None
    max_kwh: Number | None = None
    min_current: Number | None = None
    max_current: Number | None = None
    min_power: Number | None = None
    max_power: Number | None = None
    min_duration: Seconds | None = None
    max_duration: Seconds | None = None
    day_of_week: list[DayOfWeek] = []
    reservation: ReservationRestrictionType | None = None


class TariffElement(WireModel):
    price_components: Annotated[list[PriceComponent], Field(min_length=1)]
    restrictions: TariffRestrictions | None = None


class TariffWire(WireModel):
    country_code: CiString(2)
    party_id: CiString(3)
    id: CiString(36)
    currency: String(3)
    type: TariffType | None = None
    tariff_alt_text: list[DisplayText] = []
    tariff_alt_url: URL | None = None
    min_price: Price | None = None
    max_price: Price | None = None
    elements: Annotated[list[TariffElement], Field(min_length=1)]
    start_date_time: DateTime | None = None
    end_date_time: DateTime | None = None
    energy_mix: EnergyMix | None = None
    last_updated: DateTime


def tariff_to_wire(tariff) -> dict:
    wire = {
        "country_code": tariff.country_code,
        "party_id": tariff.party_id,
        "id": tariff.tariff_id,
        "currency": tariff.currency,
    }
    put(wire, "type", tariff.type)
    put_list(wire, "tariff_alt_text", tariff.tariff_alt_text)
    put(wire, "tariff_alt_url", tariff.tariff_alt_url)
    put(wire, "min_price", tariff.min_price)
    put(wire, "max_price", tariff.max_price)
    wire["elements"] = tariff.elements
    if tariff.start_date_time:
        wire["start_date_time"] = format_datetime(tariff.start_date_time)
    if tariff.end_date_time:
        wire["end_date_time"] = format_datetime(tariff.end_date_time)
    put(wire, "energy_mix", tariff.energy_mix)
    wire["last_updated"] = format_datetime(tariff.last_updated)
    return wire


@dialect.register("tariffs")
class Tariffs:
    schema = TariffWire
    #: 2.2.1 removed the Receiver PATCH of tariffs.
    supports_patch = False

    def to_wire(self, tariff) -> dict:
        return tariff_to_wire(tariff)

    def from_wire(self, data, *, owner: tuple[str, str] | None = None) -> dict:
        wire = validate(TariffWire, data)
        return {
            "country_code": wire.country_code.upper(),
            "party_id": wire.party_id.upper(),
            "tariff_id": wire.id,
            "currency": wire.currency,
            "type": wire.type or "",
            "tariff_alt_text": dump_list(wire.tariff_alt_text),
            "tariff_alt_url": wire.tariff_alt_url or "",
            "min_price": dump(wire.min_price),
            "max_price": dump(wire.max_price),
            "elements": dump_list(wire.elements),
            "start_date_time": wire.start_date_time,
            "end_date_time": wire.end_date_time,
            "energy_mix": dump(wire.energy_mix),
            "last_updated": wire.last_updated,
        }

    def owner_of(self, data) -> tuple[str, str] | None:
        return owner_from_body(data)

    def may_see(self, tariff, now) -> bool:
        return True
