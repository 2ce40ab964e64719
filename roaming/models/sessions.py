"""Charging sessions: a CPO tenant's own (what it sends) and those received from CPO partners.

The cdr_token and charging periods keep their 2.2.1 JSON shape; a session received from a 2.1.1
partner also keeps the Location it embedded, for lossless 2.1.1 round trips.
"""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Upper

from roaming.models.base import PartyOwned


class SessionStatus(models.TextChoices):
    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"
    INVALID = "INVALID"
    PENDING = "PENDING"
    RESERVATION = "RESERVATION"


class Session(PartyOwned):
    session_id = models.CharField(max_length=36)
    start_date_time = models.DateTimeField()
    end_date_time = models.DateTimeField(null=True, blank=True)
    kwh = models.DecimalField(max_digits=14, decimal_places=4)
    cdr_token = models.JSONField()
    auth_method = models.CharField(max_length=12)
    authorization_reference = models.CharField(max_length=36, blank=True)
    location_id = models.CharField(max_length=39)
    evse_uid = models.CharField(max_length=39)
    connector_id = models.CharField(max_length=36)
    meter_id = models.CharField(max_length=255, blank=True)
    currency = models.CharField(max_length=3)
    charging_periods = models.JSONField(default=list, blank=True)
    total_cost = models.JSONField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=SessionStatus.choices)
    charging_preferences = models.JSONField(null=True, blank=True)
    #: eMSP side: the CPO's ChargingPreferencesResponse to the preferences we sent ("error: ..." when none came).
    charging_preferences_response = models.CharField(max_length=60, blank=True)
    #: The Location a 2.1.1 partner embedded, exactly as sent.
    location_211 = models.JSONField(null=True, blank=True)
    last_updated = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "tenant", "country_code", "party_id", Upper("session_id"), name="session_unique_per_owner"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.country_code}*{self.party_id} {self.session_id}"

    @property
    def object_path(self) -> str:
        return f"{self.country_code}/{self.party_id}/{self.session_id}"
