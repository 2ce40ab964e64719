"""A full pull of a list the chapter says replaces what the client holds (mod_tariffs GET) removes what the
partner no longer lists; an incremental pull never does."""

import pytest

from partners.models import PartnerEndpoint
from roaming.ocpi.dialects import get_dialect
from roaming.services import sync
from tariffs.models import Tariff
from tariffs.services import put_tariff
from tests.bodies import TARIFF
from tests.factories import make_partner


def wire(tariff_id):
    return {**TARIFF, "id": tariff_id}


@pytest.fixture
def state(emsp_tenant, peer):
    partner, _ = make_partner(emsp_tenant, "NL:CPO:CPO", name="cpo", token_to_them="t")
    PartnerEndpoint.objects.create(
        tenant=emsp_tenant, partner=partner, identifier="tariffs", role="SENDER", url=f"{peer.url}/tariffs"
    )
    return sync.ensure_sync_states(partner=partner)[0]


def listing(peer, *ids):
    peer.ok("/tariffs", [wire(i) for i in ids], headers={"X-Total-Count": str(len(ids))})


def test_a_full_pull_removes_tariffs_the_partner_no_longer_lists(state, peer):
    listing(peer, "T1", "T2")
    assert sync.pull(state_id=state.pk, full=True).objects == 2
    listing(peer, "t1")  # ids compare case-insensitively
    result = sync.pull(state_id=state.pk, full=True)
    assert (result.complete, result.pruned) == (True, 1)
    assert list(Tariff.objects.values_list("tariff_id", flat=True)) == ["T1"]


def test_an_incremental_pull_removes_nothing(state, peer):
    listing(peer, "T1", "T2")
    sync.pull(state_id=state.pk, full=True)
    listing(peer, "T1")
    assert sync.pull(state_id=state.pk).pruned == 0
    assert Tariff.objects.count() == 2


def test_a_full_pull_that_fails_removes_nothing(state, peer):
    listing(peer, "T1", "T2")
    sync.pull(state_id=state.pk, full=True)
    peer.ok("/tariffs", [wire("T1")], headers={"Link": '<{base}/tariffs/broken>; rel="next"'})
    peer.routes["/tariffs/broken"] = (500, {}, "down")
    result = sync.pull(state_id=state.pk, full=True)
    assert not result.complete and result.pruned == 0
    assert Tariff.objects.count() == 2


def test_tariffs_of_other_partners_and_own_tariffs_stay(state, peer, emsp_tenant):
    other, _ = make_partner(emsp_tenant, "DE:OTH:CPO", name="other")
    data = get_dialect("2.2.1").module("tariffs").from_wire({**wire("X"), "country_code": "DE", "party_id": "OTH"})
    put_tariff(tenant=emsp_tenant, partner=other, country_code="DE", party_id="OTH", tariff_id="X", data=data)
    listing(peer, "T1")
    sync.pull(state_id=state.pk, full=True)
    assert sorted(Tariff.objects.values_list("tariff_id", flat=True)) == ["T1", "X"]
