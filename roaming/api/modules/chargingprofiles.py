"""Charging profiles endpoints (2.2.1 mod_charging_profiles; versions without the module answer 404).

Receiver (a tenant's CPO parties): PUT {session_id} with a SetChargingProfile, GET {session_id}?duration&
response_url, DELETE {session_id}?response_url, each answered with a ChargingProfileResponse. Sender (a
tenant's eMSP or SCSP parties): POST {kind}/{uid}, the response_url we handed out, where the CPO delivers the charge
point's result; PUT {session_id}, where the CPO pushes a changed ActiveChargingProfile.
"""

from __future__ import annotations

from partners.models import InterfaceRole, Role
from roaming.api.base import OcpiView
from roaming.api.routes import Route
from roaming.models import ChargingProfileKind
from roaming.ocpi.errors import InvalidParameters, NotFound
from roaming.services import chargingprofiles

MODULE = "chargingprofiles"


class ChargingProfilesView(OcpiView):
    @property
    def translator(self):
        if not self.dialect.has_module(MODULE):
            raise NotFound(f"OCPI {self.dialect} has no {MODULE} module")
        return self.dialect.module(MODULE)


class ReceiverView(ChargingProfilesView):
    def put(self, request, tenant, version, session_id):
        translator = self.translator
        session_id = translator.session_id(session_id)
        profile, response_url = translator.set_from_wire(self.body())
        return self.answer(ChargingProfileKind.SET, session_id, response_url, profile=profile)

    def get(self, request, tenant, version, session_id):
        translator = self.translator
        session_id = translator.session_id(session_id)
        duration, response_url = translator.get_from_wire(request.query_params)
        return self.answer(ChargingProfileKind.GET, session_id, response_url, duration=duration)

    def delete(self, request, tenant, version, session_id):
        translator = self.translator
        session_id = translator.session_id(session_id)
        response_url = translator.clear_from_wire(request.query_params)
        return self.answer(ChargingProfileKind.CLEAR, session_id, response_url)

    def answer(self, kind: str, session_id: str, response_url: str, **request):
        answer = chargingprofiles.receive_request(
            tenant=self.tenant,
            partner=self.partner,
            kind=kind,
            session_id=session_id,
            response_url=response_url,
            **request,
        )
        return self.ok(self.translator.response_to_wire(result=answer.result, timeout=answer.timeout))


class ActiveProfileView(ChargingProfilesView):
    def put(self, request, tenant, version, session_id):
        translator = self.translator
        session_id = translator.session_id(session_id)
        active = translator.active_profile_from_wire(self.body())
        chargingprofiles.put_active_profile(
            tenant=self.tenant, partner=self.partner, session_id=session_id, active=active
        )
        return self.ok()


class ResultView(ChargingProfilesView):
    def post(self, request, tenant, version, kind, uid):
        if kind not in ChargingProfileKind.values:
            raise InvalidParameters(f"URL segment kind is not one of {', '.join(ChargingProfileKind.values)}")
        result = self.translator.result_from_wire(kind, self.body())
        chargingprofiles.record_result(tenant=self.tenant, partner=self.partner, kind=kind, uid=uid, result=result)
        return self.ok()


ROUTES = (
    Route(MODULE, InterfaceRole.RECEIVER, Role.CPO, views=[(r"/(?P<session_id>[^/]+)", ReceiverView)]),
    # The sender is the eMSP, or a Smart Charging Service Provider (mod_charging_profiles: "read eMSP as SCSP").
    *(
        Route(
            MODULE,
            InterfaceRole.SENDER,
            role,
            views=[(r"/(?P<kind>[A-Z]+)/(?P<uid>[^/]+)", ResultView), (r"/(?P<session_id>[^/]+)", ActiveProfileView)],
        )
        for role in (Role.EMSP, Role.SCSP)
    ),
)
