"""Initial sync: a new connection is owed our complete current objects as PUTs and a full pull of theirs, as
its profile says; status changes meanwhile fold into the PUTs or wait for them."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from partners.models import PartnerStatus
from roaming.models import (
    Delivery,
    DeliveryStatus,
    Evse,
    InitialSync,
    Session,
    SyncState,
    Token,
)
from roaming.services import initialsync, locations, outbox
from tariffs.models import Tariff
from tests.factories import QUIET, connect, make_location, make_partner, make_tenant

pytestmark = pytest.mark.usefixtures("record_path")


def make_tariff(tenant, tariff_id):
    return Tariff.objects.create(
        tenant=tenant,
        country_code="NL",
        party_id="CPO",
        tariff_id=tariff_id,
        currency="EUR",
        elements=[{"price_components": [{"type": "ENERGY", "price": "0.30", "step_size": 1}]}],
        last_updated=QUIET,
    )


def owed(partner):
    return sorted(
        Delivery.objects.filter(partner=partner, status=DeliveryStatus.PENDING).values_list(
            "module", "object_path", "method"
        )
    )


def test_start_owes_one_put_per_object_the_partner_holds_of_ours_per_receiver_module(cpo_tenant, peer):
    for location_id in ("LOC1", "LOC2"):
        make_location(cpo_tenant, location_id)
    make_location(cpo_tenant, "HIDDEN", publish=False)  # publish=false, allowed to nobody: not theirs to hold
    other, _ = make_partner(cpo_tenant, "BE:OTH:CPO", name="other-cpo")
    make_location(cpo_tenant, "THEIRS", country_code="BE", party_id="OTH", partner=other)  # received, not ours
    make_location(make_tenant("elsewhere"), "ELSEWHERE")  # another tenant's
    make_tariff(cpo_tenant, "AC")
    partner = connect(cpo_tenant, peer)

    runs = initialsync.start(partner=partner, reason="test")

    assert owed(partner) == [
        ("locations", "NL/CPO/LOC1", "PUT"),
        ("locations", "NL/CPO/LOC2", "PUT"),
        ("tariffs", "NL/CPO/AC", "PUT"),
    ]
    assert sorted((r.direction, r.module, r.total) for r in runs) == [("PUSH", "locations", 2), ("PUSH", "tariffs", 1)]
    run = InitialSync.objects.get(module="locations")
    assert set(run.deliveries.values_list("object_path", flat=True)) == {"NL/CPO/LOC1", "NL/CPO/LOC2"}
    assert run.starts_at == run.created and run.finished is None and run.reason == "test"


def test_an_emsp_owes_a_cpo_its_tokens_and_a_cpo_owes_an_emsp_only_sessions_not_ended(emsp_tenant, cpo_tenant, peer):
    for uid, valid in (("T1", True), ("T2", False)):
        Token.objects.create(
            tenant=emsp_tenant,
            country_code="DE",
            party_id="EMS",
            uid=uid,
            type="RFID",
            contract_id=f"DE-EMS-{uid}",
            issuer="EMS",
            valid=valid,
            whitelist="ALLOWED",
            last_updated=QUIET,
        )
    cpo = connect(emsp_tenant, peer, receivers=("tokens",), name="cpo", parties=("NL:CPO:CPO",))
    initialsync.start(partner=cpo, reason="test")
    assert owed(cpo) == [("tokens", "DE/EMS/T1?type=RFID", "PUT"), ("tokens", "DE/EMS/T2?type=RFID", "PUT")]

    token = {"country_code": "DE", "party_id": "EMS", "uid": "T1", "type": "RFID", "contract_id": "DE-EMS-T1"}
    for session_id, status in (("S1", "ACTIVE"), ("S2", "COMPLETED"), ("S3", "PENDING")):
        Session.objects.create(
            tenant=cpo_tenant,
            country_code="NL",
            party_id="CPO",
            session_id=session_id,
            start_date_time=QUIET,
            kwh=0,
            cdr_token=token,
            auth_method="WHITELIST",
            location_id="LOC1",
            evse_uid="LOC1-0",
            connector_id="1",
            currency="EUR",
            status=status,
            last_updated=QUIET,
        )
    emsp = connect(cpo_tenant, peer, receivers=("sessions",))
    initialsync.start(partner=emsp, reason="test")
    assert owed(emsp) == [("sessions", "NL/CPO/S1", "PUT"), ("sessions", "NL/CPO/S3", "PUT")]


@pytest.mark.parametrize(
    "setting, pushed, pulled",
    [("BOTH", True, True), ("PUSH", True, False), ("PULL", False, True), ("NONE", False, False)],
)
def test_the_profile_says_whether_objects_are_pushed_and_senders_pulled(cpo_tenant, peer, setting, pushed, pulled):
    make_location(cpo_tenant, "LOC1")
    partner = connect(cpo_tenant, peer, senders=("tokens",), initial_sync=setting)

    runs = initialsync.start(partner=partner, reason="test")

    assert bool(owed(partner)) == pushed
    expected = {("PUSH", "locations"), ("PUSH", "tariffs")} if pushed else set()
    assert {(r.direction, r.module) for r in runs} == expected | ({("PULL", "tokens")} if pulled else set())
    assert SyncState.objects.get(partner=partner, module="tokens").full_resync_requested == pulled


def test_the_full_pull_is_queued_at_once(cpo_tenant, peer, eager, django_capture_on_commit_callbacks):
    partner = connect(cpo_tenant, peer, receivers=(), senders=("tokens",))
    peer.ok("/sender/tokens", [])
    with django_capture_on_commit_callbacks(execute=True):
        [run] = initialsync.start(partner=partner, reason="test")
    state = SyncState.objects.get(partner=partner)
    assert (state.last_completed_at is not None, state.full_resync_requested) == (True, False)
    assert "date_from=1970-01-01" in peer.requests[0]["path"]
    assert initialsync.progress([run])[0].state == "finished"
    assert initialsync.settle() == 1
    run.refresh_from_db()
    assert run.finished is not None and run.error == ""


def test_a_status_patch_while_its_location_put_is_pending_folds_into_the_put(cpo_tenant, peer):
    make_location(cpo_tenant, "LOC1")
    partner = connect(cpo_tenant, peer)
    initialsync.start(partner=partner, reason="test")

    evse = Evse.objects.get(uid="LOC1-0")
    locations.set_evse_status(evse=evse, status="CHARGING")
    locations.set_evse_status(evse=evse, status="BLOCKED")

    assert owed(partner) == [("locations", "NL/CPO/LOC1", "PUT")]
    assert Delivery.objects.get(object_path="NL/CPO/LOC1").changes == 3
    assert not Delivery.objects.filter(object_path__startswith="NL/CPO/LOC1/").exists()


def test_the_put_is_built_when_sent_so_it_carries_the_folded_status(cpo_tenant, peer):
    make_location(cpo_tenant, "LOC1")
    partner = connect(cpo_tenant, peer, receivers=("locations",))
    peer.ok("/locations/NL/CPO/LOC1", None)
    initialsync.start(partner=partner, reason="test")
    locations.set_evse_status(evse=Evse.objects.get(uid="LOC1-1"), status="CHARGING")

    put = Delivery.objects.get(object_path="NL/CPO/LOC1")
    assert outbox.deliver(delivery_id=put.pk).status == DeliveryStatus.DELIVERED

    [request] = peer.requests
    assert request["method"] == "PUT"
    import json

    body = json.loads(request["body"])
    assert [e["status"] for e in body["evses"]] == ["AVAILABLE", "CHARGING"]


def test_a_status_patch_while_the_put_is_being_sent_waits_for_it(cpo_tenant, peer):
    make_location(cpo_tenant, "LOC1")
    partner = connect(cpo_tenant, peer, receivers=("locations",))
    peer.ok("/locations/NL/CPO/LOC1", None)
    peer.ok("/locations/NL/CPO/LOC1/LOC1-0", None)
    initialsync.start(partner=partner, reason="test")
    put = Delivery.objects.get(object_path="NL/CPO/LOC1")
    Delivery.objects.filter(pk=put.pk).update(status=DeliveryStatus.SENDING)

    locations.set_evse_status(evse=Evse.objects.get(uid="LOC1-0"), status="CHARGING")
    patch = Delivery.objects.get(object_path="NL/CPO/LOC1/LOC1-0")
    assert (patch.method, patch.status, patch.initial_sync_id) == ("PATCH", DeliveryStatus.PENDING, None)

    waiting = outbox.deliver(delivery_id=patch.pk)
    assert waiting.status == "SKIPPED" and waiting.retry_at is not None
    assert peer.requests == []

    Delivery.objects.filter(pk=put.pk).update(status=DeliveryStatus.DELIVERED)
    Delivery.objects.filter(pk=patch.pk).update(next_attempt_at=timezone.now())
    assert outbox.deliver(delivery_id=patch.pk).status == DeliveryStatus.DELIVERED
    assert [(r["method"], r["path"]) for r in peer.requests] == [("PATCH", "/locations/NL/CPO/LOC1/LOC1-0")]


def test_a_location_put_waits_while_a_change_of_one_of_its_evses_is_being_sent(cpo_tenant, peer):
    make_location(cpo_tenant, "LOC1")
    partner = connect(cpo_tenant, peer, receivers=("locations",))
    with transaction.atomic():
        locations.set_evse_status(evse=Evse.objects.get(uid="LOC1-0"), status="CHARGING")
    Delivery.objects.filter(partner=partner).update(status=DeliveryStatus.SENDING)
    initialsync.start(partner=partner, reason="test")
    put = Delivery.objects.get(object_path="NL/CPO/LOC1")
    assert outbox.deliver(delivery_id=put.pk).status == "SKIPPED"
    assert peer.requests == []


def test_changes_pending_below_a_location_are_handed_over_to_its_initial_put(cpo_tenant, peer):
    make_location(cpo_tenant, "LOC1")
    make_location(cpo_tenant, "LOC2")
    partner = connect(cpo_tenant, peer, receivers=("locations",))
    locations.set_evse_status(evse=Evse.objects.get(uid="LOC1-0"), status="CHARGING")
    locations.set_evse_status(evse=Evse.objects.get(uid="LOC1-1"), status="CHARGING")
    locations.set_evse_status(evse=Evse.objects.get(uid="LOC1-1"), status="BLOCKED")

    initialsync.start(partner=partner, reason="test")

    assert owed(partner) == [("locations", "NL/CPO/LOC1", "PUT"), ("locations", "NL/CPO/LOC2", "PUT")]
    assert Delivery.objects.filter(status=DeliveryStatus.SUPERSEDED).count() == 2
    assert Delivery.objects.get(object_path="NL/CPO/LOC1").changes == 1 + 3


def test_a_change_recorded_beside_a_pending_put_unseen_is_handed_over_when_claimed(cpo_tenant, peer):
    """A PATCH recorded in the same moment as the PUT (neither transaction saw the other) is carried by it."""
    make_location(cpo_tenant, "LOC1")
    partner = connect(cpo_tenant, peer, receivers=("locations",))
    initialsync.start(partner=partner, reason="test")
    beside = Delivery.objects.create(
        tenant=cpo_tenant,
        partner=partner,
        module="locations",
        object_path="NL/CPO/LOC1/LOC1-0",
        method="PATCH",
        fields=["status"],
        next_attempt_at=timezone.now(),
    )
    assert outbox.deliver(delivery_id=beside.pk).status == "SKIPPED"
    beside.refresh_from_db()
    assert beside.status == DeliveryStatus.SUPERSEDED
    assert Delivery.objects.get(object_path="NL/CPO/LOC1").changes == 2
    assert peer.requests == []


def test_progress_counts_the_runs_deliveries_and_a_finished_run_keeps_its_counts(cpo_tenant, peer):
    for location_id in ("LOC1", "LOC2", "LOC3"):
        make_location(cpo_tenant, location_id)
    partner = connect(cpo_tenant, peer, receivers=("locations",))
    peer.ok("/locations/NL/CPO/LOC1", None)
    peer.ok("/locations/NL/CPO/LOC2", None)
    peer.fail("/locations/NL/CPO/LOC3", 2001, "city: too long")
    [run] = initialsync.start(partner=partner, reason="test")

    outbox.deliver(delivery_id=Delivery.objects.get(object_path="NL/CPO/LOC1").pk)
    [row] = initialsync.progress([run])
    assert (row.state, row.sent, row.total, row.pending, row.failed) == ("running", 1, 3, 2, 0)
    assert initialsync.settle() == 0

    for path in ("NL/CPO/LOC2", "NL/CPO/LOC3"):
        outbox.deliver(delivery_id=Delivery.objects.get(object_path=path).pk)
    assert initialsync.settle() == 1
    Delivery.objects.all().delete()  # pruned later: the run keeps what it counted
    run.refresh_from_db()
    [row] = initialsync.progress([run])
    assert (row.state, row.sent, row.failed, row.total) == ("failed", 2, 1, 3)
    assert row.error.startswith("1 of 3 failed; the last: OCPI 2001: city: too long")


def test_a_new_start_replaces_the_unfinished_runs_and_takes_over_their_pending_puts(cpo_tenant, peer):
    make_location(cpo_tenant, "LOC1")
    partner = connect(cpo_tenant, peer, receivers=("locations",))
    [first] = initialsync.start(partner=partner, reason="first")
    [second] = initialsync.start(partner=partner, reason="second")
    first.refresh_from_db()
    assert first.finished is not None and "replaced" in first.error
    put = Delivery.objects.get()
    assert (put.initial_sync_id, put.changes) == (second.pk, 2)
    assert [r.run.pk for r in initialsync.latest(tenant=cpo_tenant)[partner.pk]] == [second.pk]


def test_a_partner_that_is_not_registered_gets_nothing(cpo_tenant, peer):
    make_location(cpo_tenant, "LOC1")
    partner = connect(cpo_tenant, peer, receivers=("locations",), status=PartnerStatus.SUSPENDED)
    [run] = initialsync.start(partner=partner, reason="test")
    assert owed(partner) == []
    assert run.finished is not None and "suspended" in run.error


def test_what_is_owed_inside_the_connections_transaction_waits_its_moment(cpo_tenant, peer):
    make_location(cpo_tenant, "LOC1")
    partner = connect(cpo_tenant, peer, receivers=("locations",))
    with transaction.atomic():
        [run] = initialsync.owe(partner=partner, reason="registration", after=60)
    put = Delivery.objects.get()
    assert (put.object_path, put.method, put.initial_sync_id) == ("NL/CPO/LOC1", "PUT", run.pk)
    assert timedelta(seconds=59) < put.next_attempt_at - timezone.now() <= timedelta(seconds=60)
    waiting = outbox.deliver(delivery_id=put.pk)
    assert waiting.status == "SKIPPED" and waiting.retry_at >= put.next_attempt_at
    assert peer.requests == []
    # Meanwhile its status changes fold into the PUT, which is all the partner will get first.
    locations.set_evse_status(evse=Evse.objects.get(uid="LOC1-0"), status="CHARGING")
    assert owed(partner) == [("locations", "NL/CPO/LOC1", "PUT")]
