"""Hub Client Info (2.2.1 mod_hub_client_info): which parties are reachable through a hub, and how."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from partners.models import Role
from partners.tenancy import TenantOwned


class ConnectionStatus(models.TextChoices):
    """mod_hub_client_info ConnectionStatus: only CONNECTED parties may be sent requests."""

    CONNECTED = "CONNECTED", "connected"
    OFFLINE = "OFFLINE", "offline"
    PLANNED = "PLANNED", "planned"
    SUSPENDED = "SUSPENDED", "suspended"


class ClientInfo(TenantOwned):
    """One party's connection status: pushed to us by a hub partner (`partner`), or, with `partner` empty,
    published by this tenant acting as a hub about the parties it connects."""

    partner = models.ForeignKey(
        "partners.Partner",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="client_infos",
        help_text="The hub that reported it; empty for what this tenant publishes as a hub.",
    )
    country_code = models.CharField(max_length=2)
    party_id = models.CharField(max_length=3)
    role = models.CharField(max_length=5, choices=Role.choices)
    status = models.CharField(max_length=9, choices=ConnectionStatus.choices)
    last_updated = models.DateTimeField()

    class Meta:
        verbose_name = "client info"
        verbose_name_plural = "client infos"
        ordering = ["country_code", "party_id", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "partner", "country_code", "party_id", "role"],
                condition=Q(partner__isnull=False),
                name="clientinfo_unique_per_hub",
            ),
            models.UniqueConstraint(
                fields=["tenant", "country_code", "party_id", "role"],
                condition=Q(partner__isnull=True),
                name="clientinfo_unique_own",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "last_updated"], name="clientinfo_updated")]

    def __str__(self) -> str:
        return f"{self.country_code}*{self.party_id} {self.role} {self.status}"

    @property
    def is_reachable(self) -> bool:
        return self.status == ConnectionStatus.CONNECTED

    @property
    def object_path(self) -> str:
        """Outbox key: one delivery per party and role (the receiver URL names only the party)."""
        return f"{self.country_code}/{self.party_id}/{self.role}"
