import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from partners.models import PartnerStatus
from tests.factories import auth, make_partner
from tests.peer import serve_cpo_to_register_with


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_create_registration_token_prints_a_working_token(client, emsp_tenant):
    data = json.loads(run("create_registration_token", "emsp", "newcomer", "--json"))
    assert data["versions_url"].endswith("/ocpi/emsp/versions")
    assert client.get("/ocpi/emsp/versions", **auth(data["token"])).status_code == 200


def test_unknown_tenant_is_refused(db):
    with pytest.raises(CommandError, match="no tenant"):
        run("create_registration_token", "nobody", "x")


def test_register_partner_wait_registers_and_prints_the_steps(emsp_tenant, peer):
    serve_cpo_to_register_with(peer)
    output = run(
        "register_partner",
        "emsp",
        "peer-cpo",
        "--versions-url",
        f"{peer.url}/versions",
        "--token-a",
        "their-a",
        "--wait",
    )
    assert "registered with peer-cpo in OCPI 2.2.1" in output
    assert "POST our credentials" in output


def test_register_partner_wait_fails_with_the_reason(emsp_tenant):
    with pytest.raises(CommandError, match="registration failed: Could not read the versions"):
        run(
            "register_partner",
            "emsp",
            "gone",
            "--versions-url",
            "http://127.0.0.1:9/versions",
            "--token-a",
            "a",
            "--wait",
        )


def test_partner_status_json_lists_each_partner(emsp_tenant):
    make_partner(emsp_tenant, "NL:PEE:CPO", name="peer")
    [row] = json.loads(run("partner_status", "emsp", "--json"))
    assert row["name"] == "peer" and row["status"] == PartnerStatus.REGISTERED
    assert row["parties"] == ["NL*PEE CPO"]
    assert row["deliveries"] == {"pending": 0, "sending": 0, "delivered": 0, "failed": 0}


def test_register_partner_pins_the_version(emsp_tenant, peer):
    serve_cpo_to_register_with(peer)
    with pytest.raises(CommandError, match="does not offer OCPI 2.1.1"):
        run(
            "register_partner",
            "emsp",
            "peer-cpo",
            "--versions-url",
            f"{peer.url}/versions",
            "--token-a",
            "a",
            "--version",
            "2.1.1",
            "--wait",
        )
