"""The partner page's Resync button: an initial sync now, for the operator's own partners only, with its
progress shown on the page; partner_status --json reports the same."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from partners.models import PartnerEndpoint
from roaming.models import Delivery, DeliveryStatus, InitialSync
from tests.factories import make_location, make_partner, make_tenant

pytestmark = pytest.mark.usefixtures("eager")


def receiving(tenant, name):
    partner, _ = make_partner(tenant, name=name, token_to_them="t")
    PartnerEndpoint.objects.create(
        tenant=tenant, partner=partner, identifier="locations", role="RECEIVER", url="https://them.example.com/loc"
    )
    return partner


def test_resync_pushes_the_current_locations_and_the_page_shows_the_progress(cpo_operator, cpo_tenant):
    for location_id in ("LOC1", "LOC2"):
        make_location(cpo_tenant, location_id)
    partner = receiving(cpo_tenant, "emsp")

    response = cpo_operator.post(f"/admin/partners/partner/{partner.pk}/resync/", follow=True)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Resync started as their initial sync setting says (push them our objects and pull theirs)" in page
    assert sorted(Delivery.objects.filter(partner=partner).values_list("object_path", "method")) == [
        ("NL/CPO/LOC1", "PUT"),
        ("NL/CPO/LOC2", "PUT"),
    ]
    [run] = InitialSync.objects.filter(partner=partner)
    assert run.reason == "resync by op"
    assert 'id="initial-syncs"' in page and "0 / 2 sent, 2 to go" in page

    Delivery.objects.filter(partner=partner, object_path="NL/CPO/LOC1").update(status=DeliveryStatus.DELIVERED)
    page = cpo_operator.get(f"/admin/partners/partner/{partner.pk}/change/").content.decode()
    assert "1 / 2 sent, 1 to go" in page


def test_resync_of_another_tenants_partner_is_refused_and_starts_nothing(cpo_operator):
    other = make_tenant("other", "BE:OTH:CPO")
    make_location(other, "THEIRS", country_code="BE", party_id="OTH")
    theirs = receiving(other, "their-emsp")
    assert cpo_operator.post(f"/admin/partners/partner/{theirs.pk}/resync/").status_code == 403
    assert not InitialSync.objects.exists() and not Delivery.objects.exists()


def test_resync_is_a_post_only(cpo_operator, cpo_tenant):
    partner = receiving(cpo_tenant, "emsp")
    assert cpo_operator.get(f"/admin/partners/partner/{partner.pk}/resync/").status_code == 403
    assert not InitialSync.objects.exists()


def test_resync_with_initial_sync_off_sends_nothing(cpo_operator, cpo_tenant):
    make_location(cpo_tenant, "LOC1")
    partner = receiving(cpo_tenant, "emsp")
    partner.initial_sync = "NONE"
    partner.save()
    page = cpo_operator.post(f"/admin/partners/partner/{partner.pk}/resync/", follow=True).content.decode()
    assert "nothing until the scheduled pull" in page
    assert not Delivery.objects.exists()


def test_partner_status_json_reports_the_initial_sync_progress(cpo_tenant):
    from roaming.services import initialsync

    for location_id in ("LOC1", "LOC2", "LOC3"):
        make_location(cpo_tenant, location_id)
    partner = receiving(cpo_tenant, "emsp")
    initialsync.start(partner=partner, reason="test")
    Delivery.objects.filter(object_path="NL/CPO/LOC1").update(status=DeliveryStatus.DELIVERED)
    Delivery.objects.filter(object_path="NL/CPO/LOC2").update(status=DeliveryStatus.FAILED, last_error="HTTP 400")

    out = StringIO()
    call_command("partner_status", "cpo", "--json", stdout=out)
    [row] = json.loads(out.getvalue())
    [run] = row["initial_sync"]
    assert {k: run[k] for k in ("direction", "module", "state", "total", "sent", "failed", "pending")} == {
        "direction": "push",
        "module": "locations",
        "state": "running",
        "total": 3,
        "sent": 1,
        "failed": 1,
        "pending": 1,
    }

    Delivery.objects.filter(object_path="NL/CPO/LOC3").update(status=DeliveryStatus.DELIVERED)
    initialsync.settle()
    out = StringIO()
    call_command("partner_status", "cpo", "--json", stdout=out)
    [run] = json.loads(out.getvalue())[0]["initial_sync"]
    assert (run["state"], run["sent"], run["failed"], run["pending"]) == ("failed", 2, 1, 0)
    assert run["error"] == "1 of 3 failed; the last: HTTP 400" and run["finished"] is not None
