import json

import pytest
from django.core.management import CommandError, call_command

from partners.models import Party, Tenant


def run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("create_tenant", *args, stdout=out)
    return out.getvalue().strip()


def test_creates_tenant_with_parties_and_prints_versions_url(db, settings):
    settings.OCPI_BASE_URL = "https://roam.example.com"
    output = run("acme", "--name", "Acme", "--party", "NL:ACM:CPO", "--party", "NL:ACM:EMSP")
    assert output == "https://roam.example.com/ocpi/acme/versions"
    tenant = Tenant.objects.get(slug="acme")
    assert sorted(Party.objects.for_tenant(tenant).values_list("role", flat=True)) == ["CPO", "EMSP"]


def test_is_idempotent_and_updates_the_name(db):
    run("acme", "--name", "Acme", "--party", "NL:ACM:CPO")
    run("acme", "--name", "Acme Energy", "--party", "nl:acm:cpo")
    tenant = Tenant.objects.get(slug="acme")
    assert tenant.name == "Acme Energy"
    assert Party.objects.for_tenant(tenant).count() == 1


def test_json_output_lists_parties(db):
    data = json.loads(run("acme", "--name", "Acme", "--party", "NL:ACM:CPO", "--json"))
    assert data["slug"] == "acme"
    assert data["parties"] == [{"country_code": "NL", "party_id": "ACM", "role": "CPO"}]


@pytest.mark.parametrize("party", ["NL:ACM", "NL:ACM:KING", "NLD:ACM:CPO", "NL:AC:CPO"])
def test_bad_party_is_refused_and_nothing_created(db, party):
    with pytest.raises(CommandError):
        run("acme", "--name", "Acme", "--party", party)
    assert not Tenant.objects.filter(slug="acme").exists()
