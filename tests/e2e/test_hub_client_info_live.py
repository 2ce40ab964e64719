"""A hub tenant on this platform connects two other tenants: what it learns of one reaches the other,
pushed and pulled over real HTTP through a real worker."""

import pytest

from partners import handshake
from partners.models import Partner, PartnerParty
from partners.services import issue_registration_token
from roaming.models import ClientInfo, SyncState
from roaming.tasks import pull_task
from tests.factories import make_tenant
from tests.waiting import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def join(hub, tenant) -> Partner:
    """`tenant` registers with the hub using a token A the hub issued; returns the tenant's hub partner."""
    _, token_a = issue_registration_token(tenant=hub, partner_name=tenant.slug)
    at_tenant = Partner.objects.create(tenant=tenant, name="hub", versions_url=hub.versions_url, token_to_them=token_a)
    result = handshake.register_with_partner(partner=at_tenant)
    assert result.succeeded, result.error
    at_tenant.refresh_from_db()
    return at_tenant


def status_at(tenant, party_id: str) -> str | None:
    info = ClientInfo.objects.filter(tenant=tenant, partner__isnull=False, party_id=party_id).first()
    return info.status if info else None


def test_a_hub_tells_its_clients_who_connects_and_who_leaves(celery_worker, live_server, settings):
    settings.OCPI_BASE_URL = live_server.url
    hub = make_tenant("hub", "NL:HUB:HUB:Hub Co")
    cpo = make_tenant("cpo-a", "DE:CPA:CPO:Charge A")
    emsp = make_tenant("emsp-b", "FR:EMB:EMSP:Drive B")

    cpo_hub = join(hub, cpo)
    emsp_hub = join(hub, emsp)

    # Pushed: the eMSP's joining reaches the CPO, whose hub partner now speaks for the eMSP.
    wait_for(lambda: status_at(cpo, "EMB") == "CONNECTED", timeout=30)
    assert {str(p) for p in PartnerParty.objects.filter(partner=cpo_hub)} == {"NL*HUB HUB", "FR*EMB EMSP"}

    # Pulled: the eMSP joined after the CPO, so it asks the hub for the whole list.
    state = SyncState.objects.get(partner=emsp_hub, module="hubclientinfo")
    pull_task.delay(state.pk)
    wait_for(lambda: status_at(emsp, "CPA") == "CONNECTED", timeout=30)
    assert "DE*CPA CPO" in {str(p) for p in PartnerParty.objects.filter(partner=emsp_hub)}

    # The CPO leaves the hub: the hub invalidates its ClientInfo (SUSPENDED) and tells the eMSP.
    result = handshake.unregister_with_partner(partner=cpo_hub)
    assert result.succeeded, result.error
    wait_for(lambda: status_at(emsp, "CPA") == "SUSPENDED", timeout=30)
    published = ClientInfo.objects.get(tenant=hub, partner__isnull=True, party_id="CPA")
    assert published.status == "SUSPENDED"
    assert ClientInfo.objects.get(tenant=emsp, party_id="CPA").last_updated == published.last_updated.replace(
        microsecond=0
    )
