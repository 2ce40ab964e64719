"""Tokens of drivers: an eMSP tenant's own (what it sends and authorizes) and those received from eMSP partners."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Upper

from roaming.models.base import PartyOwned


class Whitelist(models.TextChoices):
    ALWAYS = "ALWAYS"
    ALLOWED = "ALLOWED"
    ALLOWED_OFFLINE = "ALLOWED_OFFLINE"
    NEVER = "NEVER"


class Token(PartyOwned):
    uid = models.CharField(max_length=36)
    type = models.CharField(max_length=12)
    contract_id = models.CharField(max_length=36, help_text="auth_id in OCPI 2.1.1")
    visual_number = models.CharField(max_length=64, blank=True)
    issuer = models.CharField(max_length=64)
    group_id = models.CharField(max_length=36, blank=True)
    valid = models.BooleanField()
    whitelist = models.CharField(max_length=15, choices=Whitelist.choices)
    language = models.CharField(max_length=2, blank=True)
    default_profile_type = models.CharField(max_length=10, blank=True)
    energy_contract = models.JSONField(null=True, blank=True)
    last_updated = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "tenant", "country_code", "party_id", Upper("uid"), "type", name="token_unique_per_owner"
            ),
        ]
        indexes = [models.Index(Upper("uid"), "tenant", name="token_uid_lookup")]

    def __str__(self) -> str:
        return f"{self.type} {self.uid} ({self.country_code}*{self.party_id})"

    @property
    def object_path(self) -> str:
        return f"{self.country_code}/{self.party_id}/{self.uid}"
