"""Steps of the three-platform hub proof run inside a separately started instance through `manage.py shell -c`
(the instance's own environment and database), never imported by the test process. Each prints one JSON line."""

from __future__ import annotations

import json

from partners.models import Partner, PartnerParty, PartnerStatus, Tenant
from roaming.models import Evse, Token
from roaming.services import hubclientinfo
from roaming.services.locations import set_evse_status
from roaming.services.tokens import decide_start


def token_to(slug: str, partner_name: str) -> None:
    """The token this tenant calls the partner with (the test calls the hub as the eMSP does)."""
    partner = Partner.objects.get(tenant__slug=slug, name=partner_name)
    print(json.dumps({"token": partner.token_to_them}))


def evse_status(slug: str, uid: str, status: str) -> None:
    evse = Evse.objects.get(tenant__slug=slug, uid=uid)
    set_evse_status(evse=evse, status=status)
    print(json.dumps({"uid": uid, "status": status}))


def authorize(slug: str, uid: str) -> None:
    """The CPO's real-time authorization of a driver's token (mod_tokens POST authorize), asked of the eMSP."""
    token = Token.objects.get(tenant__slug=slug, uid=uid)
    decision = decide_start(token=token, location={"location_id": "CPO-LOC0"})
    print(
        json.dumps(
            {"allowed": decision.allowed, "source": decision.source, "reference": decision.authorization_reference}
        )
    )


def connect_party(
    slug: str, name: str, party: str, url: str, *, status: str, timeout: int | None = None, version: str = "2.3.0"
) -> None:
    """A partner platform of the hub serving `party` ("CC:PID:ROLE") with a locations sender at `url`, published
    to the hub's other parties with the status its connection has."""
    tenant = Tenant.objects.get(slug=slug)
    country_code, party_id, role = party.split(":")
    partner = Partner.objects.create(
        tenant=tenant, name=name, version=version, status=PartnerStatus.REGISTERED, token_to_them="t",
        versions_url=f"{url}/versions", request_timeout=timeout,
    )  # fmt: skip
    PartnerParty.objects.create(
        tenant=tenant, partner=partner, country_code=country_code, party_id=party_id, role=role, name=name
    )
    partner.endpoints.create(tenant=tenant, identifier="locations", role="SENDER", url=f"{url}/locations")
    if status != PartnerStatus.REGISTERED:
        partner.set_status(status)
        partner.save()
    hubclientinfo.publish_connection(tenant=tenant, partner=partner)
    print(json.dumps({"partner": name}))


def routed(slug: str) -> None:
    """What the hub forwarded: per party, requests and errors; the command results it relayed."""
    from roaming.models import Relay, RouteStat

    stats = {str(s): [s.forwarded, s.errors] for s in RouteStat.objects.filter(tenant__slug=slug)}
    relays = sorted((r.module, r.results) for r in Relay.objects.filter(tenant__slug=slug))
    print(json.dumps({"routes": stats, "relays": relays}))
