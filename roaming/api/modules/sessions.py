"""Sessions endpoints (mod_sessions, both versions).

Sender (a tenant's CPO parties): the paginated list (date_from required) and, in 2.2.1, PUT of the
driver's charging preferences at {session_id}/charging_preferences. Receiver (a tenant's eMSP
parties): GET, PUT and PATCH of partners' sessions under /{country_code}/{party_id}/{session_id}.
"""

from __future__ import annotations

from partners.models import InterfaceRole, Role
from partners.services import connection_parties
from roaming.api.base import OcpiView
from roaming.api.routes import Route
from roaming.ocpi.errors import InvalidParameters, NotFound
from roaming.services import chargingpreferences, sessions

MODULE = "sessions"
SEGMENT_LIMITS = {"country_code": 2, "party_id": 3, "session_id": 36}


class SenderListView(OcpiView):
    def get(self, request, tenant, version):
        if not request.query_params.get("date_from"):
            raise InvalidParameters("Query parameter 'date_from' is required for sessions")
        translator = self.dialect.module(MODULE)
        queryset = sessions.visible_to(tenant=self.tenant, partner=self.partner, dialect=self.dialect)
        return self.paginated(
            queryset,
            lambda page: [translator.to_wire(s) for s in page],
            fetch=lambda sliced: sessions.with_locations(self.tenant, list(sliced)),
        )


class ChargingPreferencesView(OcpiView):
    def put(self, request, tenant, version, session_id):
        translator = self.dialect.module(MODULE)
        if not translator.supports_charging_preferences:
            raise NotFound(f"OCPI {self.dialect} has no charging preferences", status_code=2001)
        preferences = translator.charging_preferences_from_wire(self.body())
        return self.ok(
            chargingpreferences.receive(
                tenant=self.tenant, partner=self.partner, session_id=session_id, preferences=preferences
            )
        )


class ReceiverView(OcpiView):
    checks_owner = True

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.ensure_owner(kwargs["country_code"], kwargs["party_id"])

    def token_owner(self) -> tuple[str, str] | None:
        """Our eMSP party this connection speaks for: in 2.1.1 the owner of the drivers' tokens."""
        parties = [
            p
            for p in connection_parties(tenant=self.tenant, partner=self.partner, dialect=self.dialect)
            if p.role == Role.EMSP
        ]
        return (parties[0].country_code, parties[0].party_id) if parties else None

    def get(self, request, tenant, version, country_code, party_id, session_id):
        session = sessions.find(
            sessions.owned_by(tenant=self.tenant, country_code=country_code, party_id=party_id), session_id=session_id
        )
        return self.ok(self.dialect.module(MODULE).to_wire(session))

    def put(self, request, tenant, version, country_code, party_id, session_id):
        body = self.body()
        data = self.dialect.module(MODULE).from_wire(
            body, owner=(country_code, party_id), token_owner=self.token_owner()
        )
        data = self.received(MODULE, body, data)
        change = sessions.put_session(
            tenant=self.tenant,
            partner=self.partner,
            country_code=country_code,
            party_id=party_id,
            session_id=session_id,
            data=data,
        )
        return self.ok(http_status=201 if change.created else 200)

    def patch(self, request, tenant, version, country_code, party_id, session_id):
        translator = self.dialect.module(MODULE)
        fields = translator.patch_from_wire(self.body(), token_owner=self.token_owner())
        sessions.patch_session(
            tenant=self.tenant,
            partner=self.partner,
            country_code=country_code,
            party_id=party_id,
            session_id=session_id,
            fields=fields,
            append_periods=translator.patch_appends_charging_periods,
        )
        return self.ok()


ROUTES = (
    Route(
        MODULE,
        InterfaceRole.SENDER,
        Role.CPO,
        views=[
            ("", SenderListView),
            (r"/(?P<session_id>[^/]+)/charging_preferences", ChargingPreferencesView),
        ],
        segment_limits=SEGMENT_LIMITS,
    ),
    Route(
        MODULE,
        InterfaceRole.RECEIVER,
        Role.EMSP,
        views=[
            (r"/(?P<country_code>[^/]+)/(?P<party_id>[^/]+)/(?P<session_id>[^/]+)", ReceiverView),
        ],
        segment_limits=SEGMENT_LIMITS,
    ),
)
