"""The credentials endpoint (credentials chapter, both versions): GET, POST, PUT, DELETE."""

from __future__ import annotations

from partners import handshake
from roaming.api.base import OcpiView


class CredentialsView(OcpiView):
    allows_registration_token = True
    module_name = "credentials"

    def get(self, request, tenant, version):
        """Our credentials for this connection, carrying the token the partner called with."""
        credentials = handshake.our_credentials(
            tenant=self.tenant, partner=self.partner, dialect=self.dialect, token=request.auth.presented
        )
        return self.ok(self.dialect.module("credentials").to_wire(credentials))

    def post(self, request, tenant, version):
        answer = handshake.accept_registration(
            tenant=self.tenant, partner=self.partner, dialect=self.dialect, body=request.data
        )
        return self.ok(answer)

    def put(self, request, tenant, version):
        answer = handshake.accept_update(
            tenant=self.tenant, partner=self.partner, dialect=self.dialect, body=request.data
        )
        return self.ok(answer)

    def delete(self, request, tenant, version):
        handshake.accept_unregister(tenant=self.tenant, partner=self.partner)
        return self.ok()
