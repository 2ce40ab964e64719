"""Charge detail records: final, never changed once stored (corrections are credit CDRs, 2.2.1).

Sub-objects keep their 2.2.1 JSON shape; a CDR received from a 2.1.1 partner also keeps the
Location it embedded, for lossless 2.1.1 round trips.
"""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Upper

from roaming.models.base import PartyOwned

PRICE_FIELDS = (
    "total_cost",
    "total_fixed_cost",
    "total_energy_cost",
    "total_time_cost",
    "total_parking_cost",
    "total_reservation_cost",
)


class Cdr(PartyOwned):
    cdr_id = models.CharField(max_length=39)
    start_date_time = models.DateTimeField()
    end_date_time = models.DateTimeField()
    session_id = models.CharField(max_length=36, blank=True)
    cdr_token = models.JSONField()
    auth_method = models.CharField(max_length=12)
    authorization_reference = models.CharField(max_length=36, blank=True)
    cdr_location = models.JSONField()
    #: The Location a 2.1.1 partner embedded, exactly as sent.
    location_211 = models.JSONField(null=True, blank=True)
    meter_id = models.CharField(max_length=255, blank=True)
    currency = models.CharField(max_length=3)
    tariffs = models.JSONField(default=list, blank=True)
    charging_periods = models.JSONField(default=list)
    signed_data = models.JSONField(null=True, blank=True)
    total_cost = models.JSONField()
    total_fixed_cost = models.JSONField(null=True, blank=True)
    total_energy = models.DecimalField(max_digits=14, decimal_places=4)
    total_energy_cost = models.JSONField(null=True, blank=True)
    total_time = models.DecimalField(max_digits=14, decimal_places=4)
    total_time_cost = models.JSONField(null=True, blank=True)
    total_parking_time = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    total_parking_cost = models.JSONField(null=True, blank=True)
    total_reservation_cost = models.JSONField(null=True, blank=True)
    remark = models.CharField(max_length=255, blank=True)
    invoice_reference_id = models.CharField(max_length=39, blank=True)
    credit = models.BooleanField(null=True, blank=True)
    credit_reference_id = models.CharField(max_length=39, blank=True)
    home_charging_compensation = models.BooleanField(null=True, blank=True)
    last_updated = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "CDR"
        constraints = [
            models.UniqueConstraint("tenant", "country_code", "party_id", Upper("cdr_id"), name="cdr_unique_per_owner"),
        ]

    def __str__(self) -> str:
        return f"{self.country_code}*{self.party_id} {self.cdr_id}"

    @property
    def object_path(self) -> str:
        return f"{self.country_code}/{self.party_id}/{self.cdr_id}"
