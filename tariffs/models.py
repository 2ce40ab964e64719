"""Tariffs: one model, shaped after 2.2.1 and holding every 2.1.1 value.

Elements, price components and restrictions are kept as one JSON list in their 2.2.1 shape
(validated on the way in); min_price and max_price are 2.2.1 Prices (a 2.3.0 PriceLimit's
before_taxes/after_taxes are their excl_vat/incl_vat). They are only ever read and written as a
whole — by the translators, and by the pricing engine, which walks a tariff's elements in order —
so separate tables would cost joins on every page and buy nothing.
"""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Upper

from roaming.models.base import PartyOwned


class Tariff(PartyOwned):
    tariff_id = models.CharField(max_length=36)
    currency = models.CharField(max_length=3)
    type = models.CharField(max_length=20, blank=True)
    tariff_alt_text = models.JSONField(default=list, blank=True)
    tariff_alt_url = models.CharField(max_length=255, blank=True)
    min_price = models.JSONField(null=True, blank=True)
    max_price = models.JSONField(null=True, blank=True)
    elements = models.JSONField(default=list)
    start_date_time = models.DateTimeField(null=True, blank=True)
    end_date_time = models.DateTimeField(null=True, blank=True)
    energy_mix = models.JSONField(null=True, blank=True)
    #: 2.3.0 TaxIncluded (YES, NO, N/A): whether the prices include taxes. Empty: excluded, as in 2.1.1/2.2.1.
    tax_included = models.CharField(max_length=3, blank=True)
    last_updated = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "tenant", "country_code", "party_id", Upper("tariff_id"), name="tariff_unique_per_owner"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.country_code}*{self.party_id} {self.tariff_id}"

    @property
    def object_path(self) -> str:
        return f"{self.country_code}/{self.party_id}/{self.tariff_id}"
