"""Answers partners give to what we call them with, read leniently (docs/compatibility.md, Reading policy): success
as HTTP 200 or 201, `data` as the object or a one-element list holding it (OcpiResult.object()), and partner
endpoint URLs with or without a trailing slash, joined to one slash. Both versions where the module has them."""

from __future__ import annotations

import pytest

from partners.models import PartnerEndpoint
from roaming.models import CommandStatus, Session, Token
from roaming.ocpi.dialects import get_dialect
from roaming.services import chargingpreferences, chargingprofiles, commands, tokens
from tests.bodies import TOKEN
from tests.factories import make_partner, own_session, own_token

SHAPES = [
    pytest.param(as_list, http_status, slash, id=f"{'list' if as_list else 'object'}-{http_status}-{slash or 'none'}")
    for as_list in (False, True)
    for http_status in (200, 201)
    for slash in ("", "/")
]


def answer(peer, path: str, data, *, as_list: bool, http_status: int) -> None:
    peer.ok(path, [data] if as_list else data, status=http_status)


def endpoint(tenant, partner, peer, module: str, role: str, slash: str) -> None:
    PartnerEndpoint.objects.create(
        tenant=tenant, partner=partner, identifier=module, role=role, url=f"{peer.url}/{module}{slash}"
    )


@pytest.mark.parametrize("version", ["2.2.1", "2.1.1"])
@pytest.mark.parametrize("as_list, http_status, slash", SHAPES)
def test_an_authorization_answer_is_read_in_any_of_these_shapes(cpo_tenant, peer, version, as_list, http_status, slash):
    partner, _ = make_partner(cpo_tenant, "DE:EMS:EMSP", name="emsp", version=version, token_to_them="t")
    endpoint(cpo_tenant, partner, peer, "tokens", "SENDER", slash)
    data = get_dialect("2.2.1").module("tokens").from_wire({**TOKEN, "whitelist": "ALLOWED"})
    tokens.put_token(
        tenant=cpo_tenant,
        partner=partner,
        country_code="DE",
        party_id="EMS",
        uid=data["uid"],
        token_type="RFID",
        data=data,
    )
    info = {"allowed": "ALLOWED"}
    if version == "2.2.1":
        info.update(token=TOKEN, authorization_reference="REF1")
    answer(peer, "/tokens/012345678/authorize", info, as_list=as_list, http_status=http_status)

    decision = tokens.decide_start(token=Token.objects.get(), location={"location_id": "LOC1", "evse_uids": []})

    expected_reference = "REF1" if version == "2.2.1" else ""
    assert (decision.allowed, decision.source, decision.authorization_reference) == (True, "eMSP", expected_reference)
    assert peer.requests[0]["path"].split("?")[0] == "/tokens/012345678/authorize"


@pytest.mark.parametrize("version", ["2.2.1", "2.1.1"])
@pytest.mark.parametrize("as_list, http_status, slash", SHAPES)
def test_a_command_response_is_read_in_any_of_these_shapes(emsp_tenant, peer, version, as_list, http_status, slash):
    partner, _ = make_partner(emsp_tenant, "NL:CPO:CPO", name="cpo", version=version, token_to_them="t")
    endpoint(emsp_tenant, partner, peer, "commands", "RECEIVER", slash)
    response = {"result": "ACCEPTED", "timeout": 30} if version == "2.2.1" else {"result": "ACCEPTED"}
    answer(peer, "/commands/START_SESSION", response, as_list=as_list, http_status=http_status)
    request = {"location_id": "LOC1", "evse_uid": "3256", "token": commands.token_request(own_token(emsp_tenant))}

    command = commands.send_command(tenant=emsp_tenant, partner=partner, command="START_SESSION", request=request)

    assert (command.status, command.response_result) == (CommandStatus.ACCEPTED, "ACCEPTED")
    assert [r["path"] for r in peer.requests] == ["/commands/START_SESSION"]


@pytest.mark.parametrize("as_list, http_status, slash", SHAPES)
def test_a_charging_profile_response_is_read_in_any_of_these_shapes(emsp_tenant, peer, as_list, http_status, slash):
    partner, _ = make_partner(emsp_tenant, "NL:CPO:CPO", name="cpo", token_to_them="t")
    endpoint(emsp_tenant, partner, peer, "chargingprofiles", "RECEIVER", slash)
    answer(
        peer, "/chargingprofiles/S1", {"result": "ACCEPTED", "timeout": 30}, as_list=as_list, http_status=http_status
    )
    profile = {"charging_rate_unit": "W", "charging_profile_period": [{"start_period": 0, "limit": 11000.0}]}

    request = chargingprofiles.set_profile(tenant=emsp_tenant, partner=partner, session_id="S1", profile=profile)

    assert (request.status, request.response_result, request.response_timeout) == ("ACCEPTED", "ACCEPTED", 30)
    assert [r["path"] for r in peer.requests] == ["/chargingprofiles/S1"]


@pytest.mark.parametrize("as_list, http_status, slash", SHAPES)
def test_a_charging_preferences_answer_is_read_in_any_of_these_shapes(emsp_tenant, peer, as_list, http_status, slash):
    partner, _ = make_partner(emsp_tenant, "NL:CPO:CPO", name="cpo", token_to_them="t")
    endpoint(emsp_tenant, partner, peer, "sessions", "SENDER", slash)
    own_session(emsp_tenant, "S9", status="ACTIVE")
    Session.objects.update(partner=partner)
    answer(peer, "/sessions/S9/charging_preferences", "DEPARTURE_REQUIRED", as_list=as_list, http_status=http_status)

    sent = chargingpreferences.send(
        tenant=emsp_tenant, session=Session.objects.get(), preferences={"profile_type": "FAST"}
    )

    assert (sent.response, sent.error) == ("DEPARTURE_REQUIRED", "")
    assert [r["path"] for r in peer.requests] == ["/sessions/S9/charging_preferences"]


def test_a_list_of_two_where_an_object_was_due_is_not_guessed_from(emsp_tenant, peer):
    """Only a one-element list stands for the object: two answers are not one."""
    partner, _ = make_partner(emsp_tenant, "NL:CPO:CPO", name="cpo", token_to_them="t")
    endpoint(emsp_tenant, partner, peer, "commands", "RECEIVER", "")
    two = [{"result": "ACCEPTED", "timeout": 30}, {"result": "REJECTED", "timeout": 30}]
    peer.ok("/commands/STOP_SESSION", two)
    command = commands.send_command(
        tenant=emsp_tenant, partner=partner, command="STOP_SESSION", request={"session_id": "S1"}
    )
    assert command.status == CommandStatus.FAILED
