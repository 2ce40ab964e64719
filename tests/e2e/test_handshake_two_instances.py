"""The handshake between two separately running instances, each with its own database, in both directions."""

import json

import pytest

from partners import handshake
from partners.models import Partner, PartnerStatus
from partners.services import issue_registration_token
from tests.factories import auth, make_tenant

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def home(live_server, settings):
    settings.OCPI_BASE_URL = live_server.url
    return make_tenant("home", "DE:HOM:EMSP:Home Mobility")


def their_view(other_instance, name: str) -> dict:
    rows = json.loads(other_instance.manage("partner_status", "peer", "--json"))
    return next(row for row in rows if row["name"] == name)


@pytest.mark.parametrize("version", ["2.3.0", "2.2.1", "2.1.1"])
def test_we_register_with_the_other_instance(home, other_instance, client, version):
    name = f"home-{version}"
    token_a = json.loads(other_instance.manage("create_registration_token", "peer", name, "--json"))["token"]
    partner = Partner.objects.create(
        tenant=home,
        name="peer",
        versions_url=f"{other_instance.url}/ocpi/peer/versions",
        token_to_them=token_a,
        pinned_version="" if version == "2.3.0" else version,
    )
    result = handshake.register_with_partner(partner=partner)
    assert result.succeeded, result.error
    partner.refresh_from_db()
    assert (partner.status, partner.version) == (PartnerStatus.REGISTERED, version)
    assert [(p.party_id, p.role) for p in partner.parties.all()] == [("PEE", "CPO")]
    theirs = their_view(other_instance, name)
    assert (theirs["status"], theirs["version"], theirs["parties"]) == ("REGISTERED", version, ["DE*HOM EMSP"])


def test_the_other_instance_registers_with_us(home, other_instance, client):
    at_home, token_a = issue_registration_token(tenant=home, partner_name="peer")
    output = other_instance.manage(
        "register_partner", "peer", "home", "--versions-url", home.versions_url, f"--token-a={token_a}", "--wait"
    )
    assert "registered with home in OCPI 2.3.0" in output
    at_home.refresh_from_db()
    assert (at_home.status, at_home.version) == (PartnerStatus.REGISTERED, "2.3.0")
    assert client.get("/ocpi/home/versions", **auth(token_a)).status_code == 401
    assert their_view(other_instance, "home")["status"] == "REGISTERED"
