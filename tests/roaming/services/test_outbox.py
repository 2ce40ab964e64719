"""The outbox: deliveries recorded with the change, folded per object, sent with the newest state, retried."""

import json
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from partners.models import PartnerEndpoint, PartnerStatus
from roaming.models import Delivery, DeliveryStatus
from roaming.services import outbox
from tests.factories import make_partner
from tests.roaming.testobjects import MODULE, STATE, change

pytestmark = pytest.mark.usefixtures("record_path")


@pytest.fixture(autouse=True)
def no_objects_yet(eager):
    STATE.clear()


def receiving_partner(tenant, peer, name, **kwargs):
    partner, _ = make_partner(tenant, name=name, token_to_them="their-token", **kwargs)
    PartnerEndpoint.objects.create(
        tenant=tenant, partner=partner, identifier=MODULE, role="RECEIVER", url=f"{peer.url}/things"
    )
    return partner


def test_one_delivery_per_registered_partner_with_the_receiver_endpoint(cpo_tenant, peer):
    a = receiving_partner(cpo_tenant, peer, "a")
    receiving_partner(cpo_tenant, peer, "pending", status=PartnerStatus.PENDING)
    make_partner(cpo_tenant, name="no-endpoint")
    change(cpo_tenant)
    assert list(Delivery.objects.values_list("partner", flat=True)) == [a.pk]


def test_the_partner_that_sent_the_change_gets_no_echo(cpo_tenant, peer):
    a = receiving_partner(cpo_tenant, peer, "a")
    with transaction.atomic():
        outbox.record_change(tenant=cpo_tenant, module=MODULE, object_path="x", method="PUT", exclude_partner_id=a.pk)
    assert not Delivery.objects.exists()


def test_a_burst_of_changes_folds_into_one_pending_delivery(cpo_tenant, peer):
    receiving_partner(cpo_tenant, peer, "a")
    for _ in range(100):
        change(cpo_tenant, method="PATCH", fields=["status"])
    delivery = Delivery.objects.get()
    assert delivery.changes == 100
    assert delivery.status == DeliveryStatus.PENDING


def test_patches_fold_their_fields_and_a_put_covers_them(cpo_tenant, peer):
    receiving_partner(cpo_tenant, peer, "a")
    change(cpo_tenant, method="PATCH", fields=["status"])
    change(cpo_tenant, method="PATCH", fields=["last_updated", "status"])
    assert Delivery.objects.get().fields == ["last_updated", "status"]
    change(cpo_tenant, method="PUT")
    change(cpo_tenant, method="PATCH", fields=["status"])
    delivery = Delivery.objects.get()
    assert (delivery.method, delivery.fields) == ("PUT", [])


def test_after_commit_the_current_state_is_sent(cpo_tenant, peer, django_capture_on_commit_callbacks):
    partner = receiving_partner(cpo_tenant, peer, "a")
    peer.ok("/things/NL/CPO/1", None)
    STATE["NL/CPO/1"] = {"id": "1", "status": "AVAILABLE"}
    with django_capture_on_commit_callbacks(execute=True):
        change(cpo_tenant)
    STATE["NL/CPO/1"]["status"] = "CHARGING"
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert peer.requests[0]["method"] == "PUT"
    assert peer.requests[0]["body"] == b'{"id": "1", "status": "AVAILABLE"}'
    partner.refresh_from_db()
    assert partner.last_contact_at is not None


def test_payload_is_built_at_send_time_so_the_newest_state_wins(cpo_tenant, peer):
    receiving_partner(cpo_tenant, peer, "a")
    peer.ok("/things/NL/CPO/1", None)
    STATE["NL/CPO/1"] = {"status": "AVAILABLE"}
    recorded = change(cpo_tenant)
    STATE["NL/CPO/1"] = {"status": "CHARGING"}
    change(cpo_tenant)
    outbox.deliver(delivery_id=recorded.created[0])
    assert len(peer.requests) == 1
    assert b"CHARGING" in peer.requests[0]["body"]


def test_server_error_schedules_a_retry_with_backoff(cpo_tenant, peer):
    receiving_partner(cpo_tenant, peer, "a")
    peer.routes["/things/NL/CPO/1"] = (503, {}, "down")
    STATE["NL/CPO/1"] = {"status": "AVAILABLE"}
    delivery_id = change(cpo_tenant).created[0]
    outcome = outbox.deliver(delivery_id=delivery_id)
    delivery = Delivery.objects.get()
    assert outcome.status == DeliveryStatus.PENDING
    assert delivery.attempts == 1 and delivery.last_http_status == 503
    assert delivery.next_attempt_at > timezone.now()


def test_retry_after_of_a_429_is_honoured(cpo_tenant, peer):
    receiving_partner(cpo_tenant, peer, "a")
    peer.routes["/things/NL/CPO/1"] = (429, {"Retry-After": "120"}, "slow down")
    STATE["NL/CPO/1"] = {}
    outbox.deliver(delivery_id=change(cpo_tenant).created[0])
    delay = Delivery.objects.get().next_attempt_at - timezone.now()
    assert timedelta(seconds=115) < delay <= timedelta(seconds=120)


def test_client_error_code_fails_without_retry_and_keeps_the_answer(cpo_tenant, peer):
    receiving_partner(cpo_tenant, peer, "a")
    peer.fail("/things/NL/CPO/1", 2001, "status: unknown value")
    STATE["NL/CPO/1"] = {}
    outbox.deliver(delivery_id=change(cpo_tenant).created[0])
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_status_code == 2001
    assert "status: unknown value" in delivery.last_error


def test_retries_stop_at_the_horizon(cpo_tenant, peer, settings):
    settings.PUSH_RETRY_HORIZON_SECONDS = 1
    receiving_partner(cpo_tenant, peer, "a")
    peer.routes["/things/NL/CPO/1"] = (500, {}, "down")
    STATE["NL/CPO/1"] = {}
    outbox.deliver(delivery_id=change(cpo_tenant).created[0])
    assert Delivery.objects.get().status == DeliveryStatus.FAILED


def test_a_delivery_is_not_sent_while_an_earlier_one_of_the_object_is_in_flight(cpo_tenant, peer):
    receiving_partner(cpo_tenant, peer, "a")
    first = Delivery.objects.get(pk=change(cpo_tenant).created[0])
    first.status = DeliveryStatus.SENDING
    first.save()
    second_id = change(cpo_tenant).created[0]
    outcome = outbox.deliver(delivery_id=second_id)
    assert outcome.status == "SKIPPED" and outcome.retry_at is not None
    assert peer.requests == []


def test_sweep_requeues_due_and_stale_deliveries(cpo_tenant, peer, settings):
    receiving_partner(cpo_tenant, peer, "a")
    peer.ok("/things/NL/CPO/1", None)
    peer.ok("/things/NL/CPO/2", None)
    STATE.update({"NL/CPO/1": {"n": 1}, "NL/CPO/2": {"n": 2}})
    due = change(cpo_tenant, "NL/CPO/1").created[0]
    stale = Delivery.objects.get(pk=change(cpo_tenant, "NL/CPO/2").created[0])
    Delivery.objects.filter(pk=stale.pk).update(
        status=DeliveryStatus.SENDING, updated=timezone.now() - timedelta(hours=1)
    )
    assert outbox.sweep() == 2
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.DELIVERED}
    assert {r["path"] for r in peer.requests} == {"/things/NL/CPO/1", "/things/NL/CPO/2"}
    assert due


def test_delivering_twice_sends_once(cpo_tenant, peer):
    receiving_partner(cpo_tenant, peer, "a")
    peer.ok("/things/NL/CPO/1", None)
    STATE["NL/CPO/1"] = {}
    delivery_id = change(cpo_tenant).created[0]
    assert outbox.deliver(delivery_id=delivery_id).status == DeliveryStatus.DELIVERED
    second = outbox.deliver(delivery_id=delivery_id)
    assert (second.status, second.retry_at) == ("SKIPPED", None)
    assert len(peer.requests) == 1


def test_object_gone_is_delivered_without_a_request(cpo_tenant, peer):
    receiving_partner(cpo_tenant, peer, "a")
    outbox.deliver(delivery_id=change(cpo_tenant).created[0])
    assert Delivery.objects.get().status == DeliveryStatus.DELIVERED
    assert peer.requests == []


def test_retry_queues_failed_deliveries_again_and_they_arrive(cpo_tenant, peer, django_capture_on_commit_callbacks):
    receiving_partner(cpo_tenant, peer, "a")
    peer.fail("/things/NL/CPO/1", 2000, "rejected")
    STATE["NL/CPO/1"] = {}
    outbox.deliver(delivery_id=change(cpo_tenant).created[0])
    assert Delivery.objects.get().status == DeliveryStatus.FAILED
    peer.ok("/things/NL/CPO/1", None)
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.retry(deliveries=Delivery.objects.all()) == 1
    assert Delivery.objects.get().status == DeliveryStatus.DELIVERED


def test_retry_deliveries_command_queues_the_partners_failed_deliveries(cpo_tenant, peer):
    from io import StringIO

    from django.core.management import call_command

    receiving_partner(cpo_tenant, peer, "a")
    peer.fail("/things/NL/CPO/1", 2000, "rejected")
    STATE["NL/CPO/1"] = {}
    outbox.deliver(delivery_id=change(cpo_tenant).created[0])
    out = StringIO()
    call_command("retry_deliveries", "cpo", "a", "--json", stdout=out)
    assert out.getvalue().strip() == '{"queued": 1}'
    assert Delivery.objects.get().status == DeliveryStatus.PENDING


def test_an_unsent_delivery_hands_its_changed_fields_to_the_newer_pending_one(cpo_tenant, peer, settings):
    receiving_partner(cpo_tenant, peer, "a")
    peer.ok("/things/NL/CPO/1", None)
    STATE["NL/CPO/1"] = {"status": "CHARGING", "name": "Quay"}
    older = Delivery.objects.get(pk=change(cpo_tenant, method="PATCH", fields=["status"]).created[0])
    Delivery.objects.filter(pk=older.pk).update(
        status=DeliveryStatus.SENDING, updated=timezone.now() - timedelta(hours=1)
    )
    newer_id = change(cpo_tenant, method="PATCH", fields=["name"]).created[0]

    outbox.sweep()  # the worker sending `older` died; `newer` is pending already

    older.refresh_from_db()
    newer = Delivery.objects.get(pk=newer_id)
    assert older.status == DeliveryStatus.SUPERSEDED
    assert (newer.status, newer.fields, newer.changes) == (DeliveryStatus.DELIVERED, ["name", "status"], 2)
    assert json.loads(peer.requests[-1]["body"]) == {"status": "CHARGING", "name": "Quay"}


def test_an_unsent_whole_object_change_turns_the_newer_patch_into_a_put(cpo_tenant, peer):
    receiving_partner(cpo_tenant, peer, "a")
    peer.routes["/things/NL/CPO/1"] = (503, {}, "down")
    STATE["NL/CPO/1"] = {"status": "CHARGING", "name": "Quay"}
    older = Delivery.objects.get(pk=change(cpo_tenant, method="PUT").created[0])
    Delivery.objects.filter(pk=older.pk).update(status=DeliveryStatus.FAILED)
    newer_id = change(cpo_tenant, method="PATCH", fields=["status"]).created[0]

    assert outbox.retry(deliveries=Delivery.objects.filter(pk=older.pk)) == 1

    older.refresh_from_db()
    newer = Delivery.objects.get(pk=newer_id)
    assert older.status == DeliveryStatus.SUPERSEDED
    assert (newer.method, newer.fields, newer.changes) == ("PUT", [], 2)


def received(tenant, sender, path="NL/CPO/1"):
    with transaction.atomic():
        return outbox.record_own_or_hub_change(
            tenant=tenant, partner=sender, module=MODULE, object_path=path, method="PATCH", fields=["status"]
        )


def test_what_a_partner_sent_is_not_passed_on_by_a_tenant_that_is_no_hub(cpo_tenant, peer):
    sender = receiving_partner(cpo_tenant, peer, "sender")
    receiving_partner(cpo_tenant, peer, "other")
    assert received(cpo_tenant, sender).created == []
    assert not Delivery.objects.exists()


def test_a_hub_passes_on_what_a_partner_sent_to_every_other_partner_but_the_sender(db, peer):
    from partners.services import PartySpec, provision_tenant

    hub = provision_tenant(slug="hub", name="Hub", parties=[PartySpec("DE", "HUB", "HUB")])
    sender = receiving_partner(hub, peer, "sender")
    others = [receiving_partner(hub, peer, name) for name in ("a", "b")]
    received(hub, sender)
    received(hub, sender)
    assert sorted(Delivery.objects.values_list("partner", "changes")) == [(p.pk, 2) for p in others]
