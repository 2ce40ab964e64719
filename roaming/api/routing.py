"""The boundary of hub routing: a functional module's request to a hub tenant that OCPI-to addresses to a
party the hub connects, or that names one by its content (Open Routing Request), is forwarded
(roaming.services.routing) and the addressee's answer is the view's."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from rest_framework.response import Response

from roaming.ocpi.errors import OcpiError
from roaming.services import routing

if TYPE_CHECKING:
    from roaming.api.base import OcpiView


class Forwarded(Exception):  # noqa: N818 - not an error: the answer of a forwarded request, leaving the view
    def __init__(self, response: Response):
        self.response = response
        super().__init__("forwarded")


def inbound(view: OcpiView) -> routing.Inbound:
    """The request as the routing service reads it: the module's path below its endpoint, the raw query
    and body, the routing headers."""
    request, route = view.request, view.route
    version = view.kwargs["version"]
    headers = view.routing if view.dialect.routing_headers else None
    prefix = f"/ocpi/{view.tenant.slug}/{version}/{route.segment}/{route.identifier}"
    return routing.Inbound(
        dialect=view.dialect,
        module=route.identifier,
        interface=route.role,
        method=request.method,
        path=request.path.removeprefix(prefix).strip("/"),
        query=request.META.get("QUERY_STRING", ""),
        body=request._request.body,
        from_party=headers.from_party if headers else None,
        to_party=headers.to_party if headers else None,
        endpoint_url=view.tenant_url(version, route.segment, route.identifier),
        version_url=view.tenant_url(version),
    )


def forward_if_addressed(view: OcpiView) -> None:
    """Raise Forwarded with the addressee's answer when the hub routed the request; return when the view
    answers it itself (most requests: those without OCPI-to, outside the modules routed by content, are not
    read further)."""
    addressed = None
    if view.dialect.routing_headers:
        try:
            addressed = view.routing.to_party
        except OcpiError:
            return  # malformed headers: the view's own checks answer them
    if addressed is None and view.route.identifier not in routing.OPEN_ROUTED:
        return
    answer = routing.route(tenant=view.tenant, caller=view.partner, inbound=inbound(view))
    if answer is None:
        return
    if view.dialect.routing_headers:
        # The answer goes back as the request was routed: TO the requesting party, FROM the one that answered.
        view.request._routing = dataclasses.replace(
            view.routing, from_party=answer.requester, to_party=answer.addressee
        )
    raise Forwarded(Response(answer.body, status=answer.http_status, headers=answer.headers))
