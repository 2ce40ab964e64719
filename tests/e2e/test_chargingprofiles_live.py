"""An eMSP tenant sets, gets and clears a charging profile on a session of a CPO tenant of the same platform over
real HTTP; the simulated charge point answers through a real worker, and the results reach the eMSP's response_url."""

import pytest

from partners.models import Partner
from roaming.models import ActiveChargingProfile, ChargingProfileDirection, ChargingProfileRequest
from roaming.services import chargingprofiles
from tests.factories import connect_tenants, make_commandable, make_tenant, own_location, own_session
from tests.waiting import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PROFILE = {"charging_rate_unit": "A", "charging_profile_period": [{"start_period": 0, "limit": 10.0}]}


def completed(request):
    return wait_for(
        lambda: ChargingProfileRequest.objects.filter(pk=request.pk, status="COMPLETED").first(), timeout=30
    )


def events(request) -> list[str]:
    return [step["event"] for step in ChargingProfileRequest.objects.get(pk=request.pk).history]


def test_set_get_and_clear_complete_with_the_charge_points_results(celery_worker, live_server, settings):
    settings.OCPI_BASE_URL = live_server.url
    settings.CHARGE_POINT_SIMULATOR_DELAY_SECONDS = 0.5
    cpo = make_tenant("cpo", "NL:CPO:CPO")
    emsp = make_tenant("emsp", "DE:EMS:EMSP")
    connect_tenants(cpo, emsp, "2.2.1")
    at_emsp = Partner.objects.for_tenant(emsp).get(name="cpo")
    make_commandable(own_location(cpo))
    own_session(cpo, "S1", status="ACTIVE")  # at LOC1, a driver of DE*EMS
    target = {"tenant": emsp, "partner": at_emsp, "session_id": "S1"}

    sent = chargingprofiles.set_profile(**target, profile=PROFILE)
    assert (sent.status, sent.response_result) == ("ACCEPTED", "ACCEPTED")
    assert completed(sent).result == "ACCEPTED"
    received = ChargingProfileRequest.objects.get(tenant=cpo, direction=ChargingProfileDirection.RECEIVED)
    assert (received.partner.tenant, received.kind, received.profile) == (cpo, "SET", PROFILE)
    assert received.response_url == sent.response_url
    wait_for(lambda: "result delivered" in events(received))
    assert ActiveChargingProfile.objects.get(tenant=cpo, partner=None).charging_profile == PROFILE

    asked = chargingprofiles.get_active_profile(**target, duration=600)
    asked = completed(asked)
    assert asked.result == "ACCEPTED"
    assert asked.result_profile["charging_profile"] == {**PROFILE, "duration": 600}
    kept = ActiveChargingProfile.objects.get(tenant=emsp, partner=at_emsp, session_id="S1")
    assert kept.charging_profile == {**PROFILE, "duration": 600}

    cleared = completed(chargingprofiles.clear_profile(**target))
    assert cleared.result == "ACCEPTED"
    assert not ActiveChargingProfile.objects.filter(tenant=cpo).exists()
