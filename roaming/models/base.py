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
    #: Fields outside the spec that the partner sent with the object and wants back (its profile's
    #: extension_fields), kept as sent and passed back on what is sent about the object.
    extensions = models.JSONField(default=dict, blank=True)

    class Meta:
        abstract = True

    @property
    def owner(self) -> str:
        return f"{self.country_code}*{self.party_id}"
