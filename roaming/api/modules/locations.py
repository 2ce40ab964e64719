"""Locations endpoints (mod_locations, both versions).

Sender (a tenant's CPO parties): the paginated list and GET of one location, EVSE or connector.
Receiver (a tenant's eMSP parties): GET, PUT and PATCH of partners' locations, EVSEs and connectors
under /{country_code}/{party_id}/{location_id}[/{evse_uid}[/{connector_id}]].
"""

from __future__ import annotations

from partners.models import InterfaceRole, Role
from roaming.api.base import OcpiView
from roaming.api.routes import Route
from roaming.services import locations

MODULE = "locations"
# URL segments: CiString(2), CiString(3), and ids of up to 39 characters (2.1.1 location and EVSE ids).
SEGMENT_LIMITS = {"country_code": 2, "party_id": 3, "location_id": 39, "evse_uid": 39, "connector_id": 36}


def level_of(evse_uid, connector_id) -> str:
    return "connector" if connector_id else "evse" if evse_uid else "location"


class SenderListView(OcpiView):
    def get(self, request, tenant, version):
        queryset = locations.visible_to(tenant=self.tenant, partner=self.partner, dialect=self.dialect)
        return self.paginated(
            queryset, lambda page: page, fetch=lambda sliced: locations.render_page(sliced, self.dialect)
        )


class SenderObjectView(OcpiView):
    def get(self, request, tenant, version, location_id, evse_uid=None, connector_id=None):
        queryset = locations.visible_to(tenant=self.tenant, partner=self.partner, dialect=self.dialect)
        obj = locations.find(queryset, location_id=location_id, evse_uid=evse_uid, connector_id=connector_id)
        return self.ok(self.dialect.module(MODULE).to_wire(obj, level_of(evse_uid, connector_id)))


class ReceiverView(OcpiView):
    """GET, PUT and PATCH of one partner location, EVSE or connector."""

    checks_owner = True

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.ensure_owner(kwargs["country_code"], kwargs["party_id"])

    def get(self, request, tenant, version, country_code, party_id, location_id, evse_uid=None, connector_id=None):
        queryset = locations.owned_by(tenant=self.tenant, country_code=country_code, party_id=party_id)
        obj = locations.find(queryset, location_id=location_id, evse_uid=evse_uid, connector_id=connector_id)
        return self.ok(self.dialect.module(MODULE).to_wire(obj, level_of(evse_uid, connector_id)))

    def put(self, request, tenant, version, country_code, party_id, location_id, evse_uid=None, connector_id=None):
        level = level_of(evse_uid, connector_id)
        body = self.body()
        data = self.dialect.module(MODULE).from_wire(body, level=level, owner=(country_code, party_id))
        data = self.received(MODULE, body, data, level=level)
        owner = {
            "tenant": self.tenant,
            "partner": self.partner,
            "country_code": country_code,
            "party_id": party_id,
            "location_id": location_id,
            "data": data,
        }
        if level == "location":
            change = locations.put_location(**owner)
        elif level == "evse":
            change = locations.put_evse(**owner, evse_uid=evse_uid)
        else:
            change = locations.put_connector(**owner, evse_uid=evse_uid, connector_id=connector_id)
        return self.ok(http_status=201 if change.created else 200)

    def patch(self, request, tenant, version, country_code, party_id, location_id, evse_uid=None, connector_id=None):
        level = level_of(evse_uid, connector_id)
        fields = self.dialect.module(MODULE).patch_from_wire(self.body(), level=level)
        locations.patch(
            tenant=self.tenant,
            partner=self.partner,
            country_code=country_code,
            party_id=party_id,
            location_id=location_id,
            evse_uid=evse_uid,
            connector_id=connector_id,
            fields=fields,
        )
        return self.ok()


ID = r"(?P<{}>[^/]+)"
LOCATION = "/" + ID.format("location_id")
EVSE = LOCATION + "/" + ID.format("evse_uid")
CONNECTOR = EVSE + "/" + ID.format("connector_id")
OWNER = "/" + ID.format("country_code") + "/" + ID.format("party_id")

ROUTES = (
    Route(
        MODULE,
        InterfaceRole.SENDER,
        Role.CPO,
        views=[
            ("", SenderListView),
            (LOCATION, SenderObjectView),
            (EVSE, SenderObjectView),
            (CONNECTOR, SenderObjectView),
        ],
        segment_limits=SEGMENT_LIMITS,
    ),
    Route(
        MODULE,
        InterfaceRole.RECEIVER,
        Role.EMSP,
        views=[
            (OWNER + LOCATION, ReceiverView),
            (OWNER + EVSE, ReceiverView),
            (OWNER + CONNECTOR, ReceiverView),
        ],
        segment_limits=SEGMENT_LIMITS,
    ),
)
