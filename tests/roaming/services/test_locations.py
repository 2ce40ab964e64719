"""The locations services called directly: selectors (find, owned_by, visible_to), writes (PUT, PATCH, status
changes) and ingest of what partners send, each asserting what is stored and what the call answers."""

import copy
from datetime import UTC, datetime

import pytest

from partners.models import PartnerEndpoint
from roaming.errors import Invalid, StaleWrite, UnknownLocation
from roaming.models import Connector, Delivery, Evse, Location
from roaming.ocpi.dialects import get_dialect
from roaming.services import locations
from tests.bodies import LOCATION
from tests.factories import QUIET, make_location, make_partner, make_tenant, own_location

V221, V211 = get_dialect("2.2.1"), get_dialect("2.1.1")
OWNER = {"country_code": "NL", "party_id": "CPO"}


def internal(location_id: str = "LOC1", **changes) -> dict:
    """The spec's example location (NL*CPO) as the services take it, with `changes` to its wire form."""
    return V221.module("locations").from_wire({**copy.deepcopy(LOCATION), "id": location_id, **changes})


def put(tenant, location_id: str = "LOC1", **changes) -> locations.Change:
    return locations.put_location(
        tenant=tenant, partner=None, **OWNER, location_id=location_id, data=internal(location_id, **changes)
    )


# -- selectors ---------------------------------------------------------------------------------------------------


def test_find_answers_the_location_evse_or_connector_whatever_the_case_of_their_ids(cpo_tenant):
    own_location(cpo_tenant)
    owned = locations.owned_by(tenant=cpo_tenant, **OWNER)

    location = locations.find(owned, location_id="loc1")
    evse = locations.find(owned, location_id="Loc1", evse_uid="3257")
    connector = locations.find(owned, location_id="LOC1", evse_uid="3256", connector_id="2")

    assert (type(location), location.location_id) == (Location, "LOC1")
    assert (type(evse), evse.uid, evse.status) == (Evse, "3257", "RESERVED")
    assert (type(connector), connector.connector_id, connector.evse.uid) == (Connector, "2", "3256")


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ({"location_id": "NOPE"}, "Unknown location 'NOPE'"),
        ({"location_id": "LOC1", "evse_uid": "9999"}, "Location 'LOC1' has no EVSE '9999'"),
        ({"location_id": "LOC1", "evse_uid": "3257", "connector_id": "7"}, "EVSE '3257' has no connector '7'"),
    ],
)
def test_find_of_a_missing_object_is_an_unknown_location_naming_it(cpo_tenant, address, message):
    own_location(cpo_tenant)
    with pytest.raises(UnknownLocation) as raised:
        locations.find(locations.owned_by(tenant=cpo_tenant, **OWNER), **address)
    assert raised.value.message == message


def test_owned_by_holds_one_owners_locations_of_one_tenant(cpo_tenant):
    other_tenant = make_tenant("other", "NL:CPO:CPO")
    make_location(cpo_tenant, "MINE")
    make_location(cpo_tenant, "THEIRS", country_code="BE", party_id="ABC")
    make_location(other_tenant, "ELSEWHERE")

    owned = locations.owned_by(tenant=cpo_tenant, country_code="nl", party_id="cpo")

    assert list(owned.values_list("location_id", flat=True)) == ["MINE"]


def test_a_partner_lists_published_locations_and_in_2_2_1_those_published_to_some(cpo_tenant):
    partner, _ = make_partner(cpo_tenant, "DE:EMS:EMSP")
    make_location(cpo_tenant, "PUBLIC")
    make_location(cpo_tenant, "HIDDEN", publish=False)
    make_location(cpo_tenant, "SOME", publish=False)
    Location.objects.filter(location_id="SOME").update(publish_allowed_to=[{"uid": "U1", "type": "RFID"}])
    make_location(cpo_tenant, "RECEIVED", partner=partner)

    def listed(dialect):
        return sorted(
            locations.visible_to(tenant=cpo_tenant, partner=partner, dialect=dialect).values_list(
                "location_id", flat=True
            )
        )

    assert listed(V221) == ["PUBLIC", "SOME"]
    assert listed(V211) == ["PUBLIC"]


# -- writes --------------------------------------------------------------------------------------------------------


def test_a_put_creates_then_replaces_the_location_with_its_evse_list(cpo_tenant):
    first = put(cpo_tenant)
    created = Location.objects.get(location_id="LOC1")
    one_evse = internal()
    one_evse["evses"] = one_evse["evses"][1:]

    second = locations.put_location(
        tenant=cpo_tenant, partner=None, **OWNER, location_id="loc1", data={**one_evse, "location_id": "loc1"}
    )

    assert (first.created, first.level, first.object_path) == (True, "location", "NL/CPO/LOC1")
    assert (second.created, second.object_path) == (False, "NL/CPO/LOC1")
    replaced = Location.objects.get(pk=created.pk)
    assert replaced.revision == created.revision + 1
    assert list(replaced.evses.values_list("uid", flat=True)) == ["3257"]
    assert Connector.objects.filter(evse__location=replaced).count() == 1


def test_a_put_whose_body_names_another_id_than_the_url_is_invalid_and_stores_nothing(cpo_tenant):
    with pytest.raises(Invalid) as raised:
        locations.put_location(tenant=cpo_tenant, partner=None, **OWNER, location_id="LOC2", data=internal("LOC1"))
    assert (raised.value.field, raised.value.message) == ("id", "id: 'LOC1' in the body differs from 'LOC2' in the URL")
    assert not Location.objects.exists()


def test_an_evse_patch_changes_the_evse_and_moves_its_location_along(cpo_tenant):
    make_location(cpo_tenant, "LOC1")
    before = Location.objects.get()
    stamp = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)

    change = locations.patch(
        tenant=cpo_tenant,
        partner=None,
        **OWNER,
        location_id="loc1",
        evse_uid="loc1-0",
        fields={"status": "CHARGING", "last_updated": stamp},
    )

    assert (change.created, change.level, change.object_path) == (False, "evse", "NL/CPO/LOC1/LOC1-0")
    evse = Evse.objects.get(uid="LOC1-0")
    assert (evse.status, evse.last_updated) == ("CHARGING", stamp)
    after = Location.objects.get()
    assert (after.last_updated, after.revision) == (stamp, before.revision + 1)
    assert Evse.objects.get(uid="LOC1-1").status == "AVAILABLE"


def test_a_patch_older_than_what_is_stored_is_stale_and_changes_nothing(cpo_tenant):
    make_location(cpo_tenant, "LOC1")
    before = Location.objects.get()

    with pytest.raises(StaleWrite):
        locations.patch(
            tenant=cpo_tenant,
            partner=None,
            **OWNER,
            location_id="LOC1",
            evse_uid="LOC1-0",
            fields={"status": "CHARGING", "last_updated": datetime(2025, 1, 1, tzinfo=UTC)},
        )

    assert Evse.objects.get(uid="LOC1-0").status == "AVAILABLE"
    after = Location.objects.get()
    assert (after.last_updated, after.revision) == (QUIET, before.revision)


def test_a_patch_of_a_missing_connector_is_an_unknown_location_and_takes_the_parents_bumps_back(cpo_tenant):
    make_location(cpo_tenant, "LOC1")
    before = Location.objects.get()

    with pytest.raises(UnknownLocation) as raised:
        locations.patch(
            tenant=cpo_tenant,
            partner=None,
            **OWNER,
            location_id="LOC1",
            evse_uid="LOC1-0",
            connector_id="9",
            fields={"max_amperage": 10},
        )

    assert raised.value.message == "EVSE 'LOC1-0' of location 'LOC1' has no connector '9'"
    after = Location.objects.get()
    assert (after.last_updated, after.revision) == (QUIET, before.revision)
    assert Evse.objects.get(uid="LOC1-0").last_updated == QUIET


def test_an_own_evse_status_change_owes_each_listening_partner_one_patch(cpo_tenant):
    partner, _ = make_partner(cpo_tenant, "DE:EMS:EMSP")
    PartnerEndpoint.objects.create(
        tenant=cpo_tenant, partner=partner, identifier="locations", role="RECEIVER", url="https://emsp.example/loc"
    )
    make_location(cpo_tenant, "LOC1")
    evse = Evse.objects.get(uid="LOC1-1")

    change = locations.set_evse_status(evse=evse, status="OUTOFORDER")
    locations.set_evse_status(evse=evse, status="AVAILABLE")

    assert change.object_path == "NL/CPO/LOC1/LOC1-1"
    assert Evse.objects.get(pk=evse.pk).status == "AVAILABLE"
    owed = Delivery.objects.get()
    assert (owed.partner_id, owed.method, owed.object_path, owed.fields, owed.changes) == (
        partner.pk,
        "PATCH",
        "NL/CPO/LOC1/LOC1-1",
        ["status"],
        2,
    )


# -- ingest ------------------------------------------------------------------------------------------------------


@pytest.fixture
def cpo(emsp_tenant):
    """The eMSP tenant's CPO partner (NL*CPO), whose locations it pulls."""
    partner, _ = make_partner(emsp_tenant, "NL:CPO:CPO", name="cpo")
    return partner


def test_one_pulled_location_is_stored_as_the_partners(emsp_tenant, cpo):
    change = locations.ingest(cpo, V221, {**copy.deepcopy(LOCATION), "id": "PULLED"})

    assert (change.created, change.object_path) == (True, "NL/CPO/PULLED")
    stored = Location.objects.for_tenant(emsp_tenant).get()
    assert (stored.partner_id, stored.location_id, stored.evses.count()) == (cpo.pk, "PULLED", 2)


def test_a_pulled_page_refuses_alone_a_location_of_a_party_the_partner_does_not_speak_for(emsp_tenant, cpo):
    foreign = {**copy.deepcopy(LOCATION), "id": "FOREIGN", "country_code": "BE", "party_id": "XYZ"}

    result = locations.ingest_page(cpo, V221, [{**copy.deepcopy(LOCATION), "id": "OURS"}, foreign])
    again = locations.ingest_page(cpo, V221, [{**copy.deepcopy(LOCATION), "id": "OURS"}])

    assert result.objects == 1
    assert len(result.refused) == 1 and "'FOREIGN'" in result.refused[0] and "BE*XYZ" in result.refused[0]
    stored = Location.objects.for_tenant(emsp_tenant).get()
    assert (stored.location_id, stored.revision) == ("OURS", 1)
    assert (again.objects, again.refused, Location.objects.get().revision) == (1, [], 1)  # unchanged: not written
