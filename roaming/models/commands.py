"""Remote commands (mod_commands): one row per command a tenant sent as eMSP or received as CPO.

A command is answered twice: synchronously by the CPO (CommandResponse: did it reach the charge
point?) and later asynchronously at the eMSP's response_url (2.2.1 CommandResult, 2.1.1 a second
CommandResponse: what did the charge point do?). Both answers are kept, in 2.2.1 terms, with
`status` summing up where the command stands and `history` listing every step for the admin.
"""

from __future__ import annotations

from django.db import models

from roaming.models.awaiting import AwaitedRequest


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


class Command(AwaitedRequest):
    WAITING = WAITING

    direction = models.CharField(max_length=8, choices=CommandDirection.choices)
    command = models.CharField(max_length=20, choices=CommandType.choices)
    #: The request object in internal (2.2.1) shape, without response_url.
    request = models.JSONField(default=dict, blank=True)
    # The message of the CPO's synchronous CommandResponse.
    response_message = models.JSONField(default=list, blank=True)
    # The charge point's asynchronous result (2.2.1 CommandResultType).
    result = models.CharField(max_length=24, blank=True)
    result_message = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=16, choices=CommandStatus.choices, default=CommandStatus.REQUESTED)

    class Meta(AwaitedRequest.Meta):
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
