"""What commands and charging-profile requests share: a request answered twice.

The CPO answers synchronously (did it reach the charge point?) and later at a response_url (what did
the charge point do?). Each row keeps both answers, a deadline for the second, a `status` summing up
where the request stands and a `history` of every step for the admin. Each module adds its own
request, result and status values.
"""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone

from partners.tenancy import TenantOwned


def new_uid() -> str:
    """The unguessable id in the response_url we hand out: it alone admits the result."""
    return secrets.token_urlsafe(24)


class AwaitedRequest(TenantOwned):
    partner = models.ForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="+")
    uid = models.CharField(max_length=40, unique=True, default=new_uid, help_text="Our id in the response_url.")
    #: Where the result goes: our URL for a request we sent, the sender's for one we received.
    response_url = models.URLField(max_length=255, blank=True)
    # The CPO's synchronous answer.
    response_result = models.CharField(max_length=16, blank=True)
    response_timeout = models.PositiveIntegerField(null=True, blank=True, help_text="Seconds the CPO named.")
    error = models.TextField(blank=True)
    #: [{"at": ISO time, "event": ..., "detail": ...}], oldest first.
    history = models.JSONField(default=list, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    result_at = models.DateTimeField(null=True, blank=True)
    #: Past this, a request still waiting for its result has timed out.
    deadline = models.DateTimeField(null=True, blank=True)

    #: The states in which a request still waits for the charge point's result (set by each module).
    WAITING: tuple[str, ...] = ()

    class Meta:
        abstract = True
        ordering = ["-created"]

    @property
    def is_waiting(self) -> bool:
        return self.status in self.WAITING

    def log(self, event: str, detail: str = "") -> None:
        """Add a step to the history (saved with the row's next save)."""
        self.history = [*self.history, {"at": timezone.now().isoformat(), "event": event, "detail": detail}]
