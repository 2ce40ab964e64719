"""Charging preferences (2.2.1 mod_sessions), both sides: every ChargingPreferencesResponse the CPO gives, and the
eMSP sending them and keeping the answer."""

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from partners.models import PartnerEndpoint
from roaming.errors import UnknownObject
from roaming.models import Evse, Session
from roaming.ocpi.timestamps import format_datetime
from roaming.services import chargingpreferences
from tariffs.models import Tariff
from tests.bodies import SESSION
from tests.factories import log_in_operator, make_partner, own_location, own_session


def _in(hours: float) -> str:
    return format_datetime(timezone.now() + timedelta(hours=hours))


@pytest.fixture
def running(cpo_tenant):
    """An active session of a DE*EMS driver on connector 1 of EVSE 3256 (AC 3 phase, 220 V x 16 A = 10.56 kW)."""
    own_location(cpo_tenant, location_id=SESSION["location_id"])
    Evse.objects.filter(uid="3256").update(capabilities=["CHARGING_PREFERENCES_CAPABLE"])
    own_session(cpo_tenant, evse_uid="3256", connector_id="1", status="ACTIVE")
    Tariff.objects.create(
        tenant=cpo_tenant,
        country_code="NL",
        party_id="CPO",
        tariff_id="11",
        currency="EUR",
        type="PROFILE_FAST",
        last_updated=timezone.now(),
    )
    return Session.objects.get()


def receive(tenant, partner, preferences):
    return chargingpreferences.receive(tenant=tenant, partner=partner, session_id="s1", preferences=preferences)


@pytest.mark.parametrize(
    ("preferences", "answer"),
    [
        ({"profile_type": "REGULAR"}, "ACCEPTED"),
        ({"profile_type": "FAST", "departure_time": _in(2)}, "ACCEPTED"),
        ({"profile_type": "FAST"}, "DEPARTURE_REQUIRED"),
        ({"profile_type": "GREEN", "departure_time": _in(2)}, "ENERGY_NEED_REQUIRED"),
        ({"profile_type": "GREEN", "departure_time": _in(2), "energy_need": 5}, "PROFILE_TYPE_NOT_SUPPORTED"),
        ({"profile_type": "FAST", "departure_time": _in(1), "energy_need": 50}, "NOT_POSSIBLE"),
        ({"profile_type": "FAST", "departure_time": _in(6), "energy_need": 50}, "ACCEPTED"),
    ],
)
def test_the_cpo_answers_every_charging_preferences_response(cpo_tenant, emsp_partner, running, preferences, answer):
    partner, _ = emsp_partner
    assert receive(cpo_tenant, partner, preferences) == answer
    running.refresh_from_db()
    assert running.charging_preferences == (preferences if answer == "ACCEPTED" else None)


def test_preferences_for_a_session_that_has_ended_are_not_possible(cpo_tenant, emsp_partner, running):
    Session.objects.update(status="COMPLETED")
    assert receive(cpo_tenant, emsp_partner[0], {"profile_type": "REGULAR"}) == "NOT_POSSIBLE"


def test_preferences_for_another_emsps_driver_are_an_unknown_session(cpo_tenant, running):
    other, _ = make_partner(cpo_tenant, "NL:OTH:EMSP", name="other")
    with pytest.raises(UnknownObject, match="Unknown session"):
        receive(cpo_tenant, other, {"profile_type": "REGULAR"})
    running.refresh_from_db()
    assert running.charging_preferences is None


@pytest.fixture
def theirs(emsp_tenant, peer):
    """A session the eMSP tenant received from a 2.2.1 CPO partner whose sessions sender is the peer."""
    partner, _ = make_partner(emsp_tenant, "NL:CPO:CPO", name="cpo", token_to_them="tok")
    PartnerEndpoint.objects.create(
        tenant=emsp_tenant, partner=partner, identifier="sessions", role="SENDER", url=f"{peer.url}/sessions/"
    )
    session = own_session(emsp_tenant, "S9", status="ACTIVE") or Session.objects.get(session_id="S9")
    Session.objects.filter(pk=session.pk).update(partner=partner)
    session.refresh_from_db()
    return session


def test_the_emsp_sends_preferences_and_keeps_the_answer(emsp_tenant, theirs, peer):
    peer.ok("/sessions/S9/charging_preferences", "DEPARTURE_REQUIRED")
    sent = chargingpreferences.send(tenant=emsp_tenant, session=theirs, preferences={"profile_type": "FAST"})
    assert sent.response == "DEPARTURE_REQUIRED"
    [request] = peer.requests
    assert (request["method"], request["path"]) == ("PUT", "/sessions/S9/charging_preferences")
    assert request["headers"]["OCPI-to-party-id"] == "CPO"
    theirs.refresh_from_db()
    assert (theirs.charging_preferences, theirs.charging_preferences_response) == (
        {"profile_type": "FAST"},
        "DEPARTURE_REQUIRED",
    )


def test_an_answer_outside_the_enum_is_kept_as_an_error(emsp_tenant, theirs, peer):
    peer.ok("/sessions/S9/charging_preferences", "MAYBE")
    sent = chargingpreferences.send(tenant=emsp_tenant, session=theirs, preferences={"profile_type": "FAST"})
    assert sent.response == "" and "MAYBE" in sent.error
    theirs.refresh_from_db()
    assert theirs.charging_preferences_response.startswith("error:")


def test_the_command_sends_them_and_fails_on_no_answer(emsp_tenant, theirs, peer, capsys):
    peer.ok("/sessions/S9/charging_preferences", "ACCEPTED")
    call_command("charging_preferences", emsp_tenant.slug, "cpo", "S9", "--profile-type", "REGULAR", "--json")
    assert '"response": "ACCEPTED"' in capsys.readouterr().out
    peer.fail("/sessions/S9/charging_preferences", 2001, "no", http_status=404)
    with pytest.raises(CommandError):
        call_command("charging_preferences", emsp_tenant.slug, "cpo", "S9")


def test_the_session_admin_action_sends_the_preferences_from_the_action_bar(client, emsp_tenant, theirs, peer):
    log_in_operator(client, emsp_tenant)
    peer.ok("/sessions/S9/charging_preferences", "ACCEPTED")
    data = {
        "action": "send_charging_preferences",
        "_selected_action": [theirs.pk],
        "profile_type": "FAST",
        "departure_time": "2030-01-01 18:00:00",
    }
    page = client.post("/admin/roaming/session/", data, follow=True).content.decode()
    assert "Preferences S9: ACCEPTED" in page
    assert json.loads(peer.requests[-1]["body"]) == {"profile_type": "FAST", "departure_time": "2030-01-01T18:00:00Z"}
