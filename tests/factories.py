"""Factories for tests: tenants with parties, and partners holding a live token."""

from __future__ import annotations

import base64
import itertools

from partners.models import AccessToken, Partner, PartnerParty, PartnerStatus, TokenKind
from partners.services import PartySpec, provision_tenant

_seq = itertools.count(1)


def make_tenant(slug: str | None = None, *parties: str, name: str | None = None):
    """A tenant with parties given as 'CC:PID:ROLE' (default: one CPO party)."""
    slug = slug or f"tenant-{next(_seq)}"
    specs = [PartySpec.parse(p) for p in (parties or ("NL:CPO:CPO",))]
    return provision_tenant(slug=slug, name=name or slug.title(), parties=specs)


def make_partner(
    tenant,
    *parties: str,
    name: str | None = None,
    version: str = "2.2.1",
    status: str = PartnerStatus.REGISTERED,
    token_kind: str = TokenKind.ACCESS,
    **fields,
) -> tuple[Partner, str]:
    """A partner of `tenant` with parties 'CC:PID:ROLE' (default one eMSP) and a raw token to call us with."""
    partner = Partner.objects.create(
        tenant=tenant, name=name or f"partner-{next(_seq)}", version=version, status=status, **fields
    )
    for text in parties or ("DE:EMS:EMSP",):
        spec = PartySpec.parse(text)
        PartnerParty.objects.create(
            tenant=tenant,
            partner=partner,
            country_code=spec.country_code,
            party_id=spec.party_id,
            role=spec.role,
            name=spec.name or partner.name,
        )
    _, raw = AccessToken.issue(partner=partner, kind=token_kind)
    return partner, raw


def auth(token: str, *, base64_form: bool = False) -> dict:
    """Request headers carrying `token` in the raw or the Base64 form."""
    value = base64.b64encode(token.encode()).decode() if base64_form else token
    return {"HTTP_AUTHORIZATION": f"Token {value}"}


#: EVSE capabilities that let an EVSE take every command (the spec's example EVSEs are only RESERVABLE).
COMMANDABLE = ["REMOTE_START_STOP_CAPABLE", "RESERVABLE", "UNLOCK_CAPABLE", "CHARGING_PROFILE_CAPABLE"]


def make_commandable(location):
    """Give every EVSE of `location` the capabilities commands and charging profiles need; returns it."""
    location.evses.update(capabilities=COMMANDABLE)
    return location
