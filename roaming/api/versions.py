"""Versions and version details endpoints (version_information_endpoint, both versions)."""

from __future__ import annotations

from partners.models import InterfaceRole
from partners.services import connection_parties
from roaming import modules
from roaming.api.base import OcpiView
from roaming.ocpi.dialect import Endpoint
from roaming.ocpi.versions import versions_list_to_wire


class VersionsView(OcpiView):
    allows_registration_token = True
    module_name = "versions"

    def get(self, request, tenant):
        return self.ok(versions_list_to_wire(self.tenant_url()))


def endpoints_for(*, tenant, partner, dialect, base_url: str) -> list[Endpoint]:
    """Our endpoints of one version as this partner sees them."""
    endpoints = [Endpoint("credentials", InterfaceRole.SENDER, f"{base_url}/credentials")]
    roles = {p.role for p in connection_parties(tenant=tenant, partner=partner, dialect=dialect)}
    for route in modules.routes():
        endpoint = Endpoint(route.identifier, route.role, f"{base_url}/{route.segment}/{route.identifier}")
        implemented = route.party_role in roles or (route.party_role is None and roles)
        # An interface two roles implement (chargingprofiles SENDER: eMSP and SCSP) is listed once.
        if implemented and dialect.has_module(route.identifier) and endpoint not in endpoints:
            endpoints.append(endpoint)
    return endpoints


class VersionDetailsView(OcpiView):
    allows_registration_token = True
    module_name = "versions"

    def get(self, request, tenant, version):
        endpoints = endpoints_for(
            tenant=self.tenant, partner=self.partner, dialect=self.dialect, base_url=self.tenant_url(version)
        )
        return self.ok(self.dialect.module("versions").details_to_wire(endpoints))
