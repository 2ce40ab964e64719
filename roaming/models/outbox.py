"""The outbox: deliveries a change owes partners, written in the change's own transaction.

A delivery names an object (module + the URL path of the object under the partner's receiver
endpoint), not a payload: the payload is built from the object's current state, in the
partner's negotiated version, when it is sent. While a delivery for an object is pending,
further changes fold into it, so a burst of changes sends the newest state once.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from partners.tenancy import TenantOwned


class DeliveryStatus(models.TextChoices):
    PENDING = "PENDING", "pending"
    SENDING = "SENDING", "sending"
    DELIVERED = "DELIVERED", "delivered"
    FAILED = "FAILED", "failed"
    #: Not sent on its own: a newer pending delivery of the object took over its changes.
    SUPERSEDED = "SUPERSEDED", "superseded"


class DeliveryMethod(models.TextChoices):
    PUT = "PUT"
    PATCH = "PATCH"
    POST = "POST"
    DELETE = "DELETE"


class Delivery(TenantOwned):
    partner = models.ForeignKey("partners.Partner", on_delete=models.CASCADE, related_name="deliveries")
    module = models.CharField(max_length=40)
    #: The object's path below the receiver endpoint, e.g. "NL/CPO/LOC1/EVSE1".
    object_path = models.CharField(max_length=255)
    method = models.CharField(max_length=6, choices=DeliveryMethod.choices)
    #: For PATCH: the fields that changed (names on the internal model).
    fields = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    changes = models.PositiveIntegerField(default=1, help_text="Changes folded into this delivery.")
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    #: Where the partner says it keeps what we sent: the Location header of a CDR POST's answer (mod_cdrs).
    remote_url = models.CharField(max_length=255, blank=True, default="", db_default="")
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    #: X-Correlation-ID of the request that made the change (transport_and_format, unique message IDs): the
    #: delivery's request carries it, so a change passed on by a hub is traced end to end.
    correlation_id = models.CharField(max_length=64, blank=True, default="", db_default="")
    #: The initial sync this delivery is part of (its progress is counted from its deliveries).
    initial_sync = models.ForeignKey(
        "roaming.InitialSync", null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["-created"]
        indexes = [
            models.Index(fields=["partner", "status"]),
            # A partner's due deliveries in order, claimed in batches (roaming.services.batches).
            models.Index(
                fields=["partner", "next_attempt_at", "id"], condition=Q(status="PENDING"), name="delivery_due"
            ),
        ]
        constraints = [
            # At most one pending delivery per partner and object: later changes fold into it.
            models.UniqueConstraint(
                fields=["partner", "module", "object_path"],
                condition=Q(status="PENDING"),
                name="delivery_one_pending_per_object",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.module}/{self.object_path} → {self.partner}"
