"""Tariffs (mod_tariffs) as both versions define it, and the translation of what they share.

Alike in 2.1.1 and 2.2.1 (VERSION-DIFFERENCES 9): TariffDimensionType and DayOfWeek; PriceComponent
but for 2.2.1's vat; TariffRestrictions but for 2.2.1's min_current, max_current and reservation
(start_time with the regex of the 2.1.1 errata, which 2.2.1 took); TariffElement, as 2.1.1 has it;
of the Tariff its currency, tariff_alt_text, tariff_alt_url and last_updated.

Internal values are dicts keyed by tariffs.models.Tariff field names; elements keep their 2.2.1 shape.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from roaming.ocpi.common import dump_list, fields_of, put, put_list, read_fields
from roaming.ocpi.dialect import Dialect
from roaming.ocpi.shared.locations import TimeOfDay
from roaming.ocpi.timestamps import format_datetime
from roaming.ocpi.types import URL, DateTime, DisplayText, Number, String, WireModel, validate

TariffDimensionType = Literal["ENERGY", "FLAT", "PARKING_TIME", "TIME"]
DayOfWeek = Literal["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]
Date = Annotated[
    str, StringConstraints(pattern=r"^([12][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$", strict=True)
]
StepSize = Annotated[int, Field(ge=0, strict=True)]
Seconds = Annotated[int, Field(ge=0, strict=True)]


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


class Tariff(WireModel):
    currency: String(3)
    tariff_alt_text: list[DisplayText] = []
    tariff_alt_url: URL | None = None
    last_updated: DateTime


class Tariffs:
    """The tariffs module's translators. A version sets `schema` and `supports_patch`, writes the fields
    it defines its own way (`fields_to_wire`) and reads them (`read_field`, handing the others back here)."""

    dialect: Dialect
    schema: type[WireModel]
    #: Receivers take PATCH (2.2.1 removed it).
    supports_patch: bool
    #: The newest version's additions, as a version without them leaves them: not given ("" reads as NO).
    not_given: dict = {"tax_included": ""}

    def to_wire(self, tariff) -> dict | None:
        wire = {"id": tariff.tariff_id, "currency": tariff.currency}
        put_list(wire, "tariff_alt_text", tariff.tariff_alt_text)
        put(wire, "tariff_alt_url", tariff.tariff_alt_url)
        wire.update(self.fields_to_wire(tariff))
        wire["last_updated"] = format_datetime(tariff.last_updated)
        return wire

    def fields_to_wire(self, tariff) -> dict:
        """The Tariff fields the version defines its own way: elements, energy_mix and what it adds."""
        raise NotImplementedError

    def elements_excluding_taxes(self, tariff) -> list[dict]:
        """The elements with prices excluding taxes, as 2.1.1 and 2.2.1 state them, from a 2.3.0 tariff that
        includes them (tax_included YES: the VAT is taken out; without a vat the tax is unknown and the
        price stands, as one with no VAT applicable) or that no tax applies to (N/A: vat is left out)."""
        tax_included = getattr(tariff, "tax_included", "")  # absent from tariffs read from older versions
        if tax_included not in ("YES", "N/A"):
            return tariff.elements
        return [
            {**element, "price_components": [_excluding_taxes(c, tax_included) for c in element["price_components"]]}
            for element in tariff.elements
        ]

    def from_wire(self, data, *, owner: tuple[str, str] | None = None) -> dict:
        """A whole tariff: what the version cannot say is not given (`not_given`), which a PUT replaces too."""
        return {**self.not_given, **read_fields(fields_of(validate(self.schema, data)), self.read_field)}

    def read_field(self, internal: dict, name: str, value) -> None:
        if name == "id":
            internal["tariff_id"] = value
        elif name in ("tariff_alt_text", "elements"):
            internal[name] = dump_list(value)
        elif name == "last_updated":
            internal[name] = value
        else:  # currency, tariff_alt_url and a version's other strings
            internal[name] = value or ""

    def may_see(self, tariff, now) -> bool:
        """Whether the version can tell a partner about `tariff` at `now`: internal tariffs are the newest
        version's, which can express them all."""
        return True


def _excluding_taxes(component: dict, tax_included: str) -> dict:
    if component.get("vat") is None:
        return component
    if tax_included == "N/A":
        return {k: v for k, v in component.items() if k != "vat"}
    price = Decimal(str(component["price"])) * 100 / (100 + Decimal(str(component["vat"])))
    return {**component, "price": float(price.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))}
