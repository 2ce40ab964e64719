"""Hub Client Info endpoints (2.2.1 mod_hub_client_info; the dialect decides which versions have them).

Receiver (any tenant that connects to a hub): GET and PUT /{country_code}/{party_id} of the ClientInfo
its hub partner pushes. Sender (a tenant's HUB party): the paginated list of the parties it connects.
"""

from __future__ import annotations

from partners.models import InterfaceRole, Role
from roaming.api.base import OcpiView
from roaming.api.routes import Route
from roaming.services import hubclientinfo

MODULE = "hubclientinfo"
SEGMENT_LIMITS = {"country_code": 2, "party_id": 3}


class SenderListView(OcpiView):
    routed = False

    def get(self, request, tenant, version):
        translator = self.dialect.module(MODULE)
        queryset = hubclientinfo.published(tenant=self.tenant)
        return self.paginated(queryset, lambda page: [translator.to_wire(info) for info in page])


class ReceiverView(OcpiView):
    routed = False

    def get(self, request, tenant, version, country_code, party_id):
        queryset = hubclientinfo.received_from(tenant=self.tenant, partner=self.partner)
        info = hubclientinfo.find(queryset, country_code=country_code, party_id=party_id)
        return self.ok(self.dialect.module(MODULE).to_wire(info))

    def put(self, request, tenant, version, country_code, party_id):
        data = self.dialect.module(MODULE).from_wire(self.body())
        change = hubclientinfo.put_client_info(
            tenant=self.tenant, partner=self.partner, country_code=country_code, party_id=party_id, data=data
        )
        return self.ok(http_status=201 if change.created else 200)


ROUTES = (
    Route(MODULE, InterfaceRole.SENDER, Role.HUB, views=[("", SenderListView)], segment_limits=SEGMENT_LIMITS),
    Route(
        MODULE,
        InterfaceRole.RECEIVER,
        None,
        views=[(r"/(?P<country_code>[^/]+)/(?P<party_id>[^/]+)", ReceiverView)],
        segment_limits=SEGMENT_LIMITS,
    ),
)
