"""The hub's response URLs: where the addressee of a command or charging profile request the hub forwarded
posts its asynchronous result, passed on to the requester's own response_url (roaming.services.routing)."""

from __future__ import annotations

from rest_framework.response import Response

from roaming.api.base import OcpiView
from roaming.services import routing


class RelayView(OcpiView):
    module_name = "hub-relay"

    def post(self, request, tenant, version, key):
        answer = routing.relay_result(tenant=self.tenant, caller=self.partner, key=key, body=request._request.body)
        return Response(answer.body, status=answer.http_status, headers=answer.headers)
