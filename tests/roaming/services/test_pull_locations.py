"""Pulled pages of locations are written in bulk: new inserted, changed updated, unchanged left alone,
invalid objects refused one by one, outbox rows only where a hub passes things on."""

import copy

import pytest

from partners.models import PartnerEndpoint
from roaming.models import Connector, Delivery, Evse, Location
from roaming.ocpi.dialects import get_dialect
from roaming.services import locations, sync
from tests.factories import make_partner, make_tenant
from tests.spec_examples import example_221

DIALECT = get_dialect("2.2.1")


def wire(location_id: str, **changes) -> dict:
    body = {**copy.deepcopy(example_221("location_example.json")), "country_code": "NL", "party_id": "CPO"}
    return {**body, "id": location_id, **changes}


@pytest.fixture
def cpo(emsp_tenant):
    partner, _ = make_partner(emsp_tenant, "NL:CPO:CPO", name="cpo", token_to_them="t")
    return partner


def stored(tenant, location_id):
    return Location.objects.for_tenant(tenant).get(location_id=location_id)


def test_a_page_inserts_new_updates_changed_leaves_unchanged_and_refuses_the_invalid(emsp_tenant, cpo):
    locations.ingest_page(cpo, DIALECT, [wire("SAME"), wire("OLD")])
    same, old = stored(emsp_tenant, "SAME"), stored(emsp_tenant, "OLD")
    same_evses = list(Evse.objects.filter(location=same).values_list("pk", flat=True))
    changed = wire("OLD", name="Renamed", last_updated="2026-06-01T00:00:00Z")
    changed["evses"][0]["status"] = "CHARGING"
    invalid = {k: v for k, v in wire("BAD").items() if k != "address"}

    result = locations.ingest_page(cpo, DIALECT, [wire("SAME"), changed, wire("NEW"), invalid])

    assert result.objects == 3
    assert len(result.refused) == 1 and "'BAD'" in result.refused[0] and "address" in result.refused[0]
    assert not Location.objects.filter(location_id="BAD").exists()
    new = stored(emsp_tenant, "NEW")
    assert (new.partner_id, new.revision, new.city) == (cpo.pk, 1, "Gent")
    assert list(Evse.objects.filter(location=new).values_list("uid", "position")) == [("3256", 0), ("3257", 1)]
    assert Connector.objects.filter(evse__location=new).count() == 3
    renamed = stored(emsp_tenant, "OLD")
    assert (renamed.name, renamed.revision) == ("Renamed", old.revision + 1)
    assert renamed.last_updated.isoformat() == "2026-06-01T00:00:00+00:00"
    assert list(Evse.objects.filter(location=renamed).values_list("uid", "status")) == [
        ("3256", "CHARGING"),
        ("3257", "RESERVED"),
    ]
    assert stored(emsp_tenant, "SAME").revision == same.revision
    assert list(Evse.objects.filter(location=same).values_list("pk", flat=True)) == same_evses


def test_a_location_changed_only_in_its_own_fields_keeps_its_evse_rows(emsp_tenant, cpo):
    locations.ingest_page(cpo, DIALECT, [wire("L1")])
    evses = list(Evse.objects.filter(location__location_id="L1").values_list("pk", flat=True))
    locations.ingest_page(cpo, DIALECT, [wire("L1", city="Antwerpen")])
    assert stored(emsp_tenant, "L1").city == "Antwerpen"
    assert list(Evse.objects.filter(location__location_id="L1").values_list("pk", flat=True)) == evses


def test_ids_match_case_insensitively_and_the_last_of_a_page_wins(emsp_tenant, cpo):
    locations.ingest_page(cpo, DIALECT, [wire("Loc1")])
    result = locations.ingest_page(cpo, DIALECT, [wire("LOC1", city="Ghent"), wire("loc1", city="Liege")])
    assert result.objects == 2
    assert list(Location.objects.values_list("location_id", "city")) == [("Loc1", "Liege")]


def test_an_object_of_a_party_the_partner_does_not_speak_for_is_refused(emsp_tenant, cpo):
    result = locations.ingest_page(cpo, DIALECT, [wire("L1", party_id="XXX"), wire("L2")])
    assert result.objects == 1 and "XXX" in result.refused[0]
    assert list(Location.objects.values_list("location_id", flat=True)) == ["L2"]


def test_a_tenant_that_is_no_hub_owes_nobody_what_it_pulled(emsp_tenant, cpo):
    other, _ = make_partner(emsp_tenant, "FR:OTH:CPO", name="other")
    PartnerEndpoint.objects.create(
        tenant=emsp_tenant, partner=other, identifier="locations", role="RECEIVER", url="http://x/locations"
    )
    locations.ingest_page(cpo, DIALECT, [wire("L1")])
    assert Delivery.objects.count() == 0


def test_a_hub_passes_on_new_and_changed_locations_but_not_unchanged_ones_nor_back_to_the_source(db):
    hub = make_tenant("hub", "DE:HUB:HUB", "DE:EMS:EMSP")
    source, _ = make_partner(hub, "NL:CPO:CPO", name="source", token_to_them="t")
    downstream, _ = make_partner(hub, "FR:DWN:EMSP", name="downstream")
    for partner in (source, downstream):
        PartnerEndpoint.objects.create(
            tenant=hub, partner=partner, identifier="locations", role="RECEIVER", url="http://x/locations"
        )
    locations.ingest_page(source, DIALECT, [wire("SAME"), wire("OLD")])
    Delivery.objects.all().delete()

    locations.ingest_page(source, DIALECT, [wire("SAME"), wire("OLD", name="Renamed"), wire("NEW")])

    assert sorted(Delivery.objects.values_list("partner__name", "object_path", "method")) == [
        ("downstream", "NL/CPO/NEW", "PUT"),
        ("downstream", "NL/CPO/OLD", "PUT"),
    ]


def test_sync_pull_writes_pages_in_bulk_and_counts_the_refused(emsp_tenant, cpo, peer):
    PartnerEndpoint.objects.create(
        tenant=emsp_tenant, partner=cpo, identifier="locations", role="SENDER", url=f"{peer.url}/locations"
    )
    peer.ok("/locations", [wire("L1"), {"id": "BROKEN"}], headers={"Link": '<{base}/locations/2>; rel="next"'})
    peer.ok("/locations/2", [wire("L2")])
    [state] = sync.ensure_sync_states(partner=cpo)

    result = sync.pull(state_id=state.pk)

    assert (result.complete, result.pages, result.objects, result.rejected) == (True, 2, 2, 1)
    assert sorted(Location.objects.values_list("location_id", flat=True)) == ["L1", "L2"]
    state.refresh_from_db()
    assert (state.last_objects, state.last_rejected) == (2, 1)


def _queries_of_a_page(partner, wires) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        locations.ingest_page(partner, DIALECT, wires)
    return len(queries)


def test_a_page_costs_the_same_queries_whatever_its_size(emsp_tenant, cpo):
    small = [wire(f"S{n}") for n in range(2)]
    large = [wire(f"L{n}") for n in range(40)]
    assert _queries_of_a_page(cpo, small) == _queries_of_a_page(cpo, large)
    assert _queries_of_a_page(cpo, small) == _queries_of_a_page(cpo, large)  # unchanged
    changed = [wire(f"S{n}", name="new") for n in range(2)], [wire(f"L{n}", name="new") for n in range(40)]
    assert _queries_of_a_page(cpo, changed[0]) == _queries_of_a_page(cpo, changed[1])
