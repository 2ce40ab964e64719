"""The world of the hardening suite: one tenant, a partner per version and a hub."""

from __future__ import annotations

import pytest

from partners.models import Role
from tests.factories import make_partner, make_tenant


@pytest.fixture
def world(db):
    """A tenant with a CPO and an eMSP party, one partner per version holding both roles too, and a hub."""
    tenant = make_tenant("hard", "NL:CPO:CPO", "NL:EMS:EMSP")
    partners = {
        "2.2.1": make_partner(tenant, "DE:CPX:CPO", "DE:EMX:EMSP", name="p221", version="2.2.1"),
        "2.1.1": make_partner(tenant, "DE:CPY:CPO", "DE:EMY:EMSP", name="p211", version="2.1.1"),
        "hub": make_partner(tenant, "DE:HUB:HUB", name="hub", version="2.2.1"),
    }
    return tenant, partners


def partner_party(partner, tenant_role: str):
    """The partner's party on the other side of a route implemented by the tenant's `tenant_role` party."""
    wanted = Role.CPO if tenant_role == Role.EMSP else Role.EMSP
    return partner.parties.get(role=wanted)
