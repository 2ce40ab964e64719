from django.utils import timezone

from ops.housekeeping import prune_deliveries
from roaming.models import Delivery, DeliveryStatus
from tests.factories import auth


def metric_value(text: str, name: str, **labels) -> float | None:
    for line in text.splitlines():
        if line.startswith(f"{name}{{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_requests_are_counted_by_module_version_and_status(client, emsp_partner):
    _, token = emsp_partner
    before = (
        metric_value(
            client.get("/metrics").content.decode(),
            "ocpi_requests_total",
            module="versions",
            version="2.2.1",
            method="GET",
            status="200",
        )
        or 0
    )
    client.get("/ocpi/cpo/2.2.1", **auth(token))
    client.get("/ocpi/cpo/2.2.1", HTTP_AUTHORIZATION="Token wrong")
    text = client.get("/metrics").content.decode()
    assert (
        metric_value(text, "ocpi_requests_total", module="versions", version="2.2.1", method="GET", status="200")
        == before + 1
    )
    assert (
        metric_value(text, "ocpi_requests_total", module="versions", version="2.2.1", method="GET", status="401") >= 1
    )


def test_deliveries_by_partner_and_status_are_exposed(client, emsp_partner, cpo_tenant):
    partner, _ = emsp_partner
    for _ in range(3):
        Delivery.objects.create(
            tenant=cpo_tenant,
            partner=partner,
            module="locations",
            object_path=f"x{_}",
            method="PUT",
            status=DeliveryStatus.FAILED,
            next_attempt_at=timezone.now(),
        )
    text = client.get("/metrics").content.decode()
    assert metric_value(text, "roaming_deliveries", tenant="cpo", partner="emsp-partner", status="FAILED") == 3


def test_metrics_token_is_required_when_set(client, db, settings):
    settings.METRICS_TOKEN = "scrape-secret"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret").status_code == 200


def test_pruning_removes_old_delivered_deliveries_in_batches_and_keeps_failed(emsp_partner, cpo_tenant, settings):
    settings.DELIVERY_RETENTION_DAYS = 1
    partner, _ = emsp_partner
    old = timezone.now() - timezone.timedelta(days=2)
    for index in range(5):
        Delivery.objects.create(
            tenant=cpo_tenant,
            partner=partner,
            module="locations",
            object_path=f"d{index}",
            method="PUT",
            status=DeliveryStatus.DELIVERED,
            next_attempt_at=old,
        )
    Delivery.objects.create(
        tenant=cpo_tenant,
        partner=partner,
        module="locations",
        object_path="f",
        method="PUT",
        status=DeliveryStatus.FAILED,
        next_attempt_at=old,
    )
    Delivery.objects.create(
        tenant=cpo_tenant,
        partner=partner,
        module="locations",
        object_path="fresh",
        method="PUT",
        status=DeliveryStatus.DELIVERED,
        next_attempt_at=old,
    )
    Delivery.objects.exclude(object_path="fresh").update(updated=old)
    assert prune_deliveries(batch_size=2) == 5
    assert sorted(Delivery.objects.values_list("object_path", flat=True)) == ["f", "fresh"]


def test_authorization_latency_is_measured(client, emsp_tenant):
    from tests.factories import make_partner, own_token

    own_token(emsp_tenant)
    _, token = make_partner(emsp_tenant, "NL:CPO:CPO", name="cpo")
    client.post(
        "/ocpi/emsp/2.2.1/sender/tokens/012345678/authorize", {}, content_type="application/json", **auth(token)
    )
    text = client.get("/metrics").content.decode()
    assert metric_value(text, "roaming_authorization_seconds_count", version="2.2.1") >= 1


def test_old_handshake_logs_are_pruned_but_each_partner_keeps_its_latest(cpo_tenant):
    from datetime import timedelta

    from django.utils import timezone

    from ops.housekeeping import prune_handshakes
    from partners.models import Handshake
    from tests.factories import make_partner

    partner, _ = make_partner(cpo_tenant, name="p")
    other, _ = make_partner(cpo_tenant, name="other")
    long_ago = timezone.now() - timedelta(days=365)
    for owner, action in ((partner, "register"), (partner, "update"), (other, "register")):
        Handshake.objects.create(tenant=cpo_tenant, partner=owner, direction="INBOUND", action=action)
    Handshake.objects.update(started=long_ago, finished=long_ago)
    Handshake.objects.filter(action="update").update(started=long_ago + timedelta(days=1))
    Handshake.objects.create(tenant=cpo_tenant, partner=partner, direction="INBOUND", action="unregister")

    assert prune_handshakes() == 2
    assert sorted(Handshake.objects.values_list("partner__name", "action")) == [
        ("other", "register"),
        ("p", "unregister"),
    ]
