"""Charging profiles (2.2.1 mod_charging_profiles): requests sent or received, and the profile last known.

Like a command, a request is answered twice: synchronously by the CPO (ChargingProfileResponse: could
it reach the charge point?) and later at the sender's response_url (ChargingProfileResult,
ActiveChargingProfileResult or ClearProfileResult: what did the charge point do?). Both answers are
kept; `status` sums up where the request stands and `history` lists every step for the admin.
ActiveChargingProfile keeps, per session, the profile the charge point last planned: pushed or
returned by a CPO partner (the eMSP/SCSP side), or set on our own charge point (partner empty).
"""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Upper

from partners.tenancy import TenantOwned
from roaming.models.awaiting import AwaitedRequest


class ChargingProfileKind(models.TextChoices):
    SET = "SET", "set a profile (PUT)"
    GET = "GET", "get the active profile (GET)"
    CLEAR = "CLEAR", "clear the profile (DELETE)"


class ChargingProfileDirection(models.TextChoices):
    SENT = "SENT", "sent (we are the eMSP/SCSP)"
    RECEIVED = "RECEIVED", "received (we are the CPO)"


class ChargingProfileStatus(models.TextChoices):
    REQUESTED = "REQUESTED", "requested, no answer yet"
    ACCEPTED = "ACCEPTED", "accepted, waiting for the charge point"
    REJECTED = "REJECTED", "rejected by the CPO"
    NOT_SUPPORTED = "NOT_SUPPORTED", "not supported"
    TOO_OFTEN = "TOO_OFTEN", "refused: asked too often"
    UNKNOWN_SESSION = "UNKNOWN_SESSION", "unknown session"
    FAILED = "FAILED", "could not be sent"
    COMPLETED = "COMPLETED", "the charge point's result arrived"
    TIMEOUT = "TIMEOUT", "no result in time"


#: A request in one of these states still waits for the charge point's result.
WAITING = (ChargingProfileStatus.REQUESTED, ChargingProfileStatus.ACCEPTED)


class ChargingProfileRequest(AwaitedRequest):
    WAITING = WAITING

    direction = models.CharField(max_length=8, choices=ChargingProfileDirection.choices)
    session_id = models.CharField(max_length=36)
    kind = models.CharField(max_length=5, choices=ChargingProfileKind.choices)
    #: SET: the ChargingProfile asked for (2.2.1 wire shape).
    profile = models.JSONField(null=True, blank=True)
    #: GET: the seconds of ActiveChargingProfile asked for.
    duration = models.PositiveIntegerField(null=True, blank=True)
    # The charge point's asynchronous result (ChargingProfileResultType), with the profile of a GET.
    result = models.CharField(max_length=16, blank=True)
    result_profile = models.JSONField(null=True, blank=True, help_text="ActiveChargingProfile of a GET's result.")
    status = models.CharField(
        max_length=16, choices=ChargingProfileStatus.choices, default=ChargingProfileStatus.REQUESTED
    )

    class Meta(AwaitedRequest.Meta):
        indexes = [models.Index(fields=["status", "deadline"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(direction__in=ChargingProfileDirection.values),
                name="charging_profile_request_direction_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=ChargingProfileKind.values), name="charging_profile_request_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.session_id} {self.direction.lower()} ({self.status})"

    @property
    def action(self) -> str:
        return self.kind


class ActiveChargingProfile(TenantOwned):
    """The charging profile a charge point last planned for a session (2.2.1 ActiveChargingProfile)."""

    #: The CPO partner that told us; empty for a session on our own charge points.
    partner = models.ForeignKey("partners.Partner", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    session_id = models.CharField(max_length=36)
    start_date_time = models.DateTimeField(help_text="When the charge point calculated it; periods count from here.")
    #: The ChargingProfile (2.2.1 wire shape).
    charging_profile = models.JSONField()
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "tenant",
                "partner",
                Upper("session_id"),
                condition=models.Q(partner__isnull=False),
                name="active_charging_profile_unique_per_partner_session",
            ),
            models.UniqueConstraint(
                "tenant",
                Upper("session_id"),
                condition=models.Q(partner__isnull=True),
                name="active_charging_profile_unique_per_own_session",
            ),
        ]

    def __str__(self) -> str:
        return f"active profile of {self.session_id}"
