"""export_objects: a tenant's objects of a module in the internal normalized form, as operators compare them."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from roaming.services.export import export_objects
from tests.factories import make_partner, own_location, own_token

pytestmark = pytest.mark.django_db


def test_a_location_comes_with_its_evses_and_connectors_and_no_bookkeeping(cpo_tenant):
    own_location(cpo_tenant)
    [row] = export_objects(tenant=cpo_tenant, module="locations")
    assert (row["partner"], row["country_code"], row["party_id"], row["location_id"]) == (None, "NL", "CPO", "LOC1")
    assert [evse["uid"] for evse in row["evses"]] == ["3256", "3257"]
    assert [c["connector_id"] for c in row["evses"][0]["connectors"]] == ["1", "2"]
    assert not {"id", "tenant", "revision", "position"} & (set(row) | set(row["evses"][0]))
    assert row["last_updated"] == "2015-06-29T20:39:09+00:00"


def test_only_objects_received_from_the_named_partner(emsp_tenant):
    partner, _ = make_partner(emsp_tenant, "NL:CPO:CPO", name="cpo-partner")
    own_token(emsp_tenant)
    assert export_objects(tenant=emsp_tenant, module="tokens", partner_name="cpo-partner") == []
    [row] = export_objects(tenant=emsp_tenant, module="tokens")
    assert (row["partner"], row["uid"], row["valid"]) == (None, "012345678", True)


def test_the_command_prints_json_and_a_summary(cpo_tenant):
    own_location(cpo_tenant)
    out = StringIO()
    call_command("export_objects", "cpo", "locations", "--json", stdout=out)
    assert [row["location_id"] for row in json.loads(out.getvalue())] == ["LOC1"]
    out = StringIO()
    call_command("export_objects", "cpo", "locations", stdout=out)
    assert out.getvalue().splitlines() == ["NL CPO LOC1 (from own)", "1 locations"]


def test_all_prints_every_module_keyed_by_module(cpo_tenant):
    own_location(cpo_tenant)
    out = StringIO()
    call_command("export_objects", "cpo", "all", "--json", stdout=out)
    dumps = json.loads(out.getvalue())
    assert list(dumps) == ["locations", "tariffs", "sessions", "cdrs", "tokens", "commands"]
    assert [row["location_id"] for row in dumps["locations"]] == ["LOC1"] and dumps["tokens"] == []
