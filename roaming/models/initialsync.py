"""Initial syncs: what a new or changed connection is owed at once, module by module, and how far it got.

A run is owed when a connection is stored (registration, a credentials PUT that changes the version or
endpoints) or an operator asks for a resync. A push run owes the partner every object of one module it
holds of ours, as PUTs of whole objects in the outbox, linked to the run so its progress is counted from
them. A pull run is a full pull of one of the partner's sender modules, and its outcome is that pull's.
"""

from __future__ import annotations

from django.db import models

from partners.tenancy import TenantOwned


class SyncDirection(models.TextChoices):
    PUSH = "PUSH", "push of our objects"
    PULL = "PULL", "full pull of theirs"


class InitialSync(TenantOwned):
    partner = models.ForeignKey("partners.Partner", on_delete=models.CASCADE, related_name="initial_syncs")
    direction = models.CharField(max_length=4, choices=SyncDirection.choices)
    module = models.CharField(max_length=40)
    reason = models.CharField(max_length=100, blank=True, help_text="What made the connection owe it.")
    #: When it was owed; the runs owed together share it.
    created = models.DateTimeField()
    #: When its first request may go (a partner that registered with us gets a moment to store our answer).
    starts_at = models.DateTimeField()
    finished = models.DateTimeField(null=True, blank=True)
    total = models.PositiveIntegerField(default=0, help_text="Objects owed (push) or pulled (pull).")
    #: Counted from the linked deliveries when the run finished (they are pruned later); live until then.
    sent = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = "initial sync"
        ordering = ["-created", "direction", "module"]
        indexes = [
            models.Index(fields=["partner", "-created"], name="initialsync_latest"),
            models.Index(fields=["created"], condition=models.Q(finished__isnull=True), name="initialsync_running"),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.module} for {self.partner_id}"
