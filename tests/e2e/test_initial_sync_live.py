"""A partner that registers ends up holding every location of the CPO without ever pulling, through a real
worker, with the status changes made meanwhile."""

import pytest

from partners import handshake
from partners.models import Partner
from partners.services import issue_registration_token
from roaming import modules
from roaming.models import Connector, Delivery, DeliveryStatus, Evse, InitialSync, Location, SyncState
from roaming.services import initialsync, locations
from tests.factories import make_location, make_tenant
from tests.waiting import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

#: Every module a partner may pull, whichever version the two negotiate (2.3.0 adds invoicereconciliation).
PULLED_MODULES = tuple(module.identifier for module in modules.MODULES if module.pullable is not None)


def test_a_registered_partner_holds_every_location_without_pulling(celery_worker, live_server, settings):
    settings.OCPI_BASE_URL = live_server.url
    settings.INITIAL_SYNC_DELAY_SECONDS = 0.5
    cpo = make_tenant("cpo", "NL:CPO:CPO")
    emsp = make_tenant("emsp", "DE:EMS:EMSP")
    for n in range(40):
        make_location(cpo, f"LOC{n:02d}", evses=4)
    at_cpo, token_a = issue_registration_token(tenant=cpo, partner_name="emsp")
    # The eMSP never pulls: no initial pull, and its scheduled pulls are off before the connection exists.
    at_emsp = Partner.objects.create(
        tenant=emsp, name="cpo", versions_url=cpo.versions_url, token_to_them=token_a, initial_sync="NONE"
    )
    for module in PULLED_MODULES:
        SyncState.objects.create(tenant=emsp, partner=at_emsp, module=module, enabled=False)

    assert handshake.register_with_partner(partner=at_emsp).succeeded
    # Changes while the initial push runs: each folds into its location's PUT or waits for it.
    for uid in ("LOC00-0", "LOC07-3", "LOC39-1"):
        locations.set_evse_status(evse=Evse.objects.select_related("location").get(uid=uid), status="CHARGING")

    wait_for(lambda: Location.objects.filter(tenant=emsp).count() == 40, timeout=60)
    wait_for(lambda: not Delivery.objects.filter(status__in=["PENDING", "SENDING"]).exists(), timeout=30)
    assert Evse.objects.filter(location__tenant=emsp).count() == 160
    assert Connector.objects.filter(evse__location__tenant=emsp).count() == 160
    charging = set(Evse.objects.filter(location__tenant=emsp, status="CHARGING").values_list("uid", flat=True))
    assert charging == {"LOC00-0", "LOC07-3", "LOC39-1"}
    assert not Delivery.objects.filter(status=DeliveryStatus.FAILED).exists()
    assert all(state.last_started_at is None for state in SyncState.objects.filter(partner=at_emsp))

    initialsync.settle()
    run = InitialSync.objects.get(partner=at_cpo, direction="PUSH", module="locations")
    assert (run.reason, run.total, run.sent, run.failed, run.error) == ("registration", 40, 40, 0, "")
    assert run.finished is not None
