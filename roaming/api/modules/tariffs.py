"""Tariffs endpoints (mod_tariffs, both versions).

Sender (a tenant's CPO parties): the paginated list. Receiver (a tenant's eMSP parties): GET, PUT
and DELETE of partners' tariffs under /{country_code}/{party_id}/{tariff_id}, and PATCH where the
version has it (2.1.1).
"""

from __future__ import annotations

from partners.models import InterfaceRole, Role
from roaming.api.base import OcpiView
from roaming.api.routes import Route
from roaming.ocpi.errors import MethodNotAllowed
from roaming.ocpi.timestamps import now
from tariffs import services as tariffs

MODULE = "tariffs"
SEGMENT_LIMITS = {"country_code": 2, "party_id": 3, "tariff_id": 36}


class SenderListView(OcpiView):
    def get(self, request, tenant, version):
        translator = self.dialect.module(MODULE)
        moment = now()
        queryset = tariffs.visible_to(tenant=self.tenant, partner=self.partner, dialect=self.dialect)

        def to_wire(page):
            return [translator.to_wire(t) for t in page]

        # Tariffs the version cannot carry are left out before slicing, so pages are never short.
        return self.paginated(queryset, to_wire, keep=lambda t: translator.may_see(t, moment))


class ReceiverView(OcpiView):
    checks_owner = True

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.ensure_owner(kwargs["country_code"], kwargs["party_id"])

    def owner(self, country_code, party_id, tariff_id) -> dict:
        return {
            "tenant": self.tenant,
            "partner": self.partner,
            "country_code": country_code,
            "party_id": party_id,
            "tariff_id": tariff_id,
        }

    def get(self, request, tenant, version, country_code, party_id, tariff_id):
        tariff = tariffs.find(
            tariffs.owned_by(tenant=self.tenant, country_code=country_code, party_id=party_id), tariff_id=tariff_id
        )
        return self.ok(self.dialect.module(MODULE).to_wire(tariff))

    def put(self, request, tenant, version, country_code, party_id, tariff_id):
        body = self.body()
        data = self.received(MODULE, body, self.dialect.module(MODULE).from_wire(body, owner=(country_code, party_id)))
        change = tariffs.put_tariff(**self.owner(country_code, party_id, tariff_id), data=data)
        return self.ok(http_status=201 if change.created else 200)

    def patch(self, request, tenant, version, country_code, party_id, tariff_id):
        translator = self.dialect.module(MODULE)
        if not translator.supports_patch:
            raise MethodNotAllowed(f"OCPI {self.dialect} has no PATCH for tariffs: PUT the whole tariff")
        tariffs.patch_tariff(
            **self.owner(country_code, party_id, tariff_id), fields=translator.patch_from_wire(self.body())
        )
        return self.ok()

    def delete(self, request, tenant, version, country_code, party_id, tariff_id):
        tariffs.delete_tariff(**self.owner(country_code, party_id, tariff_id))
        return self.ok()


ROUTES = (
    Route(MODULE, InterfaceRole.SENDER, Role.CPO, views=[("", SenderListView)], segment_limits=SEGMENT_LIMITS),
    Route(
        MODULE,
        InterfaceRole.RECEIVER,
        Role.EMSP,
        views=[
            (r"/(?P<country_code>[^/]+)/(?P<party_id>[^/]+)/(?P<tariff_id>[^/]+)", ReceiverView),
        ],
        segment_limits=SEGMENT_LIMITS,
    ),
)
