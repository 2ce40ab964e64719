"""Log lines name the tenant and partner of a request, and the delivery a task serves."""

import logging

from partners.models import PartnerEndpoint
from roaming.models import Delivery
from roaming.ocpi.headers import RequestIdLogFilter
from roaming.tasks import deliver_task
from tests.factories import auth


def test_request_log_lines_carry_tenant_and_partner(client, emsp_partner, caplog):
    _, token = emsp_partner
    caplog.handler.addFilter(RequestIdLogFilter())
    with caplog.at_level(logging.INFO, logger="roaming.access"):
        client.get("/ocpi/cpo/2.2.1", **auth(token))
    record = next(r for r in caplog.records if r.name == "roaming.access")
    assert (record.tenant, record.partner) == ("cpo", "emsp-partner")


def test_delivery_log_lines_carry_the_delivery(cpo_tenant, emsp_partner, peer, caplog, eager):
    from tests.roaming.testobjects import STATE, change

    partner, _ = emsp_partner
    partner.token_to_them = "t"
    partner.save()
    PartnerEndpoint.objects.create(
        tenant=cpo_tenant, partner=partner, identifier="testobjects", role="RECEIVER", url=f"{peer.url}/things"
    )
    peer.ok("/things/NL/CPO/1", None)
    STATE["NL/CPO/1"] = {"n": 1}
    delivery_id = change(cpo_tenant).created[0]
    caplog.handler.addFilter(RequestIdLogFilter())
    with caplog.at_level(logging.INFO, logger="roaming.services.outbox"):
        deliver_task.delay(delivery_id)
    record = next(r for r in caplog.records if r.name == "roaming.services.outbox")
    assert "PUT testobjects NL/CPO/1: DELIVERED" in record.getMessage()
    assert (record.delivery, record.partner) == (delivery_id, "emsp-partner")
    # A change made outside any request starts a flow of its own: the X-Correlation-ID sent is the one logged.
    [sent] = peer.requests
    sent_id = {name.lower(): value for name, value in sent["headers"].items()}["x-correlation-id"]
    assert record.correlation_id == sent_id != "-"
    assert Delivery.objects.get(pk=delivery_id).correlation_id == sent_id
