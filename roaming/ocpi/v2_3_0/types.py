"""2.3.0 basic types: OpenEnum, and Price with its TaxAmounts (types chapter).

An OpenEnum (types, OpenEnum) lists the values every implementer should use but lets a partner name
others: an unknown value is accepted and kept as received, never refused. It is still printable ASCII,
and no longer than the column keeping it.

Internally a Price stays the 2.2.1 {excl_vat, incl_vat} the pricing engine and the older versions read;
a 2.3.0 Price is {before_taxes, taxes: [TaxAmount]}. Read, before_taxes is excl_vat, the taxes are kept
as received under `taxes` and incl_vat is before_taxes plus their amounts. Written, kept taxes go out as
they came (a CDR priced here keeps its VAT per rate: tariffs.pricing.SessionPrice.price); a price without
them (from an older version, a session's cost so far) carries its incl_vat less excl_vat as one tax
named VAT when the two differ.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import StringConstraints, WithJsonSchema

from roaming.ocpi.common import dump
from roaming.ocpi.types import Number, String, WireModel


def OpenEnum(values: tuple[str, ...], max_length: int = 255):  # noqa: N802 - reads like the spec's OpenEnum
    """A string naming one of `values` or a value of the partner's own (printable ASCII, up to `max_length`)."""
    return Annotated[
        str,
        StringConstraints(min_length=1, max_length=max_length, pattern=r"^[\x21-\x7e]+$", strict=True),
        WithJsonSchema({"type": "string", "maxLength": max_length, "examples": list(values)}),
    ]


class TaxAmount(WireModel):
    name: String(255)
    account_number: String(255) | None = None
    percentage: Number | None = None
    amount: Number


class Price(WireModel):
    before_taxes: Number
    taxes: list[TaxAmount] = []


def price_from_wire(price: Price | None) -> dict | None:
    """A 2.3.0 Price as the internal Price (see the module's note)."""
    if price is None:
        return None
    internal = {"excl_vat": float(price.before_taxes)}
    if price.taxes:
        internal["incl_vat"] = float(price.before_taxes + sum((t.amount for t in price.taxes), Decimal(0)))
        internal["taxes"] = [dump(t) for t in price.taxes]
    return internal


def price_to_wire(price: dict | None) -> dict | None:
    if price is None:
        return None
    wire = {"before_taxes": price["excl_vat"]}
    if price.get("taxes"):
        wire["taxes"] = price["taxes"]
    elif price.get("incl_vat") is not None and price["incl_vat"] != price["excl_vat"]:
        tax = Decimal(str(price["incl_vat"])) - Decimal(str(price["excl_vat"]))
        wire["taxes"] = [{"name": "VAT", "amount": float(tax)}]
    return wire
