"""Remote commands (mod_commands): one row per command a tenant sent as eMSP or received as CPO.

A command is answered twice: synchronously by the CPO (CommandResponse: did it reach the charge
point?) and later asynchronously at the eMSP's response_url (2.2.1 CommandResult, 2.1.1 a second
CommandResponse: what did the charge point do?). Both answers are kept, in 2.2.1 terms, with
`status` summing up where the command stands and `history` listing every step for the admin.
"""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone

from partners.tenancy import TenantOwned


class CommandType(models.TextChoices):
    CANCEL_RESERVATION = "CANCEL_RESERVATION"
    RESERVE_NOW = "RESERVE_NOW"
    START_SESSION = "START_SESSION"
    STOP_SESSION = "STOP_SESSION"
    UNLOCK_CONNECTOR = "UNLOCK_CONNECTOR"


class CommandDirection(models.TextChoices):
    SENT = "SENT", "sent (we are the eMSP)"
    RECEIVED = "RECEIVED", "received (we are the CPO)"


class CommandStatus(models.TextChoices):
    REQUESTED = "REQUESTED", "requested, no answer yet"
    ACCEPTED = "ACCEPTED", "accepted, waiting for the charge point"
    REJECTED = "REJECTED", "rejected by the CPO"
    NOT_SUPPORTED = "NOT_SUPPORTED", "not supported"
    UNKNOWN_SESSION = "UNKNOWN_SESSION", "unknown session"
    FAILED = "FAILED", "could not be sent"
    COMPLETED = "COMPLETED", "the charge point's result arrived"
    TIMEOUT = "TIMEOUT", "no result in time"


#: A command in one of these states still waits for the charge point's result.
WAITING = (CommandStatus.REQUESTED, CommandStatus.ACCEPTED)


def new_uid() -> str:
    """The unguessable id in the response_url we hand out: it alone admits the result."""
    return secrets.token_urlsafe(24)


class Command(TenantOwned):
    direction = models.CharField(max_length=8, choices=CommandDirection.choices)
    partner = models.ForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="+")
    command = models.CharField(max_length=20, choices=CommandType.choices)
    #: The request object in internal (2.2.1) shape, without response_url.
    request = models.JSONField(default=dict, blank=True)
    uid = models.CharField(max_length=40, unique=True, default=new_uid, help_text="Our id in the response_url.")
    #: Where the result goes: our URL for a command we sent, the eMSP's for one we received.
    response_url = models.URLField(max_length=255, blank=True)
    # The CPO's synchronous CommandResponse.
    response_result = models.CharField(max_length=16, blank=True)
    response_timeout = models.PositiveIntegerField(null=True, blank=True, help_text="Seconds the CPO named.")
    response_message = models.JSONField(default=list, blank=True)
    # The charge point's asynchronous result (2.2.1 CommandResultType).
    result = models.CharField(max_length=24, blank=True)
    result_message = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=16, choices=CommandStatus.choices, default=CommandStatus.REQUESTED)
    error = models.TextField(blank=True)
    #: [{"at": ISO time, "event": ..., "detail": ...}], oldest first.
    history = models.JSONField(default=list, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    result_at = models.DateTimeField(null=True, blank=True)
    #: Past this, a command still waiting for its result has timed out.
    deadline = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["status", "deadline"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(direction__in=CommandDirection.values), name="command_direction_valid"
            ),
            models.CheckConstraint(condition=models.Q(command__in=CommandType.values), name="command_type_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.command} {self.direction.lower()} ({self.status})"

    @property
    def action(self) -> str:
        return self.command

    @property
    def is_waiting(self) -> bool:
        return self.status in WAITING

    def log(self, event: str, detail: str = "") -> None:
        """Add a step to the history (saved with the row's next save)."""
        self.history = [*self.history, {"at": timezone.now().isoformat(), "event": event, "detail": detail}]
