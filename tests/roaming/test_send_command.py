"""The send_command management command: a front door to commands.send_command for operators and scripts."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from roaming.models import Command
from tests.factories import commands_cpo, own_token


def run(*args) -> str:
    out = StringIO()
    call_command("send_command", *args, stdout=out)
    return out.getvalue()


def test_start_session_prints_the_answer_and_sends_the_tenants_token(emsp_tenant, peer):
    own_token(emsp_tenant)
    commands_cpo(emsp_tenant, peer)
    peer.ok("/commands/START_SESSION", {"result": "ACCEPTED", "timeout": 30})
    out = run("emsp", "cpo", "START_SESSION", "--token", "012345678", "--location", "LOC1", "--evse", "3256")
    assert out.strip() == "START_SESSION to cpo: accepted, waiting for the charge point; answer ACCEPTED (timeout 30 s)"
    body = json.loads(peer.requests[-1]["body"])
    assert (body["token"]["uid"], body["location_id"], body["evse_uid"]) == ("012345678", "LOC1", "3256")


def test_reserve_now_sends_an_rfc_3339_expiry_and_json_output_names_the_command(emsp_tenant, peer):
    own_token(emsp_tenant)
    commands_cpo(emsp_tenant, peer)
    peer.ok("/commands/RESERVE_NOW", {"result": "ACCEPTED", "timeout": 30})
    out = run(
        "emsp", "cpo", "RESERVE_NOW", "--token", "012345678", "--location", "LOC1", "--reservation", "R1", "--json"
    )
    assert json.loads(out)["status"] == "ACCEPTED" and json.loads(out)["uid"] == Command.objects.get().uid
    expiry = json.loads(peer.requests[-1]["body"])["expiry_date"]
    assert len(expiry) == 20 and expiry.endswith("Z")


def test_a_refused_command_exits_with_an_error(emsp_tenant, peer):
    commands_cpo(emsp_tenant, peer, version="2.1.1")
    with pytest.raises(CommandError, match="CANCEL_RESERVATION not supported"):
        run("emsp", "cpo", "CANCEL_RESERVATION", "--reservation", "R1")
    assert peer.requests == []


def test_an_unknown_token_is_refused_before_anything_is_sent(emsp_tenant, peer):
    commands_cpo(emsp_tenant, peer)
    with pytest.raises(CommandError, match="no own RFID token"):
        run("emsp", "cpo", "START_SESSION", "--token", "nope", "--location", "LOC1")
    assert not Command.objects.exists()
