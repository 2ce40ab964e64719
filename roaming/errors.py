"""What services refuse, as types: the domain errors.

Services raise these and know nothing of the wire; the protocol boundary answers each with its
OCPI status code and HTTP status, per version (the table in roaming.ocpi.errors). This module is
the lowest layer of roaming: everything may import it, it imports nothing of the project.
Messages name the field or the object, as the partner reads them in status_message.
"""

from __future__ import annotations


class DomainError(Exception):
    """A request a service refuses; `message` says why."""

    def __init__(self, message: str = ""):
        self.message = message
        super().__init__(message)


class UnknownObject(DomainError):
    """The addressed object does not exist (or is not one the caller may see)."""


class UnknownLocation(UnknownObject):
    """The addressed location, EVSE or connector does not exist."""


class UnknownToken(UnknownObject):
    """The addressed token is not one we hold."""


class NotYours(DomainError):
    """The object belongs to a party the partner does not speak for (or, through a hub, that the sending
    party may not write for)."""


class Invalid(DomainError):
    """A field or parameter is missing or invalid; `field` names it when there is one."""

    field: str | None = None

    def __init__(self, message: str = "", *, field: str | None = None):
        if field is not None:
            self.field = field
        super().__init__(message)


class NotEnoughInformation(DomainError):
    """The request lacks what the decision needs (e.g. location references to authorize a token)."""


class NotOffered(DomainError):
    """What the request asks for is not offered here (e.g. an EVSE without the capability it needs)."""


class UnknownReceiver(DomainError):
    """The party in OCPI-to is not one this platform serves or, as a hub, connects."""


class ReceiverNotConnected(DomainError):
    """The party in OCPI-to is known to the hub but not connected to it."""


class RoutingTimeout(DomainError):
    """A hub forwarded the request, and the addressee did not answer in time."""


class RoutingFailed(DomainError):
    """A hub could not route the request for another reason (no OCPI answer, a module the addressee lacks)."""


class StaleWrite(DomainError):
    """A PUT or PATCH whose last_updated is older than the object we hold: not applied, yet answered as success
    (decisions.md, "Stale writes"), so a sender retrying old states in order is not told it failed."""

    def __init__(self, message: str = "", *, object_path: str = ""):
        super().__init__(message)
        self.object_path = object_path  # of the object we hold, which a full pull must still count as listed
