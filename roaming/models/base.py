"""What every OCPI object has: a tenant, an owner party, and where it came from."""

from __future__ import annotations

from django.db import models

from partners.tenancy import TenantOwned


class PartyOwned(TenantOwned):
    """An OCPI object owned by a party (country_code + party_id): the tenant's own when `partner` is empty,
    else received from that partner."""

    country_code = models.CharField(max_length=2)
    party_id = models.CharField(max_length=3)
    partner = models.ForeignKey(
        "partners.Partner",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Received from this partner; empty for the tenant's own.",
    )

    class Meta:
        abstract = True

    @property
    def owner(self) -> str:
        return f"{self.country_code}*{self.party_id}"
