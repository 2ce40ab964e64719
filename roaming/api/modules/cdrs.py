"""CDRs endpoints (mod_cdrs, both versions).

Sender (a tenant's CPO parties): the paginated list. Receiver (a tenant's eMSP parties): POST of a
CDR, answered with the Location header of the stored CDR's URL, and GET of that URL.
"""

from __future__ import annotations

from partners.models import InterfaceRole, Role
from partners.services import connection_parties
from roaming.api.base import OcpiView
from roaming.api.routes import Route
from roaming.services import cdrs, ownership

MODULE = "cdrs"


class SenderListView(OcpiView):
    def get(self, request, tenant, version):
        translator = self.dialect.module(MODULE)
        queryset = cdrs.visible_to(tenant=self.tenant, partner=self.partner, dialect=self.dialect)
        return self.paginated(queryset, lambda page: [translator.to_wire(c) for c in page])


class ReceiverPostView(OcpiView):
    def post(self, request, tenant, version):
        translator = self.dialect.module(MODULE)
        body = self.body()
        owner = ownership.sender_owner(
            partner=self.partner, translator=translator, wire=body, role=Role.CPO, what="CDRs"
        )
        emsp = [
            p
            for p in connection_parties(tenant=self.tenant, partner=self.partner, dialect=self.dialect)
            if p.role == Role.EMSP
        ]
        data = translator.from_wire(
            body, owner=owner, token_owner=(emsp[0].country_code, emsp[0].party_id) if emsp else None
        )
        data = self.received(MODULE, body, data)
        self.ensure_owner(*owner)  # after validation: a malformed owner is 2001, not someone else's party
        stored = cdrs.store_cdr(tenant=self.tenant, partner=self.partner, data=data)
        url = self.tenant_url(version, "receiver", MODULE, stored.object_path)
        return self.ok(http_status=201 if stored.created else 200, headers={"Location": url})


class ReceiverGetView(OcpiView):
    checks_owner = True

    def get(self, request, tenant, version, country_code, party_id, cdr_id):
        self.ensure_owner(country_code, party_id)
        cdr = cdrs.find(cdrs.owned_by(tenant=self.tenant, country_code=country_code, party_id=party_id), cdr_id=cdr_id)
        return self.ok(self.dialect.module(MODULE).to_wire(cdr))


ROUTES = (
    Route(MODULE, InterfaceRole.SENDER, Role.CPO, views=[("", SenderListView)]),
    Route(
        MODULE,
        InterfaceRole.RECEIVER,
        Role.EMSP,
        views=[
            ("", ReceiverPostView),
            (r"/(?P<country_code>[^/]{1,2})/(?P<party_id>[^/]{1,3})/(?P<cdr_id>[^/]{1,39})", ReceiverGetView),
        ],
    ),
)
