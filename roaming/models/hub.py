"""What a hub tenant keeps about the requests it routes (2.2.1 transport_and_format, Message Routing).

`RouteStat`: one row per party the hub routes to (the addressee, reached through one of the hub's partners):
how many requests were forwarded to it, how many failed and why, and whether the operator suspended routing
to it. `Relay`: an asynchronous result owed to the party that sent a command or charging profile request
through the hub; the addressee calls the hub's URL of it, and the hub passes the result on.
"""

from __future__ import annotations

import uuid

from django.db import models

from partners.tenancy import TenantOwned


class RouteStat(TenantOwned):
    partner = models.ForeignKey(
        "partners.Partner",
        on_delete=models.CASCADE,
        related_name="route_stats",
        help_text="The platform the party is reached through.",
    )
    country_code = models.CharField(max_length=2)
    party_id = models.CharField(max_length=3)
    forwarded = models.PositiveIntegerField(default=0, help_text="Requests forwarded to this party.")
    errors = models.PositiveIntegerField(default=0, help_text="Forwarded requests that got no OCPI answer.")
    last_forwarded_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    suspended = models.BooleanField(
        default=False, help_text="Routing to this party is suspended: requests to it are answered 4003."
    )

    class Meta:
        verbose_name = "route"
        constraints = [
            models.UniqueConstraint(fields=["partner", "country_code", "party_id"], name="routestat_one_per_party")
        ]

    def __str__(self) -> str:
        return f"{self.country_code}*{self.party_id}"


class Relay(TenantOwned):
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    module = models.CharField(max_length=40)
    requester = models.ForeignKey("partners.Partner", on_delete=models.CASCADE, related_name="+")
    #: The response_url the requester gave; the addressee was given the hub's URL of this relay instead.
    response_url = models.URLField(max_length=255)
    from_country_code = models.CharField(max_length=2)
    from_party_id = models.CharField(max_length=3)
    to_country_code = models.CharField(max_length=2)
    to_party_id = models.CharField(max_length=3)
    created = models.DateTimeField(auto_now_add=True)
    results = models.PositiveIntegerField(default=0, help_text="Results passed on to the requester.")
