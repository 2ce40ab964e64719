"""Scheduled pulls: per partner and sender module, a cursor that moves only when a pull completes."""

from __future__ import annotations

from django.db import models

from partners.tenancy import TenantOwned


class SyncState(TenantOwned):
    partner = models.ForeignKey("partners.Partner", on_delete=models.CASCADE, related_name="syncs")
    module = models.CharField(max_length=40)
    enabled = models.BooleanField(default=True)
    interval_seconds = models.PositiveIntegerField(default=900, help_text="How often beat pulls this module.")
    #: date_from of the next incremental pull: the start time of the last complete pull.
    cursor = models.DateTimeField(null=True, blank=True)
    full_resync_requested = models.BooleanField(default=False)
    running_since = models.DateTimeField(null=True, blank=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_completed_at = models.DateTimeField(null=True, blank=True)
    last_pages = models.PositiveIntegerField(default=0)
    last_objects = models.PositiveIntegerField(default=0)
    last_rejected = models.PositiveIntegerField(default=0, help_text="Objects refused in the last pull.")
    last_refused = models.TextField(
        blank=True, help_text="The objects the last pull refused, one a line: the object's id and what is wrong."
    )
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["partner", "module"]
        constraints = [models.UniqueConstraint(fields=["partner", "module"], name="sync_state_unique")]

    def __str__(self) -> str:
        return f"{self.partner} {self.module}"
